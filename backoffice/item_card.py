"""What the item card shows beside the item's own fields: the SKU of each of its positions and the
registers that will not get it."""
from __future__ import annotations

from dataclasses import dataclass, field

from offline_exchange.format.codes import position_code
from offline_exchange.models import OfflineDevice, SkuCode
from offline_exchange.services.price_list import item_exchange_refusals
from offline_exchange.services.sku import positions_for_items
from retail.models import Barcode, Characteristic, Item, Pack
from retail.rights import scope_queryset

# Format 3.3 carries every rate and marking kind the others hold back (1C's own answer, research/1c-2026.md).
FORMAT_33_HINT = (" Переведите кассу на формат обмена 3.3 — кнопкой «Перевести кассу на формат 3.3» на странице ее "
                  "подключаемого оборудования.")


@dataclass
class PositionSku:
    characteristic: Characteristic | None
    pack: Pack | None
    number: int | None       # None: the position has no SKU yet and is not sent to the registers
    code: str = ""           # the code the register shows and a weighed good's barcode carries
    barcodes: list[str] = field(default_factory=list)


def item_positions(*, item: Item) -> list[PositionSku]:
    """Each position the registers know the item by (the item, each characteristic, each pack — per
    characteristic when both), as `sku_generate` numbers them, with its SKU and barcodes."""
    if item.pk is None:
        return []
    numbers = dict(SkuCode.objects.filter(item=item).values_list("position_key", "number"))
    characteristics = {ch.pk: ch for ch in item.characteristics.all()}
    packs = {pack.pk: pack for pack in item.packs.all()}
    barcodes: dict[tuple, list[str]] = {}
    for value, ch_id, pack_id in (Barcode.objects.filter(item=item).order_by("value")
                                  .values_list("value", "characteristic_id", "pack_id")):
        barcodes.setdefault((ch_id, pack_id), []).append(value)
    rows = []
    for position in positions_for_items([item.pk]):
        number = numbers.get(position.key)
        rows.append(PositionSku(
            characteristic=characteristics.get(position.characteristic_id),
            pack=packs.get(position.pack_id),
            number=number,
            code=position_code(number, is_weight=item.is_weight) if number is not None else "",
            barcodes=barcodes.get((position.characteristic_id, position.pack_id), []),
        ))
    return rows


def item_exchange_warnings(*, item: Item, user) -> list[str]:
    """The registers (of the user's stores) whose rule selects the item but whose exchange format cannot
    carry it, with the way out (format 3.3 carries it)."""
    if item.pk is None:
        return []
    devices = scope_queryset(OfflineDevice.objects.all(), user)
    return [text + FORMAT_33_HINT for text in item_exchange_refusals(item=item, devices=devices)]
