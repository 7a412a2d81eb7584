"""Russian formats for what the store reads: 13.07.2020 16:31:53, 1 306,84, 1,254."""
from decimal import Decimal

from django import template

register = template.Library()
NBSP = "\xa0"


def money_text(value) -> str:
    if value is None or value == "":
        return ""
    text = f"{Decimal(value):,.2f}"
    return text.replace(",", NBSP).replace(".", ",")


def quantity_text(value) -> str:
    if value is None or value == "":
        return ""
    value = Decimal(value).quantize(Decimal("0.001"))
    whole, _, fraction = f"{value:,.3f}".partition(".")
    fraction = fraction.rstrip("0")
    return whole.replace(",", NBSP) + ("," + fraction if fraction else "")


def datetime_text(value) -> str:
    return f"{value:%d.%m.%Y %H:%M:%S}" if value else ""


def date_text(value) -> str:
    return f"{value:%d.%m.%Y}" if value else ""


register.filter("ru_money", money_text)
register.filter("ru_qty", quantity_text)
register.filter("ru_datetime", datetime_text)
register.filter("ru_date", date_text)
