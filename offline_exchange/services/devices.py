from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Lower, Trim

from ..exceptions import InvalidDeviceIdError, UnknownDeviceError
from ..models import DEVICE_ID_MAX_LENGTH, ExchangeSettings, OfflineDevice
from .goods_cache import goods_cache_clear, goods_cache_key


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


@transaction.atomic
def device_full_next_time(*, device: OfflineDevice) -> None:
    """«Выгрузить полностью при следующем обмене»: the next Prepare builds the whole list, from the
    base: the cached Goods of the device's variant go too (an admin asks for this when the register
    shows something the base does not, e.g. after data were changed outside the back office)."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    OfflineDevice.objects.filter(pk=device.pk).update(price_list_watermark=None)
    # A pending incremental transfer would otherwise be handed out again first.
    device.transfers.filter(completed_at=None).delete()
    goods_cache_clear(variant_key=goods_cache_key(device=device))


@transaction.atomic
def device_queue_reset(*, device: OfflineDevice) -> int:
    """«Сбросить очередь»: drop the device's transfers and their packages; the changes since its last
    list stay in the feed above its watermark, so nothing is lost and the next Prepare starts afresh. Returns how many were dropped."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    transfers = device.transfers.all()
    dropped = transfers.count()
    transfers.delete()
    return dropped
