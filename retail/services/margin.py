"""«Валовая прибыль» and «Денежные средства»: read from the posted sales reports, the cost the stock ledger
carries and the cash ledger. Sums are added as Decimals here (never by the database, whose SQLite adds
decimals as floats) and shown rounded half up to kopecks."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q
from django.utils.html import escape

from common.money import to_money, vat_included
from common.ru import money_text
from retail.models import (
    STORE_CASH_DESK,
    Item,
    MoneyMovement,
    Price,
    PriceSetting,
    RetailReturnsReport,
    RetailReturnsReportLine,
    RetailSalesReport,
    SalesReportGoodsLine,
    StockBalance,
    StockMovement,
    Store,
    VatRate,
    Warehouse,
)
from retail.services.costing import average_costs
from retail.services.reports import Column, Report

ZERO = Decimal(0)
NO_GROUP = "Без группы"
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь"]
BY = {"store": "Магазин", "warehouse": "Склад", "group": "Группа номенклатуры", "item": "Номенклатура"}
PERIODS = {"day": "День", "week": "Неделя", "month": "Месяц", "total": "Весь период"}


def margin_percent(profit: Decimal, revenue: Decimal) -> Decimal | None:
    """Gross profit as a percent of the revenue without VAT, to hundredths; None without revenue."""
    if not revenue:
        return None
    return (profit * 100 / revenue).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _bucket(day: dt.date, period: str) -> tuple[dt.date, str]:
    if period == "day":
        return day, f"{day:%d.%m.%Y}"
    if period == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, f"неделя с {monday:%d.%m.%Y}"
    if period == "month":
        first = day.replace(day=1)
        return first, f"{MONTHS[first.month - 1].capitalize()} {first.year}"
    return dt.date.min, "Весь период"


@dataclass
class Figures:
    revenue: Decimal = ZERO  # without VAT
    cost: Decimal = ZERO

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost


@dataclass
class ProfitReport(Report):
    buckets: list[tuple[str, Figures]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _documents(model, date_from, date_to, store_ids, store, warehouse) -> dict:
    documents = model.objects.filter(posted=True, date__gte=dt.datetime.combine(date_from, dt.time.min),
                                     date__lte=dt.datetime.combine(date_to, dt.time.max))
    if store_ids is not None:
        documents = documents.filter(store_id__in=store_ids)
    if store is not None:
        documents = documents.filter(store=store)
    if warehouse is not None:
        documents = documents.filter(warehouse=warehouse)
    return {d.pk: d for d in documents.select_related("store", "warehouse")}


def _reports(date_from, date_to, store_ids, store, warehouse):
    return _documents(RetailSalesReport, date_from, date_to, store_ids, store, warehouse)


def gross_profit(*, date_from: dt.date, date_to: dt.date, by: str = "item", period: str = "day", store=None,
                 warehouse=None, group=None, store_ids: list[int] | None = None) -> ProfitReport:
    """«Валовая прибыль»: revenue without VAT, cost of the goods sold, gross profit and margin of the posted
    sales reports, by store, warehouse, item group or item and by day, week or month. Returns of other shifts'
    checks («Отчет о розничных возвратах») take their revenue and cost back on the day they were made."""
    reports = _reports(date_from, date_to, store_ids, store, warehouse)
    returns = _documents(RetailReturnsReport, date_from, date_to, store_ids, store, warehouse)
    documents = {**{(RetailSalesReport, pk): r for pk, r in reports.items()},
                 **{(RetailReturnsReport, pk): r for pk, r in returns.items()}}
    figures: dict[tuple, Figures] = defaultdict(Figures)
    negative: dict[int, int] = defaultdict(int)
    sources = ((RetailSalesReport, SalesReportGoodsLine.objects.filter(report_id__in=list(reports)), "report_id", 1),
               (RetailReturnsReport, RetailReturnsReportLine.objects.filter(document_id__in=list(returns)),
                "document_id", -1))
    for model, lines, document_field, sign in sources:
        lines = lines.filter(item__isnull=False).values_list(document_field, "item_id", "amount", "vat_amount")
        moves = StockMovement.objects.filter(document_type=ContentType.objects.get_for_model(model),
                                             document_id__in=[pk for kind, pk in documents if kind is model])
        if group is not None:
            groups = group.descendant_ids()
            lines = lines.filter(item__group_id__in=groups)
            moves = moves.filter(item__group_id__in=groups)
        for document_id, item_id, amount, vat in lines:
            figures[((model, document_id), item_id)].revenue += sign * (amount - vat)
        for document_id, item_id, cost, flagged in moves.values_list("document_id", "item_id", "cost",
                                                                     "cost_negative"):
            figures[((model, document_id), item_id)].cost -= cost
            if flagged:
                negative[item_id] += 1
    items = {i.pk: i for i in Item.objects.filter(pk__in={k[1] for k in figures} | set(negative))
             .select_related("group")}

    def dimension(report, item: Item) -> str:
        if by == "store":
            return str(report.store or "—")
        if by == "warehouse":
            return str(report.warehouse or "—")
        if by == "group":
            return item.group.name if item.group_id else NO_GROUP
        return item.name

    rows: dict[tuple, Figures] = defaultdict(Figures)
    buckets: dict[tuple, Figures] = defaultdict(Figures)
    for (key, item_id), value in figures.items():
        report = documents[key]
        bucket = _bucket(report.date.date(), period)
        for target in (rows[(bucket, dimension(report, items[item_id]))], buckets[bucket]):
            target.revenue += value.revenue
            target.cost += value.cost
    columns = ([Column(PERIODS[period])] if period != "total" else []) + [
        Column(BY[by]), Column("Выручка без НДС", "money"), Column("Себестоимость", "money"),
        Column("Валовая прибыль", "money"), Column("Маржа, %", "percent")]
    report = ProfitReport("Валовая прибыль", columns,
                          subtitle=f"Период: {date_from:%d.%m.%Y} – {date_to:%d.%m.%Y}; по: {BY[by].lower()}")
    total = Figures()
    for ((_start, label), name), value in sorted(rows.items(), key=lambda kv: (kv[0][0][0], kv[0][1])):
        revenue, cost = to_money(value.revenue), to_money(value.cost)
        report.rows.append(([label] if period != "total" else []) + [
            name, revenue, cost, revenue - cost, margin_percent(revenue - cost, revenue)])
        total.revenue += revenue
        total.cost += cost
    report.totals = (["Итого"] + ([""] if period != "total" else [])
                     + [total.revenue, total.cost, total.profit, margin_percent(total.profit, total.revenue)])
    report.buckets = [(label, value) for (_start, label), value in sorted(buckets.items())]
    report.chart = profit_chart_svg(report.buckets)
    if negative:
        names = ", ".join(sorted(f"«{items[i].name}»" for i in negative))
        report.warnings.append(
            f"Себестоимость части проданного рассчитана при отрицательном остатке (по последней известной средней "
            f"себестоимости): {names}. Проведите поступления этих товаров — себестоимость пересчитается.")
    return report


def _axis_step(peak: Decimal) -> Decimal:
    """A round step for about four ticks: 1, 2 or 5 times a power of ten rubles."""
    raw = max(peak / 4, Decimal(1))
    power = Decimal(10) ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def profit_chart_svg(buckets: list[tuple[str, Figures]], width: int = 760, height: int = 280) -> str:
    """Revenue, cost and gross profit of each period as bars, with their legend and the axis in rubles."""
    left, right, top, bottom = 110, 10, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _label, f in buckets for v in (f.revenue, f.cost, f.profit)] or [ZERO]
    low, high = min([ZERO, *values]), max([Decimal(1), *values])
    step = _axis_step(high - low)
    low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    high = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    span = high - low

    def y(value: Decimal) -> float:
        return top + float((high - value) / span) * plot_h

    series = (("revenue", "Выручка без НДС", "#417690"), ("cost", "Себестоимость", "#c9a227"),
              ("profit", "Валовая прибыль", "#3a9a4b"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="profit-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Выручка, себестоимость и валовая прибыль">']
    for n, (css, label, color) in enumerate(series):
        x = left + n * 190
        parts.append(f'<g class="legend legend-{css}"><rect x="{x}" y="6" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 18}" y="16" font-size="12">{label}</text></g>')
    tick = low
    while tick <= high:
        parts.append(f'<line class="grid" x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
                     f'stroke="#ddd"/><text class="axis-label" x="{left - 6}" y="{y(tick) + 4:.1f}" '
                     f'text-anchor="end" font-size="11">{escape(money_text(tick).removesuffix(",00"))} руб.</text>')
        tick += step
    parts.append(f'<line x1="{left}" y1="{y(ZERO):.1f}" x2="{width - right}" y2="{y(ZERO):.1f}" stroke="#888"/>')
    slot = plot_w / max(len(buckets), 1)
    bar = max(slot * 0.8 / 3, 1)
    for n, (label, figures) in enumerate(buckets):
        x0 = left + n * slot + slot * 0.1
        for k, (css, name, color) in enumerate(series):
            value = getattr(figures, css)
            top_y, bottom_y = (y(value), y(ZERO)) if value >= 0 else (y(ZERO), y(value))
            parts.append(f'<rect class="bar-{css}" x="{x0 + k * bar:.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
                         f'height="{bottom_y - top_y:.1f}" fill="{color}"><title>{escape(label)}: {name.lower()} '
                         f'{escape(money_text(value))} руб.</title></rect>')
        if len(buckets) <= 31:
            parts.append(f'<text x="{x0 + 1.5 * bar:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="10">{escape(label[:10])}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- «Денежные средства» ---------------------------------------------------------------------

@dataclass
class MoneyRow:
    date: dt.datetime
    store: str
    place: str
    kind: str
    amount: Decimal
    document_type: ContentType
    document_id: int
    document: str


@dataclass
class MoneyStatement:
    at: dt.datetime
    date_from: dt.date
    date_to: dt.date
    balances: Report
    movements: list[MoneyRow]
    income: Decimal = ZERO
    expense: Decimal = ZERO


def money_statement(*, at: dt.date, date_from: dt.date, date_to: dt.date, store=None, cash_register=None,
                    store_ids: list[int] | None = None) -> MoneyStatement:
    """Cash of each register and store cash desk at the end of `at`, and the cash movements of the period."""
    rows = MoneyMovement.objects.all()
    stores = Store.objects.order_by("name")
    if store_ids is not None:
        rows, stores = rows.filter(store_id__in=store_ids), stores.filter(pk__in=store_ids)
    if store is not None:
        rows, stores = rows.filter(store=store), stores.filter(pk=store.pk)
    if cash_register is not None:
        rows = rows.filter(Q(cash_register=cash_register) | Q(cash_register__isnull=True, store=cash_register.store))
        stores = stores.filter(pk=cash_register.store_id)
    end = dt.datetime.combine(at, dt.time.max)
    held: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for store_id, register_id, amount in rows.filter(date__lte=end).values_list("store_id", "cash_register_id",
                                                                                 "amount"):
        held[(store_id, register_id)] += amount
    balances = Report("Остатки денежных средств", [Column("Магазин"), Column("Касса"), Column("Остаток", "money")],
                      subtitle=f"На конец дня {at:%d.%m.%Y}")
    total = ZERO
    for shop in stores.prefetch_related("cashregister_set"):
        registers = sorted(shop.cashregister_set.all(), key=lambda r: r.name)
        if cash_register is not None:
            registers = [r for r in registers if r.pk == cash_register.pk]
        for name, register_id in [(STORE_CASH_DESK, None)] + [(r.name, r.pk) for r in registers]:
            value = held.get((shop.pk, register_id), ZERO)
            balances.rows.append([shop.name, name, value])
            total += value
    balances.totals = ["Итого", "", total]
    start, finish = dt.datetime.combine(date_from, dt.time.min), dt.datetime.combine(date_to, dt.time.max)
    statement = MoneyStatement(end, date_from, date_to, balances, [])
    period = (rows.filter(date__gte=start, date__lte=finish).select_related("store", "cash_register", "document_type")
              .order_by("date", "document_type_id", "document_id", "line_number"))
    documents: dict[tuple[int, int], str] = {}
    for row in period:
        slot = (row.document_type_id, row.document_id)
        if slot not in documents:
            found = row.document
            documents[slot] = str(found) if found is not None else "—"
        statement.movements.append(MoneyRow(row.date, row.store.name, row.place, row.get_kind_display(), row.amount,
                                            row.document_type, row.document_id, documents[slot]))
        if row.amount > 0:
            statement.income += row.amount
        else:
            statement.expense -= row.amount
    return statement


def money_movements_report(statement: MoneyStatement) -> Report:
    """The period's movements as a plain table (for Excel)."""
    report = Report("Движения денежных средств", [
        Column("Период", "datetime"), Column("Магазин"), Column("Касса"), Column("Вид движения"),
        Column("Приход", "money"), Column("Расход", "money"), Column("Документ")],
        subtitle=f"Период: {statement.date_from:%d.%m.%Y} – {statement.date_to:%d.%m.%Y}")
    for row in statement.movements:
        report.rows.append([row.date, row.store, row.place, row.kind, row.amount if row.amount > 0 else None,
                            -row.amount if row.amount < 0 else None, row.document])
    report.totals = ["Итого", "", "", "", statement.income, statement.expense, ""]
    return report


# --- Cost beside the item, a price-setting document and a sales report -------------------------

@dataclass
class CostRow:
    name: str
    quantity: Decimal | None = None
    cost: Decimal | None = None
    average: Decimal = ZERO
    price: Decimal | None = None  # retail price with VAT
    margin: Decimal | None = None  # at that price without VAT, %
    revenue: Decimal | None = None
    profit: Decimal | None = None


def price_margin(price: Decimal | None, average: Decimal, vat_rate: str) -> Decimal | None:
    """The margin of selling at `price` (with VAT at the item's rate) what costs `average` (without VAT)."""
    if not price:
        return None
    net = price - vat_included(price, VatRate.percent(vat_rate))
    return margin_percent(net - average, net)


def _retail_price(item: Item, characteristic_id, price_type_id, on: dt.date) -> Decimal | None:
    if price_type_id is None:
        return None
    row = (Price.objects.filter(price_type_id=price_type_id, item=item, date__lte=on)
           .filter(Q(characteristic_id=characteristic_id) | Q(characteristic__isnull=True))
           .order_by("-date", F("characteristic_id").desc(nulls_last=True)).values_list("value", flat=True).first())
    return row


def item_costs(*, item: Item, store_ids: list[int] | None = None, on: dt.date | None = None) -> list[CostRow]:
    """Each warehouse's balance of the item with its cost and average, and the margin at the retail price of the
    warehouse's store today."""
    on = on or dt.date.today()
    balances = StockBalance.objects.filter(item=item).select_related("warehouse__store", "characteristic")
    if store_ids is not None:
        balances = balances.filter(warehouse__store_id__in=store_ids)
    rows = []
    for balance in balances.order_by("warehouse__name", "characteristic__name"):
        store = balance.warehouse.store
        price = _retail_price(item, balance.characteristic_id, store.retail_price_type_id if store else None, on)
        average = balance.average_cost
        name = str(balance.warehouse) + (f", {balance.characteristic}" if balance.characteristic_id else "")
        rows.append(CostRow(name, balance.quantity, to_money(balance.cost), average, price,
                            price_margin(price, average, item.vat_rate)))
    return rows


def price_setting_costs(*, document: PriceSetting, store_ids: list[int] | None = None) -> list[CostRow]:
    """The document's new prices beside the average cost of each position over the user's warehouses."""
    lines = list(document.lines.select_related("item", "characteristic").order_by("line_number"))
    warehouses = None
    if store_ids is not None:
        warehouses = list(Warehouse.objects.filter(store_id__in=store_ids).values_list("pk", flat=True))
    averages = average_costs(item_ids=[line.item_id for line in lines], warehouse_ids=warehouses)
    rows = []
    for line in lines:
        found = averages.get((line.item_id, line.characteristic_id)) or averages.get((line.item_id, None))
        average = found[2] if found else ZERO
        name = str(line.item) + (f", {line.characteristic}" if line.characteristic_id else "")
        rows.append(CostRow(name, average=average, price=line.price,
                            margin=price_margin(line.price, average, line.item.vat_rate) if found else None))
    return rows


def sales_report_costs(*, report: RetailSalesReport) -> list[CostRow]:
    """Each position of a posted report: quantity sold less returned, revenue without VAT, cost, profit, margin."""
    figures: dict[tuple[int, int | None], CostRow] = {}
    names = {}
    for line in report.salesreportgoodsline_set.filter(item__isnull=False).select_related("item", "characteristic"):
        key = (line.item_id, line.characteristic_id)
        names[key] = str(line.item) + (f", {line.characteristic}" if line.characteristic_id else "")
        row = figures.setdefault(key, CostRow(names[key], ZERO, ZERO, revenue=ZERO))
        row.quantity += line.quantity
        row.revenue += line.amount - line.vat_amount
    for item_id, ch_id, cost in StockMovement.objects.filter(
            document_type=ContentType.objects.get_for_model(RetailSalesReport), document_id=report.pk).values_list(
            "item_id", "characteristic_id", "cost"):
        row = figures.get((item_id, ch_id))
        if row is not None:
            row.cost -= cost
    rows = []
    for row in figures.values():
        row.cost = to_money(row.cost)
        row.profit = row.revenue - row.cost
        row.margin = margin_percent(row.profit, row.revenue)
        rows.append(row)
    return rows
