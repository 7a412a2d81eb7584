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

from retail.models import AccountingSettings, CustomerOrder, SalesReportGoodsLine, SalesReportSettlement
from retail.services.numbering import document_number_assign, own_sequence, prefix_of

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


# --- Number, lines and totals -------------------------------------------------------------------

class OrderError(Exception):
    """An order that cannot be written as given; the text is for the store admin."""


def order_number_taken(*, number: str, year: int, exclude_pk: int | None = None) -> bool:
    return CustomerOrder.objects.filter(number=number, number_year=year).exclude(pk=exclude_pk).exists()


@transaction.atomic
def order_save(*, order: CustomerOrder) -> CustomerOrder:
    """Write an order; an empty number becomes the next of its organization's prefix in its year
    (ТДРТ-000001), taken from the orders' counter (`retail.services.numbering`: locked until this
    transaction ends, so two orders saved at once never share one). A typed number is checked to be
    unused in its year; typed in the organization's own form, it counts in the sequence."""

    order.number = (order.number or "").strip()
    if order.number:
        prefix = prefix_of(order.organization if order.organization_id else None)
        order.number_year = order.date.year
        order.number_seq = own_sequence(number=order.number, prefix=prefix)
        if order_number_taken(number=order.number, year=order.number_year, exclude_pk=order.pk):
            raise OrderError(f"Заказ покупателя с номером {order.number} уже есть в {order.number_year} году.")
    else:
        document_number_assign(document=order)
    order.save()
    return order


@transaction.atomic
def order_lines_write(*, order: CustomerOrder, lines, deleted=()) -> None:
    """Write the order's changed lines with their sums and VAT computed (`CustomerOrderLine.calculate`)
    and remove the deleted ones."""
    for line in deleted:
        line.delete()
    for line in lines:
        line.order = order
        line.calculate()
        line.save()


@dataclass
class OrderTotals:
    total: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    quantity: Decimal = Decimal("0")
    lines: int = 0
    prepaid: Decimal = Decimal("0.00")

    @property
    def to_pay(self) -> Decimal:
        return max(self.total - self.prepaid, Decimal("0.00"))


def order_totals(*, order: CustomerOrder) -> OrderTotals:
    """The footer under the lines: the sum and the VAT inside it, as the lines carry them."""
    totals = OrderTotals()
    if order.pk is None:
        return totals
    for line in order.lines.all():
        totals.total += line.amount
        totals.vat += line.vat_amount
        totals.quantity += line.quantity
        totals.lines += 1
    totals.prepaid = sum((p.amount for p in order.payments.all()), Decimal("0.00"))
    return totals
