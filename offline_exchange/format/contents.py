"""What a register got, read back from the documents it was sent: the goods of a price list (or of one of its
packages) with their codes, prices and balances, and the orders of GetDocs. Django-free, so the admin's
«Что получила касса» and `pos_sync -v 2` read the same documents the same way and print the same cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from common.ru import money_text, quantity_text, vat_text
from common.xmlsafe import parse_xml

GOOD_COLUMNS = ["Пакет", "Код", "Наименование", "Артикул", "Штрихкоды", "Ед. изм.", "Цена", "Остаток", "НДС"]
ORDER_COLUMNS = ["Номер", "Дата", "Статус", "Клиент", "Строк", "Сумма"]


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _decimal(text: str | None) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _barcodes(element) -> list[str]:
    holder = _child(element, "Barcodes")
    return [barcode.get("Value", "") for barcode in _children(holder, "Barcode")] if holder is not None else []


@dataclass
class GoodRow:
    """One position as the register shows it: a Good, or one of its characteristics or packs."""

    code: str
    name: str
    article: str
    barcodes: list[str]
    unit: str
    price: Decimal | None
    balance: Decimal | None
    tax_rate: str
    good_uuid: str  # the item's identifier: the row's own item in our base
    package: int | None = None

    def cells(self) -> list[str]:
        """The row as both the admin and the command print it."""
        return [str(self.package or ""), self.code, self.name, self.article, ", ".join(self.barcodes), self.unit,
                money_text(self.price) if self.price is not None else "—",
                quantity_text(self.balance) if self.balance is not None else "—", vat_text(self.tax_rate)]

    def matches(self, term: str) -> bool:
        """A search the way a store admin types it: a code (with or without its zeros), a barcode, a part of
        the name or the article, in any case."""
        term = term.strip().lower()
        if not term:
            return True
        if term.isdigit() and self.code.isdigit() and int(term) == int(self.code):
            return True
        return any(term in text.lower() for text in (self.code, self.name, self.article, *self.barcodes))


def _units(root) -> dict[str, str]:
    units = {}
    for holder in root.iter():
        if _local(holder) == "Units":
            for unit in _children(holder, "Unit"):
                units[unit.get("Code", "")] = unit.get("Name", "")
    return units


def price_list_goods_rows(document: bytes | str, *, package: int | None = None,
                          units: dict[str, str] | None = None) -> list[GoodRow]:
    """The positions of a PriceList or PriceListPackage document, in its order: one row per element that
    carries a code. In the nested shape (Розница 2.2) a Good is its item with its characteristics and packs
    under it; in the per-position shape a Good is one position, named in full, whose characteristic or pack
    (when it is one) carries the code, price and balance. `units` names units a package does not list."""
    root = parse_xml(document)
    names = {**(units or {}), **_units(root)}
    rows: list[GoodRow] = []
    for good in root.iter():
        if _local(good) != "Good":
            continue
        base, nested = good.get("Name", ""), bool(good.get("Code"))
        unit = names.get(good.get("UnitCode", ""), good.get("UnitCode", ""))
        common = {"article": good.get("Article", ""), "tax_rate": good.get("TaxRate", ""),
                  "good_uuid": good.get("UUID", ""), "package": package}
        found = []
        if nested:
            found.append(_row(good, base, unit, common))
        holder = _child(good, "Characteristics")
        for ch in _children(holder, "Characteristic") if holder is not None else []:
            name = f"{base} ({ch.get('Name', '')})" if nested else base
            if ch.get("Code"):
                found.append(_row(ch, name, unit, common))
            packs = _child(ch, "Packs")
            for pack in _children(packs, "Pack") if packs is not None else []:
                found.append(_row(pack, f"{name}, {pack.get('Name', '')}" if nested else base, pack.get("Name", ""),
                                  common))
        packs = _child(good, "Packs")
        for pack in _children(packs, "Pack") if packs is not None else []:
            found.append(_row(pack, f"{base}, {pack.get('Name', '')}" if nested else base, pack.get("Name", ""),
                              common))
        rows += found or [_row(good, base, unit, common)]
    return rows


def _row(element, name: str, unit: str, common: dict) -> GoodRow:
    return GoodRow(code=element.get("Code", ""), name=name, barcodes=_barcodes(element), unit=unit,
                   price=_decimal(element.get("Price")), balance=_decimal(element.get("Balance")), **common)


def price_list_units(document: bytes | str) -> dict[str, str]:
    """The units a document lists (code → name)."""
    return _units(parse_xml(document))


@dataclass
class OrderLineRow:
    code: str
    quantity: Decimal | None
    price: Decimal | None
    amount: Decimal | None


@dataclass
class OrderRow:
    number: str
    date: str
    status: str
    customer: str
    uuid: str
    lines: list[OrderLineRow] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount or Decimal(0) for line in self.lines), Decimal(0))

    def cells(self) -> list[str]:
        return [self.number, self.date, self.status, self.customer, str(len(self.lines)), money_text(self.total)]

    def line_cells(self) -> list[list[str]]:
        return [[line.code, quantity_text(line.quantity) if line.quantity is not None else "",
                 money_text(line.price) if line.price is not None else "",
                 money_text(line.amount) if line.amount is not None else ""] for line in self.lines]


def _date_text(text: str) -> str:
    # The format writes 2024-03-15T10:05:00; a store reads 15.03.2024 10:05:00.
    day, _, time = (text or "").partition("T")
    parts = day.split("-")
    return f"{parts[2]}.{parts[1]}.{parts[0]} {time}".strip() if len(parts) == 3 else text


def orders_rows(document: bytes | str) -> list[OrderRow]:
    """The orders of an Orders document (GetDocs), in its order."""
    if not document or not document.strip():
        return []
    root = parse_xml(document)
    rows = []
    for order in root.iter():
        if _local(order) != "Order":
            continue
        customer = " ".join(filter(None, (order.get("LastName", ""), order.get("FirstName", ""), order.get("Phone", ""))))
        row = OrderRow(number=order.get("Number", ""), date=_date_text(order.get("Date", "")),
                       status=order.get("Status", ""), customer=customer, uuid=order.get("UUID", ""))
        goods = _child(order, "Goods")
        for good in _children(goods, "Good") if goods is not None else []:
            row.lines.append(OrderLineRow(code=good.get("Code", ""), quantity=_decimal(good.get("Quantity")),
                                          price=_decimal(good.get("Price")), amount=_decimal(good.get("Sum"))))
        rows.append(row)
    return rows


def table_lines(columns: list[str], rows: list[list[str]]) -> list[str]:
    """A plain-text table for a terminal: columns padded to their widest cell (numbers right-aligned)."""
    numeric = {n for n, label in enumerate(columns) if label in ("Цена", "Остаток", "Сумма", "Строк", "Количество")}
    widths = [max([len(label)] + [len(row[n]) for row in rows]) for n, label in enumerate(columns)]

    def line(cells):
        return "  ".join(cell.rjust(widths[n]) if n in numeric else cell.ljust(widths[n])
                         for n, cell in enumerate(cells)).rstrip()

    return [line(columns), line(["-" * width for width in widths])] + [line(row) for row in rows]
