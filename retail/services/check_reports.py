"""Reads of the kept checks: the checks list's search (number, date, amount, item, marking code) and the
shift analytics (checks and returns, average check, lines per check, sales by hour, store, register and
day, revenue by cash, card, SBP and other). Store scope applies wherever a user is given."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils.html import escape

from common.ru import money_text
from retail.models import Check, CheckLine, CheckMarkingCode, CheckPayment, Item, RetailReturnsReport
from retail.rights import scope_queryset

ZERO = Decimal(0)
SALE, SALE_RETURN = Check.Operation.SALE, Check.Operation.SALE_RETURN
MARKING_MIN = 8  # shorter terms are numbers or amounts, never a marking code's beginning
GS = "\x1d"  # the group separator a scanner leaves inside a marking code


def _scoped(queryset, user):
    # As the other reports (retail.services.reports): no user is code acting for nobody, the whole base.
    return queryset if user is None else scope_queryset(queryset, user)


# --- search --------------------------------------------------------------------------------


def _day(term: str) -> dt.date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return dt.datetime.strptime(term, pattern).date()
        except ValueError:
            continue
    return None


def _amount(term: str) -> Decimal | None:
    """1 306,84 / 1306.84 / 1306 as written in 1C (spaces, non-breaking ones too, and a comma)."""
    text = re.sub(r"[\s\xa0]", "", term).replace(",", ".")
    if not re.fullmatch(r"\d{1,13}(\.\d{1,2})?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def checks_search(*, queryset: QuerySet, term: str) -> QuerySet:
    """The checks that match a term by number, day (13.07.2020), amount (1 306,84), item (name or article)
    or marking code (the whole code or its beginning: GTIN and serial without the crypto tail)."""
    term = term.strip()
    if not term:
        return queryset
    found = Q(number=term)
    day = _day(term)
    if day is not None:
        found |= Q(date__gte=dt.datetime.combine(day, dt.time.min), date__lte=dt.datetime.combine(day, dt.time.max))
    amount = _amount(term)
    if amount is not None:
        found |= Q(total=amount)
    code = term.replace(GS, "")
    if len(code) >= MARKING_MIN:
        found |= Q(pk__in=CheckMarkingCode.objects.filter(code__startswith=code).values("check_doc_id"))
    if day is None and amount is None:
        items = Item.objects.filter(Q(name__icontains=term) | Q(article=term)).values("pk")
        found |= Q(pk__in=CheckLine.objects.filter(item__in=items).values("check_doc_id"))
    return queryset.filter(found)


def checks_of_marking_code(*, code: str, user=None) -> QuerySet:
    """The checks that sold or returned a marking code (the way to its shift, report and store)."""
    code = code.strip().replace(GS, "")
    checks = Check.objects.filter(pk__in=CheckMarkingCode.objects.filter(code__startswith=code)
                                  .values("check_doc_id")) if code else Check.objects.none()
    return _scoped(checks, user).select_related("report__store", "report__cash_register")


# --- payments: cash, card, SBP, other ----------------------------------------------------------

PAYMENT_GROUPS = ("cash", "card", "sbp", "other")
PAYMENT_LABELS = {"cash": "Наличные", "card": "Платежные карты", "sbp": "СБП", "other": "Прочие"}


def payment_group(*, kind_type: str | None, sbp: bool) -> str:
    """Where an electronic payment's revenue goes, as the report books it: no kind or a cash kind → cash
    (the register's mapping missing), a kind marked SBP → SBP, a card → card, a bank credit → other."""
    if kind_type is None or kind_type == "cash":
        return "cash"
    if kind_type == "card":
        return "sbp" if sbp else "card"
    return "other"


# --- the «Чеки» report and the shifts' figures ------------------------------------------------


@dataclass
class CheckFigures:
    """One group of checks (a shift, an hour, a store, a register, a day)."""

    checks: int = 0  # sale checks
    returns: int = 0  # return checks
    sales: Decimal = ZERO  # sum of the sale checks
    returned: Decimal = ZERO  # sum of the return checks
    lines: int = 0  # lines of the sale checks
    payments: dict[str, Decimal] = field(default_factory=lambda: {group: ZERO for group in PAYMENT_GROUPS})

    @property
    def average(self) -> Decimal:
        return (self.sales / self.checks).quantize(Decimal("0.01")) if self.checks else ZERO

    @property
    def lines_per_check(self) -> Decimal:
        return (Decimal(self.lines) / self.checks).quantize(Decimal("0.01")) if self.checks else ZERO

    def add(self, other: "CheckFigures") -> None:
        self.checks += other.checks
        self.returns += other.returns
        self.sales += other.sales
        self.returned += other.returned
        self.lines += other.lines
        for group in PAYMENT_GROUPS:
            self.payments[group] += other.payments[group]


def _money_sum(expression, condition: Q | None = None):
    return Coalesce(Sum(expression, filter=condition), Value(ZERO),
                    output_field=DecimalField(max_digits=17, decimal_places=2))


def _signed(name: str):
    # A return's payment is money given back: it counts against the revenue.
    return Case(When(operation=SALE_RETURN, then=-F(name)), default=F(name),
                output_field=DecimalField(max_digits=17, decimal_places=2))


def checks_in(*, date_from: dt.date, date_to: dt.date, store=None, cash_register=None, user=None) -> QuerySet:
    """Sale and return checks of the period (by the check's own time), in the user's stores."""
    checks = Check.objects.filter(operation__in=[SALE, SALE_RETURN],
                                  date__gte=dt.datetime.combine(date_from, dt.time.min),
                                  date__lte=dt.datetime.combine(date_to, dt.time.max))
    if store is not None:
        checks = checks.filter(report__store=store)
    if cash_register is not None:
        checks = checks.filter(report__cash_register=cash_register)
    return _scoped(checks, user)


# How checks are grouped: an expression on a check, given the path to the check ("" or "check_doc__").
GROUPINGS = {
    "hour": ("Час дня", lambda path: ExtractHour(f"{path}date")),
    "day": ("День", lambda path: TruncDate(f"{path}date")),
    "store": ("Магазин", lambda path: F(f"{path}report__store__name")),
    "cash_register": ("Касса ККМ", lambda path: F(f"{path}report__cash_register__name")),
    "report": ("Отчет о розничных продажах", lambda path: F(f"{path}report_id")),
}


def check_figures(checks: QuerySet, grouping: str | None = None) -> dict:
    """The figures of these checks grouped by one of GROUPINGS (None: all in one, under the key None); the
    electronic payments are read in one more query, grouped the same way."""
    group = GROUPINGS[grouping][1] if grouping else (lambda path: Value(None, output_field=IntegerField()))
    figures: dict = defaultdict(CheckFigures)
    rows = (checks.annotate(group_key=group("")).values("group_key").annotate(
        n_checks=Count("pk", filter=Q(operation=SALE)), n_returns=Count("pk", filter=Q(operation=SALE_RETURN)),
        sales=_money_sum("total", Q(operation=SALE)), returned=_money_sum("total", Q(operation=SALE_RETURN)),
        n_lines=Coalesce(Sum("line_count", filter=Q(operation=SALE)), Value(0)),
        cash=_money_sum(_signed("cash")), prepaid=_money_sum(_signed("prepayment")),
        credit=_money_sum(_signed("postpayment")), barter=_money_sum(_signed("barter"))).order_by())
    for row in rows:
        one = figures[row["group_key"]]
        one.checks, one.returns, one.sales, one.returned, one.lines = (
            row["n_checks"], row["n_returns"], row["sales"], row["returned"], row["n_lines"])
        one.payments["cash"] += row["cash"]
        one.payments["other"] += row["prepaid"] + row["credit"] + row["barter"]
    payments = (CheckPayment.objects.filter(check_doc__in=checks.values("pk"))
                .annotate(group_key=group("check_doc__"))
                .values("group_key", "payment_kind__type", "payment_kind__sbp", "check_doc__operation")
                .annotate(paid=_money_sum("amount")).order_by())
    for row in payments:
        where = payment_group(kind_type=row["payment_kind__type"], sbp=bool(row["payment_kind__sbp"]))
        sign = -1 if row["check_doc__operation"] == SALE_RETURN else 1
        figures[row["group_key"]].payments[where] += sign * row["paid"]
    return figures


def shift_check_figures(*, report_ids: list[int]) -> dict[int, CheckFigures]:
    """The checks of these shifts' reports, per report id."""
    return check_figures(Check.objects.filter(report_id__in=report_ids, operation__in=[SALE, SALE_RETURN]),
                         "report")


def returns_reports_in(*, date_from: dt.date, date_to: dt.date, store=None, cash_register=None,
                       user=None) -> QuerySet:
    """The posted «Отчеты о розничных возвратах» of the period, by the day the goods came back."""
    documents = RetailReturnsReport.objects.filter(posted=True, date__gte=dt.datetime.combine(date_from, dt.time.min),
                                                   date__lte=dt.datetime.combine(date_to, dt.time.max))
    if store is not None:
        documents = documents.filter(store=store)
    if cash_register is not None:
        documents = documents.filter(cash_register=cash_register)
    return _scoped(documents, user)


def hour_chart_svg(by_hour: dict[int, CheckFigures], width: int = 720, height: int = 260) -> str:
    """Sales and returns by hour of day as an inline SVG with its legend: no script, no external file."""
    left, bottom, top = 70, 30, 34
    plot_w, plot_h = width - left - 10, height - bottom - top
    hours = list(range(24))
    peak = max([f.sales for f in by_hour.values()] + [f.returned for f in by_hour.values()] + [Decimal(1)])
    slot = plot_w / 24
    bar = max(slot * 0.38, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="hours-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Продажи и возвраты по часам дня">',
             # The legend: what each colour is.
             f'<g class="legend"><rect x="{left}" y="6" width="12" height="12" fill="#417690"/>'
             f'<text x="{left + 16}" y="16" font-size="12">Продажи</text>'
             f'<rect x="{left + 100}" y="6" width="12" height="12" fill="#ba2121"/>'
             f'<text x="{left + 116}" y="16" font-size="12">Возвраты</text></g>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 5}" y="{top + 10}" text-anchor="end" font-size="11">{escape(money_text(peak))}</text>',
             f'<text x="{left - 5}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>']
    for hour in hours:
        figures = by_hour.get(hour) or CheckFigures()
        x = left + hour * slot + slot * 0.1
        for offset, value, color, what, css in ((0, figures.sales, "#417690", "продажи", "bar-sales"),
                                                (bar, figures.returned, "#ba2121", "возвраты", "bar-returns")):
            h = float(max(value, ZERO) / peak) * plot_h
            parts.append(f'<rect class="{css}" data-hour="{hour}" x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}" fill="{color}"><title>{hour:02d}:00–{hour:02d}:59: '
                         f'{what} {escape(money_text(value))}</title></rect>')
        parts.append(f'<text x="{x + bar:.1f}" y="{height - 12}" text-anchor="middle" font-size="10">{hour}</text>')
    parts.append("</svg>")
    return "".join(parts)
