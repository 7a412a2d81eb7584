"""What an uploaded shift adds to its report beyond the goods: the cash returned on return checks, the
sales a return check names (for the cost it comes back at), and the automatic «Выемка денежных средств из
кассы ККМ» that 1С:Розница posts after each upload.

Called by the upload (offline_exchange) after the reports are posted and numbered, in its transaction; a
re-sent shift runs it again and every row it owns is replaced, so cash and cost move exactly once.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from retail.models import (
    CashWithdrawal,
    RetailReturnsReport,
    RetailSalesReport,
    SalesReportCashMovement,
    SalesReportCheck,
    SalesReportReturnSource,
)
from retail.services.costing import rows_insert
from retail.services.money import document_money_rows, money_replace
from retail.services.numbering import document_number_assign
from retail.services.posting import document_post, document_unpost


@dataclass(frozen=True)
class ReturnedLine:
    """A line of a return check that names its sale check: the position and the base quantity returned."""

    item_id: int
    characteristic_id: int | None
    quantity: Decimal
    sale_check: uuid.UUID


@dataclass
class ShiftFacts:
    sale_checks: list[uuid.UUID] = field(default_factory=list)
    cash_returned: Decimal = Decimal(0)
    returned: list[ReturnedLine] = field(default_factory=list)


def _return_sources(report: RetailSalesReport, returned: list[ReturnedLine]) -> list[tuple]:
    """(item, characteristic, sale check, sale report, quantity) of the returns whose check names a sale of
    another shift; the report is None while that shift has not been uploaded. A return of a sale of the
    same shift needs no link: it comes back at the average the sale left at."""
    checks = {line.sale_check for line in returned}
    sale_of = dict(SalesReportCheck.objects.filter(uuid__in=checks).exclude(report=report)
                   .values_list("uuid", "report_id"))
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in returned:
        totals[(line.item_id, line.characteristic_id, line.sale_check)] += line.quantity
    return sorted(((item, ch, check, sale_of.get(check), quantity) for (item, ch, check), quantity in totals.items()),
                  key=_link_order)


def _link_order(link: tuple) -> tuple:
    item, ch, check, _sale, _quantity = link
    return item, ch is not None, ch or 0, str(check)


def _late_sales_linked(report: RetailSalesReport, user) -> None:
    """Returns uploaded before the shift of their sale (a register that was offline longer): now that the sale
    is here, they are linked to it and their reports re-posted, so they come back at its cost."""
    waiting = SalesReportReturnSource.objects.filter(sale_report__isnull=True, sale_check__in=SalesReportCheck.objects
                                                     .filter(report=report).values("uuid")).exclude(report=report)
    returning = set(waiting.values_list("report_id", flat=True))
    if not returning:
        return
    waiting.update(sale_report=report)
    for other in RetailSalesReport.objects.filter(pk__in=returning, posted=True).order_by("date", "pk"):
        document_post(document=other, user=user, reason="Проведение: загружена смена с продажей возвращенного товара")


@transaction.atomic
def sales_report_shift_facts(*, report: RetailSalesReport, facts: ShiftFacts, user=None) -> None:
    """Keep the shift's sale checks, its cash returns and its return links with the report; a posted report
    whose cash or return links changed is re-posted so its cash and its returns' cost follow."""
    SalesReportCheck.objects.filter(report=report).delete()
    rows_insert(SalesReportCheck, ["report", "uuid"], [(report.pk, u) for u in set(facts.sale_checks)])
    sources = _return_sources(report, facts.returned)
    before = sorted(SalesReportReturnSource.objects.filter(report=report).values_list(
        "item_id", "characteristic_id", "sale_check", "sale_report_id", "quantity"), key=_link_order)
    links_changed = before != sources
    if links_changed:
        SalesReportReturnSource.objects.filter(report=report).delete()
        SalesReportReturnSource.objects.bulk_create([
            SalesReportReturnSource(report=report, item_id=item, characteristic_id=ch, sale_check=check,
                                    sale_report_id=sale, quantity=quantity)
            for item, ch, check, sale, quantity in sources])
    cash_changed = report.cash_returns_total != facts.cash_returned
    if cash_changed:
        report.cash_returns_total = facts.cash_returned
        RetailSalesReport.objects.filter(pk=report.pk).update(cash_returns_total=facts.cash_returned)
    if report.posted:
        if links_changed:
            document_post(document=report, user=user, reason="Проведение отчета при загрузке смены")
        elif cash_changed:
            money_replace(report, document_money_rows(report))
    if facts.sale_checks:
        _late_sales_linked(report, user)


def withdrawal_amount(report: RetailSalesReport) -> Decimal:
    """What the shift left in the register: cash sales less cash returns, plus cash-in, less cash-out checks,
    less the cash paid back on returns of other shifts' checks made in it («Отчет о розничных возвратах»: their
    own documents, posted or not, the cash left the register all the same; posting one later evens it)."""
    amount = report.cash_total
    for value in RetailReturnsReport.objects.filter(shift_report=report).values_list("cash_total", flat=True):
        amount -= value
    for direction, value in SalesReportCashMovement.objects.filter(report=report).values_list("direction", "amount"):
        amount += value if direction == SalesReportCashMovement.Direction.INCOME else -value
    return amount


@transaction.atomic
def sales_report_withdrawal_sync(*, report: RetailSalesReport, user=None) -> CashWithdrawal | None:
    """Make (or make again) and post the report's «Выемка денежных средств из кассы ККМ», as 1C does after
    an upload: the shift's cash moves from the register to the store's cash desk one second after the
    report. An unposted report, a store that does not want it, or nothing to take leaves the earlier one
    unposted; a person's change of the amount is replaced when the register sends the shift again."""
    existing = CashWithdrawal.objects.filter(sales_report=report).order_by("pk").first()
    amount = withdrawal_amount(report)
    store = report.store
    wanted = (report.posted and store is not None and report.cash_register_id is not None
              and store.cash_withdrawal_after_upload and amount > 0)
    if not wanted:
        if existing is not None and existing.posted:
            document_unpost(document=existing, user=user, reason="Отчет о розничных продажах без выемки")
        return existing
    withdrawal = existing or CashWithdrawal(sales_report=report)
    withdrawal.date = report.date + dt.timedelta(seconds=1)
    withdrawal.organization_id = report.organization_id
    withdrawal.store = store
    withdrawal.cash_register_id = report.cash_register_id
    withdrawal.amount = amount
    withdrawal.comment = f"Создана по отчету о розничных продажах {report.number}"
    if existing is None:
        withdrawal.responsible = user if getattr(user, "pk", None) else None
        document_number_assign(document=withdrawal)
    withdrawal._history_user = user if getattr(user, "pk", None) else None
    withdrawal._change_reason = "Повторная загрузка смены из ККМ" if existing else "Загрузка смены из ККМ"
    withdrawal.save()
    document_post(document=withdrawal, user=user, reason="Проведение при загрузке смены")
    return withdrawal
