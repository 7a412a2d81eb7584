"""The Retail Sales Report as 1С:Розница shows it: header, tabs with their rows, totals under the goods.

Only converts the stored report into what the templates print (Russian formats, «⚠ не найден»); the
decisions (what is unknown, why it is not posted) come from offline_exchange.services.sales.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from common.ru import datetime_text, money_text, quantity_text
from offline_exchange.models import DeviceCodeAlias
from offline_exchange.services.code_aliases import sku_number_is_free
from offline_exchange.services.sales import sales_report_unrecognized
from retail.models import RetailSalesReport, VatRate
from retail.services.sales_reports import sales_report_reasons, sales_report_reasons_short

NUM, TEXT = "num", "text"


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (label, kind)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)  # (text, kind) per cell
    empty: str = "Нет строк."


@dataclass
class Tab:
    slug: str
    title: str
    count: int
    tables: list[tuple[str, Table]] = field(default_factory=list)  # (caption, table)
    fields: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    text: str = ""


def vat_text(rate: str) -> str:
    return "Без НДС" if not rate or rate == VatRate.NONE else f"{rate}%"


def _name(line) -> str:
    if line.item_id is None:
        return f"⚠ не найден: код {line.sent_code or '(пусто)'}"
    return str(line.item)


def _unit(line) -> str:
    if line.pack_id:
        return str(line.pack)
    return str(line.item.base_unit) if line.item_id else ""


def goods_table(report: RetailSalesReport, lines) -> Table:
    warehouse = str(report.warehouse) if report.warehouse_id else ""
    table = Table([("N", NUM), ("Артикул", TEXT), ("Номенклатура", TEXT), ("Характеристика", TEXT),
                   ("Количество", NUM), ("Ед. изм.", TEXT), ("Цена", NUM), ("Всего", NUM), ("% НДС", NUM),
                   ("НДС", NUM), ("Склад", TEXT)])
    for line in lines:
        table.rows.append([
            (str(line.line_number), NUM), (line.item.article if line.item_id else "", TEXT), (_name(line), TEXT),
            (str(line.characteristic) if line.characteristic_id else "", TEXT),
            (quantity_text(line.quantity_packs), NUM), (_unit(line), TEXT), (money_text(line.price), NUM),
            (money_text(line.amount), NUM), (vat_text(line.vat_rate), NUM), (money_text(line.vat_amount), NUM),
            (warehouse, TEXT),
        ])
    return table


def _report_lines(report: RetailSalesReport):
    related = ["item__base_unit", "characteristic", "pack"]
    goods = list(report.salesreportgoodsline_set.select_related(*related))
    returned = list(report.salesreportreturnedline_set.select_related(*related))
    return goods, returned


def totals_text(report: RetailSalesReport) -> str:
    return (f"Всего: {money_text(report.total)} | НДС в т.ч.: {money_text(report.vat_total)} | "
            f"Возврат: {money_text(report.returns_total)}")


def header_fields(report: RetailSalesReport) -> list[tuple[str, str]]:
    def shown(value):
        return str(value) if value is not None else "—"

    return [
        ("Касса ККМ", shown(report.cash_register)), ("Магазин", shown(report.store)),
        ("Организация", shown(report.organization)), ("Склад", shown(report.warehouse)),
        ("Смена", f"№ {report.shift_number}, открыта {datetime_text(report.shift_opened_at)}"
                  + (f", закрыта {datetime_text(report.shift_closed_at)}" if report.shift_closed_at
                     else ", не закрыта")),
        ("Подключаемое оборудование", shown(report.device)),
        # Which upload the report stands on: a reload of an older one is refused.
        ("Загружен из", f"выгрузки от {datetime_text(report.journal_entry.created_at)} (запись журнала "
                        f"№ {report.journal_entry.pk})" if report.journal_entry else "—"),
    ]


def report_tabs(report: RetailSalesReport, goods, returned) -> list[Tab]:
    returned_table = Table([("N", NUM), ("Артикул", TEXT), ("Номенклатура", TEXT), ("Характеристика", TEXT),
                            ("Количество", NUM), ("Ед. изм.", TEXT), ("Цена", NUM), ("Сумма", NUM),
                            ("% НДС", NUM), ("НДС", NUM)])
    for line in returned:
        returned_table.rows.append([
            (str(line.line_number), NUM), (line.item.article if line.item_id else "", TEXT), (_name(line), TEXT),
            (str(line.characteristic) if line.characteristic_id else "", TEXT),
            (quantity_text(line.quantity_packs), NUM), (_unit(line), TEXT), (money_text(line.price), NUM),
            (money_text(line.amount), NUM), (vat_text(line.vat_rate), NUM), (money_text(line.vat_amount), NUM),
        ])

    cash_fields = [(label, money_text(value)) for label, value in (
        ("Наличными", report.cash_total), ("Зачтено предоплатой", report.prepayment_total),
        ("В кредит (постоплата)", report.postpayment_total), ("Встречным предоставлением", report.barter_total))]
    cash_count = sum(1 for value in (report.cash_total, report.prepayment_total, report.postpayment_total,
                                     report.barter_total) if value)

    cards = Table([("N", NUM), ("Вид оплаты", TEXT), ("Код вида электронной оплаты", TEXT), ("Сумма", NUM)])
    for line in report.salesreportcardpayment_set.select_related("payment_kind"):
        cards.rows.append([(str(line.line_number), NUM), (str(line.payment_kind), TEXT), (line.option_code, TEXT),
                           (money_text(line.amount), NUM)])
    credits = Table([("N", NUM), ("Вид оплаты", TEXT), ("Банк", TEXT), ("Сумма", NUM), ("% комиссии", NUM),
                     ("Сумма комиссии", NUM)])
    for line in report.salesreportbankcreditpayment_set.select_related("payment_kind"):
        credits.rows.append([(str(line.line_number), NUM), (str(line.payment_kind), TEXT), (line.bank, TEXT),
                             (money_text(line.amount), NUM), (f"{money_text(line.commission_percent)}%", NUM),
                             (money_text(line.commission_amount), NUM)])
    settlements = Table([("N", NUM), ("Заказ покупателя", TEXT), ("Сумма отгрузки", NUM), ("Сумма оплаты", NUM)])
    for line in report.salesreportsettlement_set.select_related("order"):
        order = str(line.order) if line.order_id else f"⚠ не найден: {line.order_uuid}"
        settlements.rows.append([(str(line.line_number), NUM), (order, TEXT), (money_text(line.shipped_amount), NUM),
                                 (money_text(line.paid_amount), NUM)])

    movements = Table([("N", NUM), ("Дата", TEXT), ("Номер", TEXT), ("Вид движения", TEXT), ("Сумма", NUM)],
                      empty="Внесений и выемок не было.")
    for line in report.salesreportcashmovement_set.all():
        movements.rows.append([(str(line.line_number), NUM), (datetime_text(line.date), TEXT), (line.number, TEXT),
                               (line.get_direction_display(), TEXT), (money_text(line.amount), NUM)])
    stamps = Table([("N", NUM), ("Номер чека", TEXT), ("Номенклатура", TEXT), ("Код маркировки", TEXT)],
                   empty="Кодов маркировки нет.")
    for line in report.salesreportexcisestamp_set.select_related("item"):
        name = str(line.item) if line.item_id else f"⚠ не найден: код {line.sent_code or '(пусто)'}"
        stamps.rows.append([(str(line.line_number), NUM), (line.check_number, TEXT), (name, TEXT),
                            (line.stamp, TEXT)])
    extra_fields = [
        ("Цена включает НДС", "Да" if report.prices_include_vat else "Нет"),
        ("Ответственный", str(report.responsible) if report.responsible_id else "—"),
        ("Загружен", datetime_text(report.created_at)), ("Изменен", datetime_text(report.updated_at)),
    ]

    return [
        Tab("goods", "Товары", len(goods)),
        Tab("returned", "Возвращенные", len(returned), [("", returned_table)]),
        Tab("cash", "Оплата наличными", cash_count, fields=cash_fields),
        Tab("cards", "Оплата платежными картами", len(cards.rows), [("", cards)]),
        Tab("credits", "Оплата банковскими кредитами", len(credits.rows), [("", credits)]),
        Tab("settlements", "Расчеты с клиентами", len(settlements.rows), [("", settlements)]),
        Tab("extra", "Дополнительно", len(movements.rows) + len(stamps.rows),
            [("Внесения и выемки", movements), ("Коды маркировки", stamps)], extra_fields),
        Tab("comment", "Комментарий", 1 if report.comment else 0, text=report.comment or "Комментария нет."),
    ]


@dataclass
class UnrecognizedRow:
    code: str
    good_uuid: str
    checks: str
    quantity: str
    prices: str
    amount: str
    mapped_to: str  # a mapping saved since the last posting, waiting for «Провести»
    sku_free: bool


def unrecognized_rows(report: RetailSalesReport) -> list[UnrecognizedRow]:
    found = sales_report_unrecognized(report=report)
    aliases = {alias.code: alias for alias in DeviceCodeAlias.objects.filter(
        device_id=report.device_id, code__in=[row.code.strip() for row in found if row.code.strip()],
    ).select_related("item", "characteristic", "pack")}
    rows = []
    for row in found:
        alias = aliases.get(row.code.strip())
        rows.append(UnrecognizedRow(
            code=row.code, good_uuid=str(row.good_uuid) if row.good_uuid else "",
            checks="—" if row.checks is None else str(row.checks), quantity=quantity_text(row.quantity),
            prices=", ".join(money_text(price) for price in row.prices), amount=money_text(row.amount),
            mapped_to=alias.position_text() if alias else "",
            sku_free=bool(row.code.strip()) and sku_number_is_free(code=row.code),
        ))
    return rows


def report_page_context(report: RetailSalesReport) -> dict:
    """Everything the report page and its printed form show."""
    goods, returned = _report_lines(report)
    unrecognized = [] if report.posted else unrecognized_rows(report)
    return {
        "report_title": str(report),
        "header_fields": header_fields(report),
        "goods": goods_table(report, goods),
        "totals_text": totals_text(report),
        "tabs": report_tabs(report, goods, returned),
        "unrecognized": unrecognized,
        "reasons_short": ([] if report.posted
                          else sales_report_reasons_short(report=report, unknown_codes=len(unrecognized))),
        "reasons_full": [] if report.posted else sales_report_reasons(report=report),
    }
