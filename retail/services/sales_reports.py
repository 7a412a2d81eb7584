"""The Retail Sales Report's own rules, whoever writes the report: its number, its unrecognized codes, the
reasons it stays unposted in Russian. The upload that writes it lives in `offline_exchange.services.sales`.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from retail.models import RetailSalesReport, SalesReportGoodsLine, SalesReportReturnedLine
from retail.services.numbering import number_text, numbers_take, prefix_of
from retail.services.reasons import reason_short, reason_text

# --- Number ----------------------------------------------------------------------------------------

PENDING_NUMBER = "~"


def number_pending() -> str:
    """A unique stand-in until a new report is numbered (`sales_reports_number`)."""
    return PENDING_NUMBER + uuid.uuid4().hex[:19]


@transaction.atomic
def sales_reports_number(*, reports: list[RetailSalesReport]) -> None:
    """New reports get the next numbers of their organization's prefix in their year (ТДРТ-000001), all at
    once and as the last writes before the caller's commit: the counters, taken in a fixed order, stay
    locked for milliseconds, not for a whole upload."""
    groups: dict[tuple[str, int], list[RetailSalesReport]] = defaultdict(list)
    for report in reports:
        groups[(prefix_of(report.organization), report.number_year)].append(report)
    for (prefix, year), members in sorted(groups.items()):
        sequences = numbers_take(model=RetailSalesReport, prefix=prefix, year=year, count=len(members))
        for report, sequence in zip(members, sequences):
            pending, report.number, report.number_seq = report.number, number_text(prefix, sequence), sequence
            RetailSalesReport.objects.filter(pk=report.pk).update(number=report.number, number_seq=sequence)
            # The history's first version shows the number the report got, not its stand-in.
            RetailSalesReport.history.filter(id=report.pk, number=pending).update(number=report.number,
                                                                                   number_seq=sequence)


# --- Unrecognized codes ----------------------------------------------------------------------------

@dataclass
class UnrecognizedCode:
    """One code of an unposted report's goods that matched no position (the lines are summed)."""

    code: str
    good_uuid: uuid.UUID | None
    checks: int | None  # how many checks sold it, known from the upload; None when it cannot be read
    quantity: Decimal
    prices: list[Decimal]
    amount: Decimal


def report_unrecognized_codes(*, report: RetailSalesReport) -> list[UnrecognizedCode]:
    """The codes of the report's goods (and returns) that are not a position of ours, in line order."""
    found: dict[tuple[str, uuid.UUID | None], UnrecognizedCode] = {}
    for model in (SalesReportGoodsLine, SalesReportReturnedLine):
        for line in model.objects.filter(report=report, item__isnull=True).order_by("line_number"):
            key = (line.sent_code, line.sent_good_uuid)
            row = found.get(key)
            if row is None:
                row = found[key] = UnrecognizedCode(line.sent_code, line.sent_good_uuid, None, Decimal(0), [],
                                                    Decimal(0))
            # Goods hold the net of sales and returns; a code only returned shows its returned lines.
            if model is SalesReportGoodsLine or not row.prices:
                row.quantity += line.quantity_packs
                row.amount += line.amount
            if line.price not in row.prices:
                row.prices.append(line.price)
    return list(found.values())


# --- Why it is not posted --------------------------------------------------------------------------

def sales_report_reasons(*, report: RetailSalesReport) -> list[str]:
    """The stored reasons in Russian, whole."""
    return [reason_text(reason) for reason in report.not_posted_reasons]


def sales_report_reasons_short(*, report: RetailSalesReport, unknown_codes: int) -> list[str]:
    """The stored reasons in a few words each, for the banner: «1 код не найден», «смена не закрыта»."""
    return [reason_short(reason, unknown_codes=unknown_codes) for reason in report.not_posted_reasons]
