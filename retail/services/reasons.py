"""Why a document stays unposted, as data: a code and its parameters ({"code": "shift_not_closed"}), stored
so in `RetailSalesReport.not_posted_reasons` and carried by `PostingError`.

Their Russian is written here alone: `reason_text` for the report page, the console, the device's answer
and the admin's messages; `reason_short` for the banner. Nothing reads a reason back from its text.
Amounts and quantities are kept as decimal strings ("749.00"), exact and JSON's own.
"""
from __future__ import annotations

from decimal import Decimal

from common.money import to_quantity
from common.ru import money_text, plural, quantity_text

UNKNOWN_CODES = "unknown_codes"        # goods of the checks matched no position
ODD_VAT_RATES = "odd_vat_rates"        # a check's VAT rate not understood (the item's rate was taken)
ORDER_NOT_FOUND = "order_not_found"    # a check names a customer order we do not have
ZERO_QUANTITY = "zero_quantity"        # a line of zero quantity and a sum
SHIFT_NOT_CLOSED = "shift_not_closed"
NO_REGISTER = "no_register"            # the device has no cash register attached
NOT_ENOUGH_STOCK = "not_enough_stock"  # posting refused by the stock control setting
NO_WAREHOUSE = "no_warehouse"
UNPRICED_LINES = "unpriced_lines"    # a receipt (purchase price) or opening balance (cost) line without its price
NOT_SAVED = "not_saved"
TEXT = "text"                          # a reason an older version stored as text the upgrade could not read

UNKNOWN_SHOWN = 20  # codes named in the reason; the rest are counted


def _decimal_text(value) -> str:
    return f"{Decimal(value):f}"


# --- Reasons as data -----------------------------------------------------------------------------

def unknown_codes_reason(unknown: list[tuple]) -> dict:
    """`unknown`: (code, good uuid or None, lines, quantity, amount, prices) per code, in check order."""
    return {"code": UNKNOWN_CODES, "more": max(len(unknown) - UNKNOWN_SHOWN, 0), "codes": [
        {"code": code, "good_uuid": str(good_uuid) if good_uuid else None, "lines": lines,
         "quantity": _decimal_text(quantity), "prices": [_decimal_text(p) for p in sorted(prices)],
         "amount": _decimal_text(amount)}
        for code, good_uuid, lines, quantity, amount, prices in unknown[:UNKNOWN_SHOWN]
    ]}


def odd_vat_rates_reason(rates) -> dict:
    return {"code": ODD_VAT_RATES, "rates": sorted(rates)}


def order_not_found_reason(order_uuids) -> dict:
    return {"code": ORDER_NOT_FOUND, "orders": [str(u) for u in sorted(order_uuids)]}


def zero_quantity_reason(codes: list[str]) -> dict:
    return {"code": ZERO_QUANTITY, "codes": list(codes)}


def unpriced_lines_reason(*, missing: str, lines: list[tuple[int, str]]) -> dict:
    """`missing`: what is not given («не указана цена закупки»); `lines`: (line number, item name)."""
    return {"code": UNPRICED_LINES, "missing": missing, "lines": [{"line": n, "item": str(name)} for n, name in lines]}


def no_register_reason(device_name: str) -> dict:
    return {"code": NO_REGISTER, "device": device_name}


def not_enough_stock_reason(goods: list[tuple[str, Decimal]]) -> dict:
    """`goods`: (item name, quantity missing) per position."""
    return {"code": NOT_ENOUGH_STOCK,
            "goods": [{"item": str(name), "missing": _decimal_text(to_quantity(missing))} for name, missing in goods]}


# --- Their Russian ---------------------------------------------------------------------------------

def _unknown_codes_text(reason: dict) -> str:
    parts = [
        f"код «{row['code'] or '(пусто)'}»"
        + (f" (идентификатор товара {row['good_uuid']})" if row["good_uuid"] else "")
        + f": строк {row['lines']}, количество {quantity_text(Decimal(row['quantity']))}, цена "
        + ", ".join(money_text(Decimal(p)) for p in row["prices"]) + f", сумма {money_text(Decimal(row['amount']))}"
        for row in reason["codes"]
    ]
    more = reason["more"]
    return ("не найдены товары по кодам из чеков — " + "; ".join(parts)
            + (f"; и еще {more} кодов" if more > 0 else "")
            + ". Сопоставьте коды с номенклатурой на странице отчета и нажмите «Провести»")


def _missing_text(value: str) -> str:
    # As the stock control has always said it: 2, 1,5 — no trailing zeros, no thousands separator.
    return f"{Decimal(value).normalize():f}".replace(".", ",")


def _not_enough_stock_text(reason: dict) -> str:
    return "недостаточно товара на складе (контроль остатков включен): " + "; ".join(
        f"«{row['item']}» — не хватает {_missing_text(row['missing'])}" for row in reason["goods"])


_TEXTS = {
    UNKNOWN_CODES: _unknown_codes_text,
    ODD_VAT_RATES: lambda r: ("непонятная ставка НДС в чеке: " + ", ".join(r["rates"])
                              + " (взята ставка из карточки товара)"),
    ORDER_NOT_FOUND: lambda r: "не найден заказ покупателя " + ", ".join(r["orders"]),
    ZERO_QUANTITY: lambda r: ("нулевое количество при ненулевой сумме в строках с кодами "
                              + ", ".join(code or "(пусто)" for code in r["codes"])),
    SHIFT_NOT_CLOSED: lambda r: "смена не закрыта (нет даты закрытия, статус смены «открыта»)",
    NO_REGISTER: lambda r: f"к оборудованию «{r['device']}» не подключена касса ККМ",
    NOT_ENOUGH_STOCK: _not_enough_stock_text,
    NO_WAREHOUSE: lambda r: "не указан склад",
    UNPRICED_LINES: lambda r: (f"{r['missing']}: "
                               + "; ".join(f"строка {row['line']} «{row['item']}»" for row in r["lines"])),
    NOT_SAVED: lambda r: "документ не записан",
    TEXT: lambda r: r["text"],
}

# The banner's few words; the details (codes, sums, hints) stay in the full text below it.
_SHORT = {
    ODD_VAT_RATES: lambda r: "непонятная ставка НДС в чеке: " + ", ".join(r["rates"]),
    SHIFT_NOT_CLOSED: lambda r: "смена не закрыта",
    NOT_ENOUGH_STOCK: lambda r: "недостаточно товара на складе",
}


def reason_text(reason: dict) -> str:
    """The reason in Russian, whole: what the store admin and the device are told."""
    return _TEXTS[reason["code"]](reason)


def reason_short(reason: dict, *, unknown_codes: int) -> str:
    """The reason in a few words: «1 код не найден», «смена не закрыта». `unknown_codes` is how many codes
    the report's lines leave unrecognized now (the reason names at most UNKNOWN_SHOWN of them)."""
    if reason["code"] == UNKNOWN_CODES:
        count = unknown_codes or 1
        return f"{count} {plural(count, 'код не найден', 'кода не найдены', 'кодов не найдены')}"
    if reason["code"] in _SHORT:
        return _SHORT[reason["code"]](reason)
    return reason_text(reason).rstrip(".")
