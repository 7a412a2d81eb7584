"""The reports a store looks at every morning, read from the stock ledger and the posted sales reports.

Each report is read for a `user`: only the rows of the user's stores (`retail.rights`). No user (None) is
code that acts for nobody, a command or a test: the whole base."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from common.ru import money_text
from retail.models import (
    Item,
    ItemGroup,
    RetailReturnsReport,
    RetailReturnsReportLine,
    RetailReturnsReportPayment,
    RetailSalesReport,
    SalesReportBankCreditPayment,
    SalesReportCardPayment,
    SalesReportCashMovement,
    SalesReportGoodsLine,
    SalesReportReturnedLine,
    StockMovement,
)
from retail.rights import scope_queryset
from retail.services.check_reports import (
    GROUPINGS,
    PAYMENT_GROUPS,
    CheckFigures,
    check_figures,
    checks_in,
    hour_chart_svg,
    payment_group,
    shift_check_figures,
)

ZERO = Decimal(0)


@dataclass
class Column:
    label: str
    kind: str = "text"  # text, qty, money, date, datetime


@dataclass
class Report:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    totals: list | None = None
    chart: str = ""  # an SVG drawn here, on the server
    subtitle: str = ""
    # Further total rows: quantities are totalled per unit («Итого, кг», «Итого, шт»), never across units.
    more_totals: list[list] = field(default_factory=list)

    def column(self, label: str) -> int:
        return [c.label for c in self.columns].index(label)


# One word per meaning in every report: «Продажи» what was sold, «Возвраты» what came back, «Выручка» their
# difference (a report's «Всего»: its goods are sold less returned).
SALES, RETURNS, REVENUE = "Продажи", "Возвраты", "Выручка"


def _unit_totals(rows: list[list], unit_at: int, quantity_at: list[int], width: int, label_at: int = 0) -> list[list]:
    """Total rows of the quantity columns, one per unit (one «Итого» when every row has the same unit)."""
    by_unit: dict[str, list] = {}
    for row in rows:
        sums = by_unit.setdefault(row[unit_at] or "", [ZERO] * len(quantity_at))
        for n, at in enumerate(quantity_at):
            sums[n] += row[at] or ZERO
    totals = []
    for unit, sums in sorted(by_unit.items()):
        total = [""] * width
        total[label_at] = "Итого" if len(by_unit) == 1 else f"Итого, {unit}"
        if len(by_unit) > 1:
            total[unit_at] = unit
        for n, at in enumerate(quantity_at):
            total[at] = sums[n]
        totals.append(total)
    return totals or [["Итого"] + [""] * (width - 1)]


def _sum(query: Q | None = None):
    return Coalesce(Sum("quantity", filter=query), Value(ZERO), output_field=DecimalField(max_digits=15,
                                                                                           decimal_places=3))


def _group_items(group: ItemGroup | None) -> Q:
    return Q(item__group_id__in=group.descendant_ids()) if group is not None else Q()


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min)


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max)


def _position_name(row) -> str:
    name = row["item__name"]
    return f"{name}, {row['characteristic__name']}" if row.get("characteristic__name") else name


def _scoped(queryset, user):
    return queryset if user is None else scope_queryset(queryset, user)


def stock_statement(*, date_from: dt.date, date_to: dt.date, warehouse=None, group=None, user=None) -> Report:
    """«Ведомость по товарам на складах»: opening, in, out, closing per position for the period."""
    start, end = _day_start(date_from), _day_end(date_to)
    moves = _scoped(StockMovement.objects.all(), user).filter(date__lte=end).filter(_group_items(group))
    if warehouse is not None:
        moves = moves.filter(warehouse=warehouse)
    in_period = Q(date__gte=start, date__lte=end)
    rows = (moves.values("warehouse__name", "item_id", "item__name", "characteristic__name", "characteristic_id",
                         "item__base_unit__name")
            .annotate(opening=_sum(Q(date__lt=start)), income=_sum(in_period & Q(quantity__gt=0)),
                      expense=_sum(in_period & Q(quantity__lt=0)), closing=_sum())
            .order_by("warehouse__name", "item__name", "characteristic__name"))
    report = Report("Ведомость по товарам на складах", [
        Column("Склад"), Column("Номенклатура"), Column("Ед. изм."), Column("Начальный остаток", "qty"),
        Column("Приход", "qty"), Column("Расход", "qty"), Column("Конечный остаток", "qty")],
        subtitle=f"Период: {date_from:%d.%m.%Y} – {date_to:%d.%m.%Y}")
    for row in rows:
        values = [row["opening"], row["income"], -row["expense"], row["closing"]]
        if not any(values):
            continue
        report.rows.append([row["warehouse__name"], _position_name(row), row["item__base_unit__name"] or ""] + values)
    report.totals, *report.more_totals = _unit_totals(report.rows, 2, [3, 4, 5, 6], len(report.columns))
    return report


def stock_on_date(*, at: dt.datetime, warehouse=None, group=None, user=None) -> Report:
    """«Остатки товаров» at a moment: the sum of the movements up to it."""
    moves = _scoped(StockMovement.objects.all(), user).filter(date__lte=at).filter(_group_items(group))
    if warehouse is not None:
        moves = moves.filter(warehouse=warehouse)
    rows = (moves.values("warehouse__name", "item__name", "characteristic__name", "item__base_unit__name")
            .annotate(total=_sum()).order_by("warehouse__name", "item__name", "characteristic__name"))
    report = Report("Остатки товаров", [Column("Склад"), Column("Номенклатура"), Column("Ед. изм."),
                                        Column("Остаток", "qty")], subtitle=f"На {at:%d.%m.%Y %H:%M:%S}")
    for row in rows:
        if row["total"]:
            report.rows.append([row["warehouse__name"], _position_name(row), row["item__base_unit__name"] or "",
                                row["total"]])
    report.totals, *report.more_totals = _unit_totals(report.rows, 2, [3], len(report.columns))
    return report


def _posted_reports(date_from, date_to, store=None, cash_register=None, user=None):
    reports = _scoped(RetailSalesReport.objects.all(), user).filter(
        posted=True, date__gte=_day_start(date_from), date__lte=_day_end(date_to))
    if store is not None:
        reports = reports.filter(store=store)
    if cash_register is not None:
        reports = reports.filter(cash_register=cash_register)
    return reports


@dataclass
class SalesDay:
    day: dt.date
    revenue: Decimal = ZERO  # «Выручка»: sold less returned
    returns: Decimal = ZERO
    # Sold less returned, per unit (the column's label: «Количество, кг»): never one sum of kilograms and pieces.
    quantities: dict[str, Decimal] = field(default_factory=dict)

    @property
    def sales(self) -> Decimal:
        return self.revenue + self.returns


def _quantity_label(kind: str, unit: str | None) -> str:
    # Pieces, kilograms and services are never added together.
    what = "Услуги" if kind == Item.Kind.SERVICE else "Количество"
    return f"{what}, {unit}" if unit else what


def sales_by_day(*, date_from: dt.date, date_to: dt.date, store=None, cash_register=None, item: Item | None = None,
                 group=None, user=None) -> list[SalesDay]:
    """Net quantity (per unit) and revenue of the posted reports' goods, and their returns, per day."""
    reports = _posted_reports(date_from, date_to, store, cash_register, user)
    where = Q(report__in=reports) & _group_items(group)
    if item is not None:
        where &= Q(item=item)
    days = {date_from + dt.timedelta(days=n): SalesDay(date_from + dt.timedelta(days=n))
            for n in range((date_to - date_from).days + 1)}
    for row in (SalesReportGoodsLine.objects.filter(where).annotate(day=TruncDate("report__date"))
                .values("day", "item__kind", "item__base_unit__name").annotate(q=Sum("quantity"), s=Sum("amount"))):
        day = days[row["day"]]
        label = _quantity_label(row["item__kind"], row["item__base_unit__name"])
        day.quantities[label] = day.quantities.get(label, ZERO) + (row["q"] or ZERO)
        day.revenue += row["s"] or ZERO
    for row in (SalesReportReturnedLine.objects.filter(where).annotate(day=TruncDate("report__date"))
                .values("day").annotate(s=Sum("amount"))):
        days[row["day"]].returns = row["s"] or ZERO
    # Returns of other shifts' checks («Отчет о розничных возвратах») count on the day the goods came back;
    # the sale's day keeps its revenue.
    documents = _scoped(RetailReturnsReport.objects.all(), user).filter(
        posted=True, date__gte=_day_start(date_from), date__lte=_day_end(date_to))
    if store is not None:
        documents = documents.filter(store=store)
    if cash_register is not None:
        documents = documents.filter(cash_register=cash_register)
    returned = Q(document__in=documents) & _group_items(group) & (Q(item=item) if item is not None else Q())
    for row in (RetailReturnsReportLine.objects.filter(returned).annotate(day=TruncDate("document__date"))
                .values("day", "item__kind", "item__base_unit__name").annotate(q=Sum("quantity"), s=Sum("amount"))):
        day = days[row["day"]]
        label = _quantity_label(row["item__kind"], row["item__base_unit__name"])
        day.quantities[label] = day.quantities.get(label, ZERO) - (row["q"] or ZERO)
        day.revenue -= row["s"] or ZERO
        day.returns += row["s"] or ZERO
    return list(days.values())


def sales(*, date_from: dt.date, date_to: dt.date, store=None, cash_register=None, item=None, group=None,
          user=None) -> Report:
    """«Продажи»: by day, the quantity sold less returned per unit, «Продажи», «Возвраты» and «Выручка»
    (their difference), with the revenue and the returns drawn as a chart."""
    days = sales_by_day(date_from=date_from, date_to=date_to, store=store, cash_register=cash_register, item=item,
                        group=group, user=user)
    units = sorted({label for day in days for label in day.quantities})
    report = Report("Продажи", [Column("День", "date"), *(Column(label, "qty") for label in units),
                                Column(SALES, "money"), Column(RETURNS, "money"), Column(REVENUE, "money")],
                    subtitle=f"Период: {date_from:%d.%m.%Y} – {date_to:%d.%m.%Y}. Количество — продано за вычетом "
                             "возвратов; выручка — продажи за вычетом возвратов.")
    for day in days:
        report.rows.append([day.day, *(day.quantities.get(label, ZERO) for label in units), day.sales, day.returns,
                            day.revenue])
    report.totals = ["Итого", *(sum((d.quantities.get(label, ZERO) for d in days), ZERO) for label in units),
                     sum((d.sales for d in days), ZERO), sum((d.returns for d in days), ZERO),
                     sum((d.revenue for d in days), ZERO)]
    report.chart = sales_chart_svg(days)
    return report


def sales_chart_svg(days: list[SalesDay], width: int = 720, height: int = 240) -> str:
    """Revenue (bars) and returns (red bars) per day as an inline SVG: no script, no external file. A legend
    names the bars and the axes say their units (roubles up, days along)."""
    from django.utils.html import escape

    left, bottom, top = 70, 44, 30
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([d.revenue for d in days] + [d.returns for d in days] + [Decimal(1)])
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.35, 1)
    series = ((REVENUE, "#417690", "revenue"), (RETURNS, "#ba2121", "returns"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="sales-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{REVENUE} и {RETURNS.lower()} по дням, руб.">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text class="axis-y" x="{left - 5}" y="{top - 8}" text-anchor="end" font-size="11">руб.</text>',
             f'<text x="{left - 5}" y="{top + 10}" text-anchor="end" font-size="11">{escape(money_text(peak))}</text>',
             f'<text x="{left - 5}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
             f'<text class="axis-x" x="{width - 10}" y="{height - 4}" text-anchor="end" font-size="11">день</text>']
    for n, (label, color, css) in enumerate(series):
        x = left + 10 + n * 110
        parts.append(f'<g class="legend legend-{css}"><rect x="{x}" y="6" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="16" font-size="12">{label}</text></g>')
    for n, day in enumerate(days):
        x = left + n * slot + slot * 0.1
        for offset, value, color, what in ((0, day.revenue, "#417690", REVENUE.lower()),
                                           (bar, day.returns, "#ba2121", RETURNS.lower())):
            h = float(max(value, ZERO) / peak) * plot_h
            parts.append(f'<rect class="bar-{"revenue" if offset == 0 else "returns"}" x="{x + offset:.1f}" '
                         f'y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                         f'<title>{day.day:%d.%m.%Y}: {what} {escape(money_text(value))} руб.</title></rect>')
        if len(days) <= 31:
            parts.append(f'<text x="{x + bar:.1f}" y="{height - 22}" text-anchor="middle" font-size="10">'
                         f'{day.day:%d.%m}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _shift_payments(report_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Each report's revenue by cash, card, SBP and other, less what its returns documents (returns of
    other shifts' checks made in it) gave back: the shift's drawer and terminals as they stand."""
    split: dict[int, dict[str, Decimal]] = defaultdict(lambda: {group: ZERO for group in PAYMENT_GROUPS})
    for report in RetailSalesReport.objects.filter(pk__in=report_ids).only(
            "pk", "cash_total", "prepayment_total", "postpayment_total", "barter_total"):
        split[report.pk]["cash"] += report.cash_total
        split[report.pk]["other"] += report.prepayment_total + report.postpayment_total + report.barter_total
    for report_id, kind_type, sbp, amount in (SalesReportCardPayment.objects.filter(report_id__in=report_ids)
                                              .values_list("report_id", "payment_kind__type", "payment_kind__sbp",
                                                           "amount")):
        split[report_id][payment_group(kind_type=kind_type, sbp=sbp)] += amount
    for report_id, amount in SalesReportBankCreditPayment.objects.filter(report_id__in=report_ids).values_list(
            "report_id", "amount"):
        split[report_id]["other"] += amount
    for report_id, amount in RetailReturnsReport.objects.filter(shift_report_id__in=report_ids, posted=True
                                                                ).values_list("shift_report_id", "cash_total"):
        split[report_id]["cash"] -= amount
    for report_id, kind_type, sbp, amount in (RetailReturnsReportPayment.objects.filter(
            document__shift_report_id__in=report_ids, document__posted=True)
            .values_list("document__shift_report_id", "payment_kind__type", "payment_kind__sbp", "amount")):
        split[report_id][payment_group(kind_type=kind_type, sbp=sbp)] -= amount
    return split


def cash_shifts(*, date_from: dt.date, date_to: dt.date, store=None, cash_register=None, user=None) -> Report:
    """«Кассовые смены»: per register and shift — its checks (count, returns, average check, lines per check),
    sales, returns (those of other shifts' checks made in it too), revenue (their difference) by cash, card, SBP
    and other, cash in / out. In the user's stores."""
    reports = list(_posted_reports(date_from, date_to, store, cash_register, user)
                   .select_related("cash_register").order_by("cash_register__name", "date"))
    ids = [r.pk for r in reports]
    moves = defaultdict(lambda: [ZERO, ZERO])
    for report_id, direction, amount in SalesReportCashMovement.objects.filter(report_id__in=ids).values_list(
            "report_id", "direction", "amount"):
        moves[report_id][0 if direction == SalesReportCashMovement.Direction.INCOME else 1] += amount
    checks = shift_check_figures(report_ids=ids)
    payments = _shift_payments(ids)
    other_returns = dict(RetailReturnsReport.objects.filter(shift_report_id__in=ids, posted=True)
                         .values("shift_report_id").annotate(s=Sum("total")).values_list("shift_report_id", "s"))
    report = Report("Кассовые смены", [
        Column("Касса ККМ"), Column("Смена"), Column("Открыта", "datetime"), Column("Закрыта", "datetime"),
        Column("Отчет"), Column("Чеков", "qty"), Column("Возвратов", "qty"), Column("Средний чек", "money"),
        Column("Строк на чек", "qty"), Column(SALES, "money"), Column(RETURNS, "money"), Column(REVENUE, "money"),
        Column("Наличные", "money"), Column("Платежные карты", "money"), Column("СБП", "money"),
        Column("Прочие", "money"), Column("Внесения", "money"), Column("Выемки", "money")],
        subtitle=f"Период: {date_from:%d.%m.%Y} – {date_to:%d.%m.%Y}. Выручка — продажи за вычетом возвратов.")
    totals, all_checks = [ZERO] * 9, CheckFigures()
    for r in reports:
        figures = checks.get(r.pk) or CheckFigures()
        all_checks.add(figures)
        split = payments[r.pk]
        returned = r.returns_total + (other_returns.get(r.pk) or ZERO)
        sold = r.total + r.returns_total
        values = [sold, returned, sold - returned, split["cash"], split["card"], split["sbp"], split["other"],
                  moves[r.pk][0], moves[r.pk][1]]
        report.rows.append([str(r.cash_register or "—"), r.shift_number, r.shift_opened_at, r.shift_closed_at,
                            r.number, figures.checks, figures.returns, figures.average, figures.lines_per_check]
                           + values)
        totals = [a + b for a, b in zip(totals, values)]
    report.totals = (["Итого", "", "", "", "", all_checks.checks, all_checks.returns, all_checks.average,
                      all_checks.lines_per_check] + totals)
    return report


def checks_report(*, date_from: dt.date, date_to: dt.date, grouping: str = "hour", store=None,
                  cash_register=None, user=None) -> Report:
    """«Чеки»: checks and returns, average check, lines per check, sales and returns and the revenue by cash,
    card, SBP and other, by hour of day, store, register or day; the sales by hour drawn with a legend.
    From the kept checks (by each check's own time), in the user's stores."""
    checks = checks_in(date_from=date_from, date_to=date_to, store=store, cash_register=cash_register, user=user)
    label = GROUPINGS[grouping][0]
    report = Report("Чеки", [
        Column(label, "date" if grouping == "day" else "text"), Column("Чеков", "qty"), Column("Возвратов", "qty"),
        Column("Средний чек", "money"), Column("Строк на чек", "qty"), Column("Продажи", "money"),
        Column("Возвраты", "money"), Column("Наличные", "money"), Column("Платежные карты", "money"),
        Column("СБП", "money"), Column("Прочие", "money")],
        subtitle=f"Период: {date_from:%d.%m.%Y} – {date_to:%d.%m.%Y}; по чекам кассы (время чека)")
    grouped = check_figures(checks, grouping)
    total = CheckFigures()

    def shown(key):
        if grouping == "hour":
            return f"{key:02d}:00–{key:02d}:59"
        return key if key is not None else "—"

    for key in sorted(grouped, key=lambda k: (k is None, k)):
        figures = grouped[key]
        total.add(figures)
        report.rows.append([shown(key)] + _figures_row(figures))
    report.totals = ["Итого"] + _figures_row(total)
    by_hour = grouped if grouping == "hour" else check_figures(checks, "hour")
    report.chart = hour_chart_svg(by_hour)
    return report


def _figures_row(figures: CheckFigures) -> list:
    return [figures.checks, figures.returns, figures.average, figures.lines_per_check, figures.sales,
            figures.returned] + [figures.payments[group] for group in PAYMENT_GROUPS]


def report_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook, numbers as numbers in Russian display formats."""
    return reports_xlsx([report])


XLSX_FORMATS = {"qty": "#,##0.###", "money": "#,##0.00", "percent": "0.00", "date": "DD.MM.YYYY",
                "datetime": "DD.MM.YYYY HH:MM:SS"}


def reports_xlsx(reports: list[Report]) -> bytes:
    """Reports as the sheets of one workbook (a report with two tables, as «Денежные средства»)."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for report in reports:
        sheet = book.create_sheet(report.title[:31])
        sheet.append([report.title])
        sheet["A1"].font = Font(bold=True, size=13)
        if report.subtitle:
            sheet.append([report.subtitle])
        sheet.append([c.label for c in report.columns])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        # The totals, then one more total row per unit where quantities are totalled per unit.
        total_rows = ([report.totals] if report.totals else []) + report.more_totals
        for row in report.rows + total_rows:
            sheet.append(list(row))
            for cell, column in zip(sheet[sheet.max_row], report.columns):
                if column.kind in XLSX_FORMATS and not isinstance(cell.value, str):
                    cell.number_format = XLSX_FORMATS[column.kind]
        if report.totals:
            for row in sheet.iter_rows(min_row=sheet.max_row - len(total_rows) + 1):
                for cell in row:
                    cell.font = Font(bold=True)
        for n, column in enumerate(report.columns, 1):
            letter = sheet.cell(row=1, column=n).column_letter
            sheet.column_dimensions[letter].width = 40 if column.kind == "text" else 16
    out = BytesIO()
    book.save(out)
    return out.getvalue()
