"""Filling a store document's lines: by a scanned barcode, or from a CSV/XLSX file."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from retail.models import Barcode, Characteristic, Item, Price, PriceSetting, StockCount

# Largest file of lines read (checked before it is loaded).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
HEADERS = {
    "штрихкод": "barcode", "barcode": "barcode",
    "артикул": "article", "article": "article",
    "номенклатура": "name", "наименование": "name", "товар": "name", "item": "name",
    "характеристика": "characteristic", "characteristic": "characteristic",
    "количество": "quantity", "quantity": "quantity", "количество фактическое": "quantity",
    "цена": "price", "price": "price", "цена закупки": "price",
    "розничная цена": "retail_price", "retail_price": "retail_price",
}


class LinesError(ValueError):
    """What is wrong with a scan or a file, in the store admin's words."""


@dataclass
class Position:
    item: Item
    characteristic: Characteristic | None
    coefficient: Decimal


def max_file_bytes() -> int:
    return int(getattr(settings, "STOCK_DOCUMENT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def quantity_field(document) -> str:
    return "counted_quantity" if isinstance(document, StockCount) else (
        "price" if isinstance(document, PriceSetting) else "quantity")


def position_by_barcode(code: str) -> Position:
    code = (code or "").strip()
    if not code:
        raise LinesError("Штрихкод не указан.")
    found = Barcode.objects.select_related("item", "characteristic", "pack").filter(value=code).first()
    if found is None:
        raise LinesError(f"Товар со штрихкодом «{code[:50]}» не найден.")
    return Position(found.item, found.characteristic, found.pack.coefficient if found.pack_id else Decimal(1))


def _current_price(document, item_id, ch_id) -> Decimal:
    price_type_id = getattr(document, "price_type_id", None) or getattr(document, "retail_price_type_id", None)
    if price_type_id is None:
        return Decimal(0)
    row = (Price.objects.filter(price_type_id=price_type_id, item_id=item_id, date__lte=document.date.date())
           .filter(Q(characteristic_id=ch_id) | Q(characteristic__isnull=True))
           .order_by("-date", "characteristic_id").first())
    return row.value if row else Decimal(0)


@transaction.atomic
def document_line_add(*, document, position: Position, quantity: Decimal = Decimal(1), price=None,
                      retail_price=None):
    """Add a scanned/imported position: the same position again adds to its line's quantity."""
    lines = document.lines
    field = quantity_field(document)
    line = lines.filter(item=position.item, characteristic=position.characteristic).first()
    amount = quantity * position.coefficient
    if line is not None and field != "price":
        setattr(line, field, getattr(line, field) + amount)
    else:
        if line is None:
            number = (lines.aggregate(m=Max("line_number"))["m"] or 0) + 1
            line = lines.model(document=document, line_number=number, item=position.item,
                               characteristic=position.characteristic)
        if field == "price":
            line.price = price if price is not None else _current_price(document, position.item.pk,
                                                                         getattr(position.characteristic, "pk", None))
        else:
            setattr(line, field, amount)
    if hasattr(line, "amount") and hasattr(line, "quantity"):
        if price is not None:
            line.price = price
        line.amount = (line.price or 0) * line.quantity
    if retail_price is not None and hasattr(line, "retail_price"):
        line.retail_price = retail_price
    if hasattr(line, "vat_rate") and not line.vat_rate:
        line.vat_rate = position.item.vat_rate  # the supplier's rate is the item's unless the line says otherwise
    line.save()
    return line


def _number(text, what: str, row: int) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(str(text).replace(" ", "").replace("\xa0", "").replace(",", "."))
    except InvalidOperation:
        raise LinesError(f"Строка {row}: «{text}» — не число ({what}).") from None


def _read_rows(upload) -> list[dict]:
    import tablib

    if upload.size > max_file_bytes():
        raise LinesError(f"Файл больше {max_file_bytes() // (1024 * 1024)} МБ: загрузите файл поменьше.")
    name = (upload.name or "").lower()
    content = upload.read(max_file_bytes() + 1)
    if len(content) > max_file_bytes():
        raise LinesError(f"Файл больше {max_file_bytes() // (1024 * 1024)} МБ: загрузите файл поменьше.")
    try:
        if name.endswith(".xlsx"):
            dataset = tablib.Dataset().load(content, format="xlsx")
        elif name.endswith(".csv"):
            text = content.decode("utf-8-sig")
            delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
            dataset = tablib.Dataset().load(text, format="csv", delimiter=delimiter)
        else:
            raise LinesError("Загрузите файл CSV или XLSX.")
    except LinesError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise LinesError(f"Файл не прочитан: {exc}") from None
    columns = {}
    for index, header in enumerate(dataset.headers or []):
        key = HEADERS.get(str(header or "").strip().lower())
        if key:
            columns[key] = index
    if "quantity" not in columns and "price" not in columns:
        raise LinesError("В файле нет колонки «Количество» (или «Цена»). Колонки: Штрихкод или Артикул или "
                         "Номенклатура, Характеристика, Количество, Цена, Розничная цена.")
    if not ({"barcode", "article", "name"} & set(columns)):
        raise LinesError("В файле нет колонки «Штрихкод», «Артикул» или «Номенклатура».")
    return [{key: row[index] for key, index in columns.items()} for row in dataset]


def _position_of_row(values: dict, row: int) -> Position:
    if values.get("barcode") not in (None, ""):
        try:
            return position_by_barcode(str(values["barcode"]))
        except LinesError as exc:
            raise LinesError(f"Строка {row}: {exc}") from None
    item = None
    if values.get("article") not in (None, ""):
        item = Item.objects.filter(article=str(values["article"]).strip()).first()
    if item is None and values.get("name") not in (None, ""):
        item = Item.objects.filter(name=str(values["name"]).strip()).first()
    if item is None:
        raise LinesError(f"Строка {row}: товар «{values.get('article') or values.get('name')}» не найден.")
    characteristic = None
    if values.get("characteristic") not in (None, ""):
        characteristic = item.characteristics.filter(name=str(values["characteristic"]).strip()).first()
        if characteristic is None:
            raise LinesError(f"Строка {row}: у товара «{item.name}» нет характеристики «{values['characteristic']}».")
    return Position(item, characteristic, Decimal(1))


@transaction.atomic
def document_lines_import(*, document, upload) -> int:
    """Add the file's lines, all or none; returns the number of rows read."""
    rows = _read_rows(upload)
    field = quantity_field(document)
    for n, values in enumerate(rows, 2):
        position = _position_of_row(values, n)
        quantity = _number(values.get("quantity"), "количество", n)
        price = _number(values.get("price"), "цена", n)
        if field == "price":
            if price is None:
                raise LinesError(f"Строка {n}: не указана цена.")
            document_line_add(document=document, position=position, price=price)
            continue
        if quantity is None or quantity <= 0:
            raise LinesError(f"Строка {n}: количество должно быть больше нуля.")
        document_line_add(document=document, position=position, quantity=quantity, price=price,
                          retail_price=_number(values.get("retail_price"), "розничная цена", n))
    return len(rows)
