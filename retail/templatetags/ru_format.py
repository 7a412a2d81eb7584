"""Russian formats for what the store reads: 13.07.2020 16:31:53, 1 306,84, 1,254, 20%.

The separators and date patterns come from the project's format module (retail/formats/ru/formats.py),
the one Django's own rendering uses too, so a hand-made page and an admin column never disagree.
They are read for Russian whatever language is active: a journal note written by a service call
outside any request reads the same as the page showing it."""
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import dateformat, numberformat
from django.utils.formats import get_format

register = template.Library()
NBSP = "\xa0"
LANG = "ru"


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _number(value: Decimal, places: int) -> str:
    return numberformat.format(
        value, get_format("DECIMAL_SEPARATOR", LANG), decimal_pos=places,
        grouping=get_format("NUMBER_GROUPING", LANG), thousand_sep=get_format("THOUSAND_SEPARATOR", LANG),
        force_grouping=True)


def money_text(value) -> str:
    if value is None or value == "":
        return ""
    # Django's numberformat cuts extra places off; money is rounded half up, as on a check.
    return _number(_decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP), 2)


def quantity_text(value) -> str:
    if value is None or value == "":
        return ""
    value = _decimal(value).quantize(Decimal("0.001"), ROUND_HALF_UP)
    places = len(f"{value:f}".partition(".")[2].rstrip("0"))
    return _number(value, places)


def datetime_text(value) -> str:
    return dateformat.format(value, get_format("DATETIME_FORMAT", LANG)) if value else ""


def date_text(value) -> str:
    return dateformat.format(value, get_format("DATE_FORMAT", LANG)) if value else ""


def vat_text(value) -> str:
    """A VAT rate as the checks print it: «20%», «Без НДС» (stored as "20", "none" or empty)."""
    if value is None:
        return ""
    text = str(value).strip().removesuffix("%")
    if text in ("", "none"):
        return "Без НДС"
    return f"{quantity_text(text)}%"


register.filter("ru_money", money_text)
register.filter("ru_qty", quantity_text)
register.filter("ru_datetime", datetime_text)
register.filter("ru_date", date_text)
register.filter("ru_vat", vat_text)
