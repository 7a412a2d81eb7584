"""Goods written as text straight from an item's values, byte for byte what the tree builder
(`builders.price_list_element`) and `builders.good_fragments` write for the same Goods.

Why a second writer: a first full list writes every Good of the catalog; making a `GoodData` per Good
only to turn it into text cost more than reading the catalog. The service gives it a slot (`SLOT`) for
each position's Price and Balance, so the Goods it writes are cached whatever the prices and filled
when a list is written. Here what every Good of an item repeats (its attributes after the name, its
flags, its Alcohol element) is written once per item (`item`), and each position's Good is one
f-string around it (`good`). The walk over an item's positions is the service's, shared with the
dataclass writer: it calls `item`, `barcodes`, `pack`, `characteristic` and `good` of either writer.

Attribute order, escaping and number formats are those of `builders` (`_good_attrib`,
`_pack_attrib`, `_characteristic_attrib`, `_alcohol_attrib`); the golden price lists
(tests/offline_exchange/test_price_list_golden.py) hold both writers to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from offline_exchange.format.builders import BuildError, attribute_escape, boolean, decimal_text
from offline_exchange.format.documents import AlcoholData
from offline_exchange.format.versions import FormatVersion


@dataclass(slots=True)
class ItemText:
    """What each Good of one item repeats, escaped once: `UUID`, the attributes between `Name` and the
    Has… flags (`tail`), those after them (`flags`), and the Alcohol element closing the Good."""

    uuid: str
    tail: str
    flags: str
    alcohol: str


class GoodsTextWriter:
    """The text writer of one format version (see the module's docstring)."""

    def __init__(self, fmt: FormatVersion):
        self.fmt = fmt
        # The unit's and group's attributes, escaped once per unit and group: thousands of items share them.
        self._placed: dict[tuple[str, str, str, str], str] = {}

    def item(self, *, name: str, uuid: str, tax_rate: str, calculation_subject: int, unit_code: str,
             unit_uuid: str, article: str, description: str, is_weight: bool, marked_type_code: int | None,
             classification_code: str, is_excisable: bool, alcohol: AlcoholData | None,
             group_code: str = "", group_uuid: str = "") -> ItemText:
        fmt = self.fmt
        # The refusals of `builders._good_attrib`, checked once per item (its Goods share them).
        if tax_rate not in fmt.tax_rates:
            raise BuildError(f"ставка НДС {tax_rate} не поддерживается форматом {fmt.label}: «{name}»")
        if marked_type_code is not None and not fmt.marking:
            raise BuildError(f"маркируемая продукция не передается в формате {fmt.label}: «{name}»")
        placed = self._placed.get((unit_code, unit_uuid, group_code, group_uuid))
        if placed is None:
            placed = self._placed[(unit_code, unit_uuid, group_code, group_uuid)] = "".join([
                f' {attribute}="{attribute_escape(value)}"' for attribute, value in (
                    ("UnitCode", unit_code), ("UnitUUID", unit_uuid), ("GroupCode", group_code),
                    ("GroupUUID", group_uuid)) if value])
        tail = [f' TaxRate="{attribute_escape(tax_rate)}" CalculationSubject="{calculation_subject}"', placed]
        if article:
            tail.append(f' Article="{attribute_escape(article)}"')
        if description:
            tail.append(f' Description="{attribute_escape(description)}"')
        if is_weight:
            tail.append(' IsWeight="true"')
        flags = []
        if alcohol is not None:
            flags.append(' IsAlcohol="true"')
        if marked_type_code is not None:
            flags.append(' IsMarked="true"')
            if marked_type_code in fmt.marked_goods_type_codes:
                flags.append(f' MarkedGoodTypeCode="{marked_type_code}"')
        if classification_code and fmt.classification_code:
            flags.append(f' GoodClassificationCode="{attribute_escape(classification_code)}"')
        if is_excisable and fmt.is_excisable:
            flags.append(' IsExcisable="true"')
        return ItemText(uuid=attribute_escape(uuid), tail="".join(tail), flags="".join(flags),
                        alcohol=_alcohol_text(alcohol) if alcohol is not None else "")

    @staticmethod
    def barcodes(rows: list[tuple[str, str]]) -> str:
        """A position's Barcodes element from its (value, type) rows; "" when it has none."""
        if not rows:
            return ""
        return "<Barcodes>" + "".join([
            f'<Barcode Value="{attribute_escape(value)}" Type="{attribute_escape(kind)}"/>' if kind
            else f'<Barcode Value="{attribute_escape(value)}"/>' for value, kind in rows]) + "</Barcodes>"

    @staticmethod
    def pack(*, code: str, uuid: str, name: str, units_per_pack: Decimal, price: Decimal | str | None,
             barcodes: str, balance: Decimal | None = None) -> str:
        # Codes are SKU numbers written in digits (`codes.position_code`): nothing to escape.
        attributes = (f'<Pack Code="{code}" Name="{attribute_escape(name)}" UnitsPerPack="{units_per_pack:.3f}" '
                      f'UUID="{attribute_escape(uuid)}"{price_balance_text(price, balance)}')
        return f"{attributes}>{barcodes}</Pack>" if barcodes else attributes + "/>"

    @staticmethod
    def characteristic(*, code: str, uuid: str, name: str, price: Decimal | str | None = None,
                       balance: Decimal | None = None, barcodes: str = "", packs: list[str] | None = None) -> str:
        attributes = f'<Characteristic Code="{code}"' if code else "<Characteristic"
        attributes += price_balance_text(price, balance)
        attributes += f' UUID="{attribute_escape(uuid)}" Name="{attribute_escape(name)}"'
        if packs:
            return f'{attributes} HasPacks="true">{barcodes}<Packs>{"".join(packs)}</Packs></Characteristic>'
        return f"{attributes}>{barcodes}</Characteristic>" if barcodes else attributes + "/>"

    @staticmethod
    def good(item: ItemText, name: str, *, code: str = "", price: Decimal | str | None = None,
             balance: Decimal | None = None, barcodes: str = "", characteristics: list[str] | None = None,
             packs: list[str] | None = None) -> str:
        attributes = f'<Good Code="{code}"' if code else "<Good"
        attributes += price_balance_text(price, balance)
        attributes += f' UUID="{item.uuid}" Name="{attribute_escape(name)}"{item.tail}'
        children = barcodes
        if characteristics:
            attributes += ' HasCharacteristics="true"'
            children += f'<Characteristics>{"".join(characteristics)}</Characteristics>'
        if packs:
            attributes += ' HasPacks="true"'
            children += f'<Packs>{"".join(packs)}</Packs>'
        children += item.alcohol
        return f"{attributes}{item.flags}>{children}</Good>" if children else f"{attributes}{item.flags}/>"


# A slot in a cached Good (`price_values_slot`, `pack_values_slot`): where a position's Price and Balance
# attributes go, filled when a list is written (`offline_exchange.services.price_list`). A raw tab never
# stands in a Good's own text: every value in it is escaped (a tab as &#9;) and its attributes are parted by
# spaces; so no text an item holds can make or break a slot.
SLOT = "\t"
SLOT_BYTES = SLOT.encode()


def price_values_slot(characteristic_id: int | None) -> str:
    """The slot of a position's own price and balance: the item's (None) or its characteristic's."""
    return f"{SLOT}{characteristic_id or ''}{SLOT}"


def pack_values_slot(characteristic_id: int | None, units_per_pack: Decimal) -> str:
    """The slot of a pack position's price and balance, worked out from its unit position's."""
    return f"{SLOT}{characteristic_id or ''}:{units_per_pack}{SLOT}"


def price_balance_text(price: Decimal | str | None, balance: Decimal | None) -> str:
    """A position's Price and Balance attributes, each left out when there is none; a slot (given as
    `price`) as it is."""
    if price.__class__ is str:
        return price
    text = f' Price="{price:.2f}"' if price is not None else ""
    return text + f' Balance="{balance:.3f}"' if balance is not None else text




def _alcohol_text(a: AlcoholData) -> str:
    return (f'<Alcohol IsExcisable="{boolean(a.is_excisable)}" AlcoholKindCode="{attribute_escape(a.kind_code)}" '
            f'AlcoholContainerSize="{decimal_text(a.container_size)}" AlcoholStrength="{decimal_text(a.strength)}" '
            f'VendorINN="{attribute_escape(a.vendor_inn)}" VendorKPP="{attribute_escape(a.vendor_kpp)}" '
            f'IsDraught="{boolean(a.is_draught)}"/>')
