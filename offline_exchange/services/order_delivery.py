"""A customer order's exchange with the courier's register: sent to it, and sold by it (received back)."""
from __future__ import annotations

from dataclasses import dataclass, field

from common.ru import datetime_text
from offline_exchange.feed_sql import ORDER
from offline_exchange.models import ChangeFeedEntry, ExchangeJournalEntry, OfflineDevice
from offline_exchange.services.exports import order_is_exportable
from offline_exchange.services.feed import feed_horizon
from retail.models import CustomerOrder, SalesReportSettlement


@dataclass
class OrderExchange:
    """Where the order goes and how far it got: sent to the register, sold by it (received back)."""

    register: object | None = None
    device: object | None = None
    sent: bool = False
    state: str = ""
    last_orders_call: object | None = None
    received: list = field(default_factory=list)  # (report, posted)


def order_exchange(*, order: CustomerOrder) -> OrderExchange:
    """Read-only: the register's orders watermark against the order's last change in the feed (what
    `orders_export` sends), and the sales reports whose checks referred to the order."""
    result = OrderExchange()
    if order.pk is None:
        result.state = "Заказ еще не записан."
        return result
    seen = set()
    for row in (SalesReportSettlement.objects.filter(order=order).select_related("report")
                .order_by("report__date", "report_id")):
        if row.report_id not in seen:
            seen.add(row.report_id)
            result.received.append((row.report, row.report.posted))
    register = order.courier_cash_register
    if register is None:
        result.state = "Не выгружается на кассу: не указана касса курьера."
        return result
    # Read afresh: the watermark moves under any copy of the device the caller holds.
    device = OfflineDevice.objects.get(pk=register.device_id)
    result.register, result.device = register, device
    name = f"кассу ККМ «{register.name}»"
    if not device.in_use:
        result.state = f"Не выгружается: оборудование кассы ККМ «{register.name}» не используется."
        return result
    if not order_is_exportable(order):
        result.state = f"Закрыт — на {name} больше не выгружается."
        return result
    version = (ChangeFeedEntry.objects.filter(kind=ORDER, object_id=order.pk).order_by("-id")
               .values_list("id", flat=True).first()) or 0
    watermark = device.orders_watermark
    if watermark is None:
        result.state = f"Ожидает выгрузки на {name}: касса еще не получала заказы."
    elif watermark < feed_horizon():
        result.state = f"Ожидает выгрузки на {name}: касса давно не получала заказы, получит все открытые."
    elif version > watermark:
        result.state = f"Ожидает выгрузки на {name}: изменен после последнего получения заказов кассой."
    else:
        result.sent = True
        result.state = f"Выгружен на {name}."
    result.last_orders_call = (ExchangeJournalEntry.objects
                               .filter(device=device, operation="GetDocs", status=ExchangeJournalEntry.Status.OK)
                               .order_by("-created_at", "-id").values_list("created_at", flat=True).first())
    if result.last_orders_call is not None:
        result.state += f" Последнее получение заказов кассой: {datetime_text(result.last_orders_call)}."
    return result
