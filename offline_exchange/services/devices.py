from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Lower, Trim

from offline_exchange.exceptions import DeviceNotBoundError, InvalidDeviceIdError, UnknownDeviceError
from offline_exchange.format.versions import NEWEST_FORMAT
from offline_exchange.models import DEVICE_ID_MAX_LENGTH, ExchangeSettings, OfflineDevice
from offline_exchange.services.goods_cache import goods_cache_clear, goods_cache_key


def device_id_check(device_ref: str | None) -> str:
    ref = (device_ref or "").strip()
    if not ref:
        raise InvalidDeviceIdError("Не указан идентификатор устройства (DeviceID)")
    if len(ref) > DEVICE_ID_MAX_LENGTH:
        raise InvalidDeviceIdError(
            f"Идентификатор устройства длиннее {DEVICE_ID_MAX_LENGTH} символов ({len(ref)})"
        )
    return ref


def device_get(*, device_ref: str | None, user) -> OfflineDevice:
    """The device in use with web-service exchange and this identifier (trimmed, any case) that `user`
    is bound to. A device the login is not bound to is refused as if it did not exist (a superuser is
    not bound implicitly): one sync password must not make its holder every register of the base."""
    ref = device_id_check(device_ref)
    if not ExchangeSettings.load().offline_exchange_enabled:
        raise UnknownDeviceError(ref)
    device = (
        OfflineDevice.objects.annotate(key=Lower(Trim("device_id")))
        .filter(key=ref.lower(), in_use=True, exchange_kind=OfflineDevice.ExchangeKind.WEB_SERVICE)
        .select_related("rule__warehouse__store__retail_price_type", "organization")
        .first()
    )
    if device is None:
        raise UnknownDeviceError(ref)
    if user is None or not device.users.filter(pk=user.pk).exists():
        raise DeviceNotBoundError(ref)
    return device


def device_find(*, device_ref: str | None, user) -> OfflineDevice | None:
    """As `device_get`, None for a device that is unknown to this login (Connect, GetVersion)."""
    try:
        return device_get(device_ref=device_ref, user=user)
    except DeviceNotBoundError:
        raise
    except UnknownDeviceError:
        return None


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


# The device settings a price list's content depends on as a whole.
LIST_SETTINGS = frozenset({"format_version", "goods_shape", "rule", "export_balances"})


@transaction.atomic
def device_list_settings_changed(*, device: OfflineDevice) -> None:
    """After a change of the format, the goods' shape or the rule, the next list is full: the register
    holds goods in the old form, and goods held back before (VAT 22 % below 3.3) were never sent. A
    pending transfer built for the old settings goes."""
    OfflineDevice.objects.filter(pk=device.pk).update(price_list_watermark=None)
    device.transfers.filter(completed_at=None).delete()


@transaction.atomic
def device_format_switch(*, device: OfflineDevice, format_version: int = NEWEST_FORMAT) -> bool:
    """«Перевести кассу на формат 3.3»: the device speaks that format from its next call (the register
    learns it from GetVersion) and its next list is full, so the goods its old format held back go out.
    False when it already speaks it."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    if device.format_version == format_version:
        return False
    OfflineDevice.objects.filter(pk=device.pk).update(format_version=format_version)
    device_list_settings_changed(device=device)
    return True
