"""The Russian formats of `common.ru` as template filters: {{ amount|ru_money }} → 1 306,84."""
from django import template

from common.ru import date_text, datetime_text, money_text, quantity_text, vat_text

register = template.Library()
register.filter("ru_money", money_text)
register.filter("ru_qty", quantity_text)
register.filter("ru_datetime", datetime_text)
register.filter("ru_date", date_text)
register.filter("ru_vat", vat_text)
