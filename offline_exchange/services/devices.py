from __future__ import annotations

from django.db.models.functions import Lower, Trim

from ..exceptions import InvalidDeviceIdError, UnknownDeviceError
from ..models import DEVICE_ID_MAX_LENGTH, ExchangeSettings, OfflineDevice


def device_id_check(device_ref: str | None) -> str:
    ref = (device_ref or "").strip()
    if not ref:
        raise InvalidDeviceIdError("Не указан идентификатор устройства (DeviceID)")
    if len(ref) > DEVICE_ID_MAX_LENGTH:
        raise InvalidDeviceIdError(
            f"Идентификатор устройства длиннее {DEVICE_ID_MAX_LENGTH} символов ({len(ref)})"
        )
    return ref


def device_find(*, device_ref: str | None) -> OfflineDevice | None:
    """The device in use with web-service exchange and this identifier (trimmed, any case)."""
    ref = device_id_check(device_ref)
    if not ExchangeSettings.load().offline_exchange_enabled:
        return None
    return (
        OfflineDevice.objects.annotate(key=Lower(Trim("device_id")))
        .filter(key=ref.lower(), in_use=True, exchange_kind=OfflineDevice.ExchangeKind.WEB_SERVICE)
        .select_related("rule__warehouse__store__retail_price_type", "organization")
        .first()
    )


def device_get(*, device_ref: str | None) -> OfflineDevice:
    device = device_find(device_ref=device_ref)
    if device is None:
        raise UnknownDeviceError((device_ref or "").strip())
    return device
