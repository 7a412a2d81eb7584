"""Collect a device's price list (one Good per item, positions nested) as format dataclasses."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Iterable

from django.db.models import Sum

from retail.models import Barcode, Characteristic, Item, Pack, Price, StockBalance, VatRate
from retail.money import to_money, to_quantity

from ..exceptions import PriceListBuildError
from ..format.builders import BuildError
from ..format.documents import (
    AlcoholData,
    BarcodeData,
    CharacteristicData,
    GoodData,
    GroupData,
    PackData,
    PriceListData,
    UnitData,
)
from ..format.versions import get_format
from ..models import ExchangeSettings, OfflineDevice, SkuCode
from .rules import group_ancestors, rule_items
from .sku import positions_for_items, sku_generate

CHUNK = 2000


class CollectedPriceList:
    def __init__(self, data: PriceListData, skipped_without_sku: int, without_price: int):
        self.data = data
        self.skipped_without_sku = skipped_without_sku
        self.without_price = without_price


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _latest_prices(price_type_id: int | None, item_ids: list[int], on: date) -> dict[tuple[int, int | None], Decimal]:
    prices: dict[tuple[int, int | None], Decimal] = {}
    if price_type_id is None:
        return prices
    for chunk in _chunks(item_ids):
        rows = (
            Price.objects.filter(price_type_id=price_type_id, item_id__in=chunk, date__lte=on)
            .order_by("item_id", "characteristic_id", "date", "id")
            .values_list("item_id", "characteristic_id", "value")
        )
        for item_id, ch_id, value in rows:
            prices[(item_id, ch_id)] = value  # later dates overwrite earlier ones
    return prices


def _balances(warehouse_id: int, item_ids: list[int]) -> dict[tuple[int, int | None], Decimal]:
    balances: dict[tuple[int, int | None], Decimal] = {}
    for chunk in _chunks(item_ids):
        rows = (
            StockBalance.objects.filter(warehouse_id=warehouse_id, item_id__in=chunk)
            .values("item_id", "characteristic_id").annotate(total=Sum("quantity"))
        )
        for row in rows:
            balances[(row["item_id"], row["characteristic_id"])] = row["total"]
    return balances


def _positive(value: Decimal | None) -> Decimal | None:
    if value is None or value <= 0:
        return None
    return to_quantity(value)


def format_tax_rate(rate: str) -> str:
    # 10/110-style computed rates are stored by their base rate; the format knows only base rates.
    return rate.split("/")[0] if rate else VatRate.NONE


def price_list_collect(*, device: OfflineDevice, item_ids: Iterable[int] | None = None, full: bool,
                       on: date | None = None) -> CollectedPriceList:
    """Everything the device's rule selects (or only `item_ids` of it) as a PriceListData."""
    fmt = get_format(device.format_version)
    on = on or date.today()
    rule = device.rule
    warehouse = rule.warehouse
    store = warehouse.store
    price_type_id = store.retail_price_type_id if store else None

    items_qs = rule_items(rule=rule)
    if item_ids is not None:
        wanted = sorted(set(item_ids))
        selected: list[int] = []
        for chunk in _chunks(wanted):
            selected.extend(items_qs.filter(pk__in=chunk).values_list("pk", flat=True))
        ids = sorted(selected)
    else:
        ids = sorted(items_qs.values_list("pk", flat=True))

    positions = positions_for_items(ids)
    if ExchangeSettings.load().auto_generate_sku:
        sku_generate(positions=positions)

    sku: dict[str, int] = {}
    for chunk in _chunks(ids):
        sku.update(SkuCode.objects.filter(item_id__in=chunk).values_list("position_key", "number"))

    def code(item_id, ch_id=None, pack_id=None) -> str | None:
        number = sku.get(SkuCode.key_for(item_id, ch_id, pack_id))
        return None if number is None else str(number)

    ids = [pk for pk in ids if code(pk) is not None]
    skipped = len(set(p.item_id for p in positions)) - len(ids)

    items: list[Item] = []
    chars: dict[int, list[Characteristic]] = defaultdict(list)
    packs: dict[int, list[Pack]] = defaultdict(list)
    barcodes: dict[tuple[int, int | None, int | None], list[BarcodeData]] = defaultdict(list)
    for chunk in _chunks(ids):
        items.extend(Item.objects.filter(pk__in=chunk).select_related("base_unit", "group").order_by("pk"))
        for ch in Characteristic.objects.filter(item_id__in=chunk).order_by("item_id", "name", "pk"):
            chars[ch.item_id].append(ch)
        for pack in Pack.objects.filter(item_id__in=chunk).order_by("item_id", "coefficient", "pk"):
            packs[pack.item_id].append(pack)
        for row in Barcode.objects.filter(item_id__in=chunk).order_by("value").values_list(
                "item_id", "characteristic_id", "pack_id", "value", "barcode_type"):
            barcodes[(row[0], row[1], row[2])].append(BarcodeData(value=row[3], type=row[4]))

    prices = _latest_prices(price_type_id, ids, on)
    balances = _balances(warehouse.pk, ids) if device.export_balances else {}
    item_totals: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id, _ch_id), value in balances.items():
        item_totals[item_id] += value

    goods: list[GoodData] = []
    units: dict[int, UnitData] = {}
    group_ids: set[int] = set()
    unsupported: list[str] = []
    without_price = 0
    for item in items:
        tax_rate = format_tax_rate(item.vat_rate)
        if tax_rate not in fmt.tax_rates:
            unsupported.append(f"«{item.name}» (НДС {item.vat_rate}%)")
            continue
        base_price = prices.get((item.pk, None))
        if base_price is None:
            without_price += 1
        item_balance = item_totals.get(item.pk)
        unit = item.base_unit
        units.setdefault(unit.pk, UnitData(code=unit.okei_code, name=unit.name, uuid=str(unit.uuid), okei_code=unit.okei_code))
        good = GoodData(
            uuid=str(item.uuid), name=item.name, tax_rate=tax_rate,
            calculation_subject=item.calculation_subject, code=code(item.pk) or "",
            price=to_money(base_price) if base_price is not None else None,
            balance=_positive(item_balance), unit_code=unit.okei_code, unit_uuid=str(unit.uuid),
            article=item.article, description=item.description, is_weight=item.is_weight,
            marked_type_code=item.marking_kind, barcodes=barcodes.get((item.pk, None, None), []),
        )
        if item.group_id and rule.export_groups:
            good.group_code = item.group.code
            good.group_uuid = str(item.group.uuid)
            group_ids.add(item.group_id)
        if item.is_alcohol:
            good.alcohol = AlcoholData(
                is_excisable=item.alcohol_is_excisable, kind_code=item.alcohol_kind_code,
                container_size=item.alcohol_volume or Decimal(0), strength=item.alcohol_strength or Decimal(0),
                vendor_inn=item.alcohol_vendor_inn, vendor_kpp=item.alcohol_vendor_kpp,
                is_draught=item.alcohol_is_draught,
            )

        def pack_list(ch_id: int | None, unit_price: Decimal | None, balance: Decimal | None) -> list[PackData]:
            result = []
            for pack in packs.get(item.pk, []):
                pack_code = code(item.pk, ch_id, pack.pk)
                if pack_code is None:
                    continue
                result.append(PackData(
                    code=pack_code, uuid=str(pack.uuid), name=pack.name, units_per_pack=pack.coefficient,
                    price=to_money(unit_price * pack.coefficient) if unit_price is not None else None,
                    balance=_positive(balance / pack.coefficient) if balance else None,
                    barcodes=barcodes.get((item.pk, ch_id, pack.pk), []) if ch_id else barcodes.get((item.pk, None, pack.pk), []),
                ))
            return result

        if chars.get(item.pk):
            for ch in chars[item.pk]:
                ch_code = code(item.pk, ch.pk)
                if ch_code is None:
                    continue
                ch_price = prices.get((item.pk, ch.pk), base_price)
                ch_balance = balances.get((item.pk, ch.pk)) if balances else None
                good.characteristics.append(CharacteristicData(
                    code=ch_code, uuid=str(ch.uuid), name=ch.name,
                    price=to_money(ch_price) if ch_price is not None else None, balance=_positive(ch_balance),
                    barcodes=barcodes.get((item.pk, ch.pk, None), []),
                    packs=pack_list(ch.pk, ch_price, ch_balance),
                ))
        else:
            good.packs = pack_list(None, base_price, item_balance)
        goods.append(good)

    if unsupported:
        raise PriceListBuildError(
            f"Формат обмена {fmt.label} не допускает ставку НДС этих товаров: " + ", ".join(unsupported[:20])
            + (f" и еще {len(unsupported) - 20}" if len(unsupported) > 20 else "")
        )

    groups: list[GroupData] = []
    if rule.export_groups:
        if full:
            group_ids |= set(rule_items(rule=rule).exclude(group=None).values_list("group_id", flat=True).distinct())
        tree = group_ancestors(group_ids)
        by_id = {g.pk: g for g in tree}
        for group in tree:
            parent = by_id.get(group.parent_id)
            groups.append(GroupData(
                code=group.code, name=group.name, uuid=str(group.uuid),
                parent_code=parent.code if parent else "", parent_uuid=str(parent.uuid) if parent else "",
            ))
    data = PriceListData(full=full, groups=groups, units=sorted(units.values(), key=lambda u: u.code), goods=goods)
    return CollectedPriceList(data, skipped_without_sku=skipped, without_price=without_price)


__all__ = ["BuildError", "CollectedPriceList", "price_list_collect"]
