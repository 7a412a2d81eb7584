"""Reads a document's form asks for while it is being filled: a position's price of a price type on a day,
and what a new line starts with (price, VAT rate, unit)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from common.money import to_money
from retail.models import Characteristic, Item, Pack, Price


def price_on(*, price_type_id: int | None, item_id: int, characteristic_id: int | None = None,
             on: dt.date) -> Decimal | None:
    """The price in force on the day: the characteristic's own one when it has one, else the item's
    (as 1C's «Цены номенклатуры» register is read); None when there is none."""
    if price_type_id is None:
        return None
    prices = Price.objects.filter(price_type_id=price_type_id, item_id=item_id, date__lte=on).order_by("-date", "-pk")
    if characteristic_id is not None:
        own = prices.filter(characteristic_id=characteristic_id).values_list("value", flat=True).first()
        if own is not None:
            return own
    return prices.filter(characteristic__isnull=True).values_list("value", flat=True).first()


@dataclass(frozen=True)
class LineDefaults:
    price: Decimal | None  # per unit of the line (a pack's price is the base price times its coefficient)
    vat_rate: str
    unit: str


def line_defaults(*, item: Item, characteristic: Characteristic | None = None, pack: Pack | None = None,
                  price_type_id: int | None = None, on: dt.date) -> LineDefaults:
    """What a line of the position starts with in a customer order or a store document."""
    price = price_on(price_type_id=price_type_id, item_id=item.pk,
                     characteristic_id=characteristic.pk if characteristic else None, on=on)
    if price is not None and pack is not None:
        price = to_money(price * pack.coefficient)
    unit = str(pack) if pack is not None else str(item.base_unit)
    return LineDefaults(price=price, vat_rate=item.vat_rate, unit=unit)
