"""The cash ledger's writer: the money rows a posted document owns (a sales report, a returns document, a
withdrawal).

A register's cash-in check («Внесение») brings cash from the store's cash desk, its cash-out check
(«Выемка») takes it there: the store's money stays in the store's books. The withdrawal made after an
upload then moves what the shift left in the register to the desk.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType

from retail.models import CashWithdrawal, MoneyMovement, RetailReturnsReport, RetailSalesReport, SalesReportCashMovement

Kind = MoneyMovement.Kind


@dataclass(frozen=True)
class MoneyRow:
    date: datetime
    store_id: int
    cash_register_id: int | None  # None: the store's cash desk
    kind: str
    amount: Decimal


def _report_rows(report: RetailSalesReport) -> list[MoneyRow]:
    if report.store_id is None or report.cash_register_id is None:
        return []
    store, register = report.store_id, report.cash_register_id
    rows = []
    sales = report.cash_total + report.cash_returns_total
    if sales:
        rows.append(MoneyRow(report.date, store, register, Kind.SALE, sales))
    if report.cash_returns_total:
        rows.append(MoneyRow(report.date, store, register, Kind.RETURN, -report.cash_returns_total))
    for move in SalesReportCashMovement.objects.filter(report=report).order_by("line_number"):
        sign = 1 if move.direction == SalesReportCashMovement.Direction.INCOME else -1
        kind = Kind.CASH_IN if sign > 0 else Kind.CASH_OUT
        rows.append(MoneyRow(move.date, store, register, kind, sign * move.amount))
        rows.append(MoneyRow(move.date, store, None, kind, -sign * move.amount))
    return rows


def document_money_rows(document) -> list[MoneyRow]:
    """The cash rows the document writes when posted (stock documents write none)."""
    if isinstance(document, RetailSalesReport):
        return _report_rows(document)
    if isinstance(document, RetailReturnsReport):
        # The cash paid back on a return of another shift's check leaves the register it was made at.
        if document.store_id is None or document.cash_register_id is None or not document.cash_total:
            return []
        return [MoneyRow(document.date, document.store_id, document.cash_register_id, Kind.RETURN,
                         -document.cash_total)]
    if isinstance(document, CashWithdrawal) and document.amount:
        return [MoneyRow(document.date, document.store_id, document.cash_register_id, Kind.WITHDRAWAL,
                         -document.amount),
                MoneyRow(document.date, document.store_id, None, Kind.WITHDRAWAL, document.amount)]
    return []


def money_replace(document, rows: list[MoneyRow]) -> None:
    """The document's cash rows become `rows` (re-posting never doubles, unposting removes them)."""
    content_type = ContentType.objects.get_for_model(document)
    MoneyMovement.objects.filter(document_type=content_type, document_id=document.pk).delete()
    MoneyMovement.objects.bulk_create([
        MoneyMovement(date=row.date, store_id=row.store_id, cash_register_id=row.cash_register_id, kind=row.kind,
                      amount=row.amount, document_type=content_type, document_id=document.pk, line_number=n)
        for n, row in enumerate(rows, 1) if row.amount
    ])
