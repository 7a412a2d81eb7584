"""Customer orders followed by their sales: what posted Retail Sales Reports shipped and paid.

The shipment of an order is the goods rows linked to it in posted reports (1C's «ЗаказыПокупателей»
expense), its payment the prepayments plus the settlement rows («РасчетыСКлиентами»); both are
read from the reports, so a re-upload or an unposted report changes them with nothing to undo.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from ..models import AccountingSettings, CustomerOrder, SalesReportGoodsLine, SalesReportSettlement

READY_TO_CLOSE = "Готов к закрытию"
AWAITING_SALE = "Ожидается продажа"


@dataclass
class OrderFulfilment:
    ordered: dict = field(default_factory=dict)       # (item, characteristic, pack) → quantity
    shipped: dict = field(default_factory=dict)       # same key → quantity shipped by posted reports
    total: Decimal = Decimal(0)
    prepaid: Decimal = Decimal(0)
    paid_at_sale: Decimal = Decimal(0)
    shipped_amount: Decimal = Decimal(0)
    reports: list = field(default_factory=list)       # (report, shipped amount, paid amount)

    @property
    def paid(self) -> Decimal:
        return self.prepaid + self.paid_at_sale

    @property
    def fully_shipped(self) -> bool:
        return bool(self.ordered) and all(self.shipped.get(key, 0) >= qty for key, qty in self.ordered.items())

    @property
    def fully_paid(self) -> bool:
        return self.paid >= self.total

    @property
    def complete(self) -> bool:
        return self.fully_shipped and self.fully_paid


def order_fulfilment(*, order: CustomerOrder) -> OrderFulfilment:
    result = OrderFulfilment()
    for line in order.lines.all():
        key = (line.item_id, line.characteristic_id, line.pack_id)
        result.ordered[key] = result.ordered.get(key, Decimal(0)) + line.quantity
        result.total += line.amount
    result.prepaid = sum((p.amount for p in order.payments.all()), Decimal(0))
    shipped = defaultdict(Decimal)
    for line in SalesReportGoodsLine.objects.filter(order=order, report__posted=True):
        shipped[(line.item_id, line.characteristic_id, line.pack_id)] += line.quantity_packs
    result.shipped = dict(shipped)
    for row in (SalesReportSettlement.objects.filter(order=order, report__posted=True)
                .select_related("report").order_by("report__date", "report_id")):
        result.paid_at_sale += row.paid_amount
        result.shipped_amount += row.shipped_amount
        result.reports.append((row.report, row.shipped_amount, row.paid_amount))
    return result


def order_state(*, order: CustomerOrder, fulfilment: OrderFulfilment | None = None) -> str:
    """The derived state 1C shows beside the status."""
    if order.is_cancelled:
        return "Отменен"
    if order.status == CustomerOrder.Status.CLOSED:
        return "Закрыт"
    fulfilment = fulfilment or order_fulfilment(order=order)
    if fulfilment.complete:
        return READY_TO_CLOSE
    if fulfilment.shipped:
        return "Частично продан"
    return AWAITING_SALE


@transaction.atomic
def orders_follow_sales(*, order_ids) -> list[CustomerOrder]:
    """After a report is (re)posted or unposted: close the orders its sales completed; returns them."""
    manual = AccountingSettings.load().manual_order_closing
    closed = []
    for order in CustomerOrder.objects.select_for_update().filter(pk__in=sorted(set(order_ids))).order_by("pk"):
        if order.status == CustomerOrder.Status.CLOSED or order.is_cancelled or manual:
            continue
        if order_fulfilment(order=order).complete:
            order_close(order=order)
            closed.append(order)
    return closed


@transaction.atomic
def order_close(*, order: CustomerOrder) -> None:
    """«Закрыть заказ»: a closed order is no longer sent to the register (the change feed records the
    change; the export leaves closed orders out)."""
    order.status = CustomerOrder.Status.CLOSED
    order.save(update_fields=["status"])
