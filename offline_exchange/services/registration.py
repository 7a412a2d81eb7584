"""Change registration: which goods and orders each device must receive again."""
from __future__ import annotations

from typing import Iterable

from django.db import transaction
from django.db.models import Max

from retail.models import CustomerOrder

from ..models import ChangeRegistration, ExchangeRule, OfflineDevice, OrderRegistration
from .batching import chunks
from .goods_cache import goods_cache_invalidate
from .rules import rule_items


def _register(device: OfflineDevice, item_ids: list[int]) -> None:
    # Replacing the row gives it a higher id, so a transfer in flight does not swallow it.
    for chunk in chunks(item_ids):
        ChangeRegistration.objects.filter(device=device, item_id__in=chunk).delete()
        ChangeRegistration.objects.bulk_create([ChangeRegistration(device=device, item_id=pk) for pk in chunk])


@transaction.atomic
def registration_register_items(*, item_ids: Iterable[int]) -> int:
    """Register the items for every device in use whose rule selects them; returns rows written.

    Their cached Goods go too, for every device (in use or not): the cache must never outlive a change."""
    item_ids = sorted(set(item_ids))
    if not item_ids:
        return 0
    goods_cache_invalidate(item_ids=item_ids)
    written = 0
    for device in OfflineDevice.objects.filter(in_use=True).select_related("rule"):
        selected = list(rule_items(rule=device.rule).filter(pk__in=item_ids).values_list("pk", flat=True))
        if selected:
            _register(device, selected)
            written += len(selected)
    return written


@transaction.atomic
def registration_register_rule(*, rule: ExchangeRule) -> int:
    """A rule change re-sends everything it selects to each of its devices."""
    item_ids = list(rule_items(rule=rule).values_list("pk", flat=True))
    for device in rule.devices.filter(in_use=True):
        _register(device, item_ids)
    return len(item_ids)


def registration_watermark(*, device: OfflineDevice) -> int:
    return ChangeRegistration.objects.filter(device=device).aggregate(m=Max("id"))["m"] or 0


def registration_clear(*, device: OfflineDevice, watermark: int) -> int:
    deleted, _ = ChangeRegistration.objects.filter(device=device, id__lte=watermark).delete()
    return deleted


def order_is_exportable(order: CustomerOrder) -> bool:
    return not (order.status == CustomerOrder.Status.CLOSED and not order.is_cancelled)


@transaction.atomic
def registration_register_order(*, order: CustomerOrder) -> bool:
    """Register an order for its courier cash register's device; True when it will be sent."""
    OrderRegistration.objects.filter(order=order).delete()
    register = order.courier_cash_register
    if register is None or not order_is_exportable(order):
        return False
    OrderRegistration.objects.create(device_id=register.device_id, order=order)
    return True
