"""Collect a device's price list (one Good per item, positions nested) as format dataclasses."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Iterable

from django.db import transaction
from django.db.models import Min, Sum

from retail.models import Barcode, Characteristic, Item, ItemGroup, Pack, Price, StockBalance, Unit, VatRate
from retail.money import to_money, to_quantity

from ..exceptions import PriceListBuildError
from ..format.builders import BuildError, good_fragments
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
from .batching import chunks, fetch_rows, of_items
from .goods_cache import (
    goods_block_key,
    goods_block_store,
    goods_blocks_usable,
    goods_cache_key,
    goods_cache_fill_lock,
    goods_cache_read,
    goods_cache_store,
    goods_cache_usable_ids,
    goods_cache_variant,
    pack_ids,
    unpack_ids,
)
from .feed import feed_high_water, feed_item_versions
from .rules import group_ancestors, rule_items
from .sku import positions_for_items, sku_generate


class CollectedPriceList:
    def __init__(self, data: PriceListData, skipped_without_sku: int, without_price: int):
        self.data = data
        self.skipped_without_sku = skipped_without_sku
        self.without_price = without_price


def _latest_prices(price_type_id: int | None, item_ids: list[int], on: date) -> dict[tuple[int, int | None], Decimal]:
    prices: dict[tuple[int, int | None], Decimal] = {}
    if price_type_id is None:
        return prices
    for chunk in chunks(item_ids):
        rows = (
            Price.objects.filter(price_type_id=price_type_id, date__lte=on, **of_items("item_id", chunk))
            .order_by("item_id", "characteristic_id", "date", "id")
            .values_list("item_id", "characteristic_id", "value")
        )
        for item_id, ch_id, value in rows:
            prices[(item_id, ch_id)] = value  # later dates overwrite earlier ones
    return prices


def _balances(warehouse_id: int, item_ids: list[int]) -> dict[tuple[int, int | None], Decimal]:
    balances: dict[tuple[int, int | None], Decimal] = {}
    for chunk in chunks(item_ids):
        rows = (
            StockBalance.objects.filter(warehouse_id=warehouse_id, **of_items("item_id", chunk))
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


def price_day() -> date:
    """Prices are in force from the store's calendar day (TIME_ZONE: Django sets the process's zone)."""
    return date.today()


def _next_price_dates(price_type_id: int | None, item_ids: list[int], on: date) -> dict[int, date]:
    """The day each item's next dated price comes into force (its cached Good is used until then)."""
    found: dict[int, date] = {}
    if price_type_id is None:
        return found
    for chunk in chunks(item_ids):
        found.update(Price.objects.filter(price_type_id=price_type_id, date__gt=on, **of_items("item_id", chunk))
                     .values("item_id").annotate(first=Min("date")).values_list("item_id", "first"))
    return found


@dataclass
class PriceListPlan:
    """What a price list will hold, known before any Good is built: the items (with an SKU), the
    groups and units, and which items' Goods the cache lacks. Goods are then built a package at a
    time, so memory does not grow with the catalog."""

    full: bool
    ids: list[int]
    groups: list[GroupData]
    units: list[UnitData]
    skipped_without_sku: int
    variant_key: str
    uncached: set[int]
    on: date
    # The usable blocks of the list's packages, when the plan looked them up (a full list cut in packages).
    blocks: set[str] | None = None


def _allowed_rates(fmt) -> list[str]:
    return [value for value in VatRate.values if format_tax_rate(value) in fmt.tax_rates]


def price_list_parts(groups: list, ids: list[int], per_package: int) -> list[tuple[list, list[int]]]:
    """The packages' elements: groups first, then goods, `per_package` elements a package (0: one
    package); units and the flag repeat in each."""
    count = len(groups) + len(ids)
    if per_package <= 0 or count <= per_package:
        return [(groups, ids)]
    parts = []
    for start in range(0, count, per_package):
        end = start + per_package
        parts.append((groups[start:end], ids[max(0, start - len(groups)):max(0, end - len(groups))]))
    return parts


def price_list_plan(*, device: OfflineDevice, item_ids: Iterable[int] | None = None, full: bool,
                    on: date | None = None, per_package: int | None = None) -> PriceListPlan:
    """The goods the device's rule selects (or only `item_ids` of them) that have an SKU.

    Items whose Good is in the cache under their current version were checked when it was written (SKU,
    VAT rate) and any change since would have given them another version, so only the others are looked
    at. With `per_package`, a full list
    whose every package the cache holds as a block (the common case: nothing changed since the last
    full list of these settings) is planned from one read of the catalog's ids and one of the blocks'
    names; `blocks` then names the usable blocks."""
    fmt = get_format(device.format_version)
    rule = device.rule
    on = on or price_day()
    variant_key = goods_cache_key(device=device)
    items_qs = rule_items(rule=rule).order_by("pk").values_list("pk", "base_unit_id", "group_id")
    # Read as raw rows: for a full list this is one row per item of the catalog.
    if item_ids is not None:
        rows = []
        for chunk in chunks(sorted(set(item_ids))):
            rows.extend(fetch_rows(*items_qs.filter(pk__in=chunk).query.sql_with_params()))
        rows.sort()
    else:
        rows = fetch_rows(*items_qs.query.sql_with_params())
    selected = list(map(itemgetter(0), rows))
    # A full list carries the rule's whole group tree; an incremental one the groups of its goods.
    groups = _groups(set(map(itemgetter(2), rows))) if rule.export_groups and full else []

    blocks: set[str] | None = None
    if per_package is not None and item_ids is None:
        keys = [goods_block_key(pack_ids(ids))
                for _groups, ids in price_list_parts(groups, selected, per_package) if ids]
        blocks = goods_blocks_usable(variant_key=variant_key, keys=keys, on=on)
    if blocks is not None and blocks.issuperset(keys):
        # Every Good is cached: a block holds only usable Goods, and goes when any of them does.
        ids, new, kept = selected, [], rows
    else:
        versions = feed_item_versions(item_ids=None if item_ids is None else selected)
        cached = goods_cache_usable_ids(variant_key=variant_key, item_ids=None if item_ids is None else selected,
                                        on=on, versions=versions)
        if cached.issuperset(selected):
            # Nothing changed since the Goods were cached.
            ids, new, kept = selected, [], rows
        else:
            uncached = [pk for pk in selected if pk not in cached]
            if ExchangeSettings.load().auto_generate_sku:
                sku_generate(positions=positions_for_items(uncached))
            with_sku = cached.intersection(selected)
            for chunk in chunks(uncached):
                with_sku.update(SkuCode.objects.filter(characteristic=None, pack=None, **of_items("item_id", chunk))
                                .values_list("item_id", flat=True))
            ids = [pk for pk in selected if pk in with_sku]
            new = [pk for pk in uncached if pk in with_sku]
            kept = [row for row in rows if row[0] in with_sku]

    # Checked before the first package is out, so a device never gets half a list and then an error.
    unsupported: list[str] = []
    allowed = _allowed_rates(fmt)
    new_set = set(new)
    for chunk in chunks(new):
        unsupported.extend(f"«{name}» (НДС {rate}%)" for pk, name, rate in Item.objects.filter(**of_items("pk", chunk))
                           .exclude(vat_rate__in=allowed).values_list("pk", "name", "vat_rate") if pk in new_set)
    if unsupported:
        raise PriceListBuildError(
            f"Формат обмена {fmt.label} не допускает ставку НДС этих товаров: " + ", ".join(unsupported[:20])
            + (f" и еще {len(unsupported) - 20}" if len(unsupported) > 20 else "")
        )

    # Every package repeats all the list's units, as 1C writes them.
    unit_ids = set(map(itemgetter(1), kept))
    units = [UnitData(code=u.okei_code, name=u.name, uuid=str(u.uuid), okei_code=u.okei_code)
             for u in Unit.objects.filter(pk__in=unit_ids).order_by("okei_code")]
    if rule.export_groups and not full:
        groups = _groups(set(map(itemgetter(2), kept)))
    return PriceListPlan(full=full, ids=ids, groups=groups, units=units, skipped_without_sku=len(selected) - len(ids),
                         variant_key=variant_key, uncached=set(new), on=on, blocks=blocks)


def _groups(group_ids: set[int | None]) -> list[GroupData]:
    """These groups and their ancestors, parents first."""
    tree = group_ancestors({pk for pk in group_ids if pk})
    by_id = {g.pk: g for g in tree}
    groups = []
    for group in tree:
        parent = by_id.get(group.parent_id)
        groups.append(GroupData(
            code=group.code, name=group.name, uuid=str(group.uuid),
            parent_code=parent.code if parent else "", parent_uuid=str(parent.uuid) if parent else "",
        ))
    return groups


def price_list_goods(*, device: OfflineDevice, ids: list[int], on: date | None = None
                     ) -> tuple[list[GoodData], list[UnitData], int]:
    """The Goods of these items (planned by `price_list_plan`), their units, and how many lack a price."""
    goods, units, without_price = _goods_of_items(device=device, ids=ids, on=on or price_day())
    return [good for _item_id, good in goods], units, without_price


_ITEM_FIELDS = (
    "id", "uuid", "name", "article", "description", "vat_rate", "is_weight", "marking_kind", "calculation_subject",
    "base_unit_id", "group_id", "is_alcohol", "alcohol_is_excisable", "alcohol_kind_code", "alcohol_volume",
    "alcohol_strength", "alcohol_vendor_inn", "alcohol_vendor_kpp", "alcohol_is_draught",
)


def _goods_of_items(*, device: OfflineDevice, ids: list[int], on: date
                    ) -> tuple[list[tuple[int, GoodData]], list[UnitData], int]:
    fmt = get_format(device.format_version)
    rule = device.rule
    warehouse = rule.warehouse
    store = warehouse.store
    price_type_id = store.retail_price_type_id if store else None

    sku: dict[str, int] = {}
    # Rows, not model instances: a first full list reads every item, characteristic and pack.
    items: list = []
    chars: dict[int, list] = defaultdict(list)
    packs: dict[int, list] = defaultdict(list)
    barcodes: dict[tuple[int, int | None, int | None], list[BarcodeData]] = defaultdict(list)
    wanted = set(ids)
    for chunk in chunks(ids):
        sku.update(SkuCode.objects.filter(**of_items("item_id", chunk)).values_list("position_key", "number"))
        items.extend(item for item in Item.objects.filter(**of_items("pk", chunk)).order_by("pk")
                     .values_list(*_ITEM_FIELDS, named=True) if item.id in wanted)
        for ch in (Characteristic.objects.filter(**of_items("item_id", chunk)).order_by("item_id", "name", "pk")
                   .values_list("id", "uuid", "name", "item_id", named=True)):
            chars[ch.item_id].append(ch)
        for pack in (Pack.objects.filter(**of_items("item_id", chunk)).order_by("item_id", "coefficient", "pk")
                     .values_list("id", "uuid", "name", "coefficient", "item_id", named=True)):
            packs[pack.item_id].append(pack)
        for row in Barcode.objects.filter(**of_items("item_id", chunk)).order_by("value").values_list(
                "item_id", "characteristic_id", "pack_id", "value", "barcode_type"):
            barcodes[(row[0], row[1], row[2])].append(BarcodeData(value=row[3], type=row[4]))

    # Few units and groups for many items: read once, not joined to every item.
    units_by_id = Unit.objects.in_bulk({item.base_unit_id for item in items})
    groups_by_id = ItemGroup.objects.in_bulk({item.group_id for item in items if item.group_id})

    def code(item_id, ch_id=None, pack_id=None) -> str | None:
        number = sku.get(SkuCode.key_for(item_id, ch_id, pack_id))
        return None if number is None else str(number)

    prices = _latest_prices(price_type_id, ids, on)
    balances = _balances(warehouse.pk, ids) if device.export_balances else {}
    item_totals: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id, _ch_id), value in balances.items():
        item_totals[item_id] += value

    goods: list[tuple[int, GoodData]] = []
    units: dict[int, UnitData] = {}
    unsupported: list[str] = []
    without_price = 0
    for item in items:
        if code(item.id) is None:
            continue
        tax_rate = format_tax_rate(item.vat_rate)
        if tax_rate not in fmt.tax_rates:
            unsupported.append(f"«{item.name}» (НДС {item.vat_rate}%)")
            continue
        base_price = prices.get((item.id, None))
        if base_price is None:
            without_price += 1
        item_balance = item_totals.get(item.id)
        unit = units_by_id[item.base_unit_id]
        units.setdefault(unit.pk, UnitData(code=unit.okei_code, name=unit.name, uuid=str(unit.uuid), okei_code=unit.okei_code))
        good = GoodData(
            uuid=str(item.uuid), name=item.name, tax_rate=tax_rate,
            calculation_subject=item.calculation_subject, code=code(item.id) or "",
            price=to_money(base_price) if base_price is not None else None,
            balance=_positive(item_balance), unit_code=unit.okei_code, unit_uuid=str(unit.uuid),
            article=item.article, description=item.description, is_weight=item.is_weight,
            marked_type_code=item.marking_kind, barcodes=barcodes.get((item.id, None, None), []),
        )
        if item.group_id and rule.export_groups:
            group = groups_by_id[item.group_id]
            good.group_code = group.code
            good.group_uuid = str(group.uuid)
        if item.is_alcohol:
            good.alcohol = AlcoholData(
                is_excisable=item.alcohol_is_excisable, kind_code=item.alcohol_kind_code,
                container_size=item.alcohol_volume or Decimal(0), strength=item.alcohol_strength or Decimal(0),
                vendor_inn=item.alcohol_vendor_inn, vendor_kpp=item.alcohol_vendor_kpp,
                is_draught=item.alcohol_is_draught,
            )

        def pack_list(ch_id: int | None, unit_price: Decimal | None, balance: Decimal | None) -> list[PackData]:
            result = []
            for pack in packs.get(item.id, []):
                pack_code = code(item.id, ch_id, pack.id)
                if pack_code is None:
                    continue
                result.append(PackData(
                    code=pack_code, uuid=str(pack.uuid), name=pack.name, units_per_pack=pack.coefficient,
                    price=to_money(unit_price * pack.coefficient) if unit_price is not None else None,
                    balance=_positive(balance / pack.coefficient) if balance else None,
                    barcodes=barcodes.get((item.id, ch_id, pack.id), []) if ch_id else barcodes.get((item.id, None, pack.id), []),
                ))
            return result

        if chars.get(item.id):
            for ch in chars[item.id]:
                ch_code = code(item.id, ch.id)
                if ch_code is None:
                    continue
                ch_price = prices.get((item.id, ch.id), base_price)
                ch_balance = balances.get((item.id, ch.id)) if balances else None
                good.characteristics.append(CharacteristicData(
                    code=ch_code, uuid=str(ch.uuid), name=ch.name,
                    price=to_money(ch_price) if ch_price is not None else None, balance=_positive(ch_balance),
                    barcodes=barcodes.get((item.id, ch.id, None), []),
                    packs=pack_list(ch.id, ch_price, ch_balance),
                ))
        else:
            good.packs = pack_list(None, base_price, item_balance)
        goods.append((item.id, good))

    if unsupported:  # a rate changed after planning
        raise PriceListBuildError(
            f"Формат обмена {fmt.label} не допускает ставку НДС этих товаров: " + ", ".join(unsupported[:20]))
    return goods, sorted(units.values(), key=lambda u: u.code), without_price


def price_list_collect(*, device: OfflineDevice, item_ids: Iterable[int] | None = None, full: bool,
                       on: date | None = None) -> CollectedPriceList:
    """Everything the device's rule selects (or only `item_ids` of it) as one PriceListData."""
    plan = price_list_plan(device=device, item_ids=item_ids, full=full, on=on)
    goods, units, without_price = price_list_goods(device=device, ids=plan.ids, on=on)
    data = PriceListData(full=full, groups=plan.groups, units=plan.units, goods=goods)
    return CollectedPriceList(data, skipped_without_sku=plan.skipped_without_sku, without_price=without_price)


def price_list_cache_fill(*, device: OfflineDevice, ids: list[int], on: date, block: list[int] | None = None) -> int:
    """Build and cache the Goods of these items that the cache lacks; returns how many were written.
    With `block` (a package's items), the package's block is written too, from the Goods just built
    and those cached.

    The items' versions are read before their data (see goods_cache: so a Good is never older than its
    key); items another process cached meanwhile are not built twice (the variant's fill lock)."""
    fmt = get_format(device.format_version)
    store = device.rule.warehouse.store
    with transaction.atomic():
        goods_cache_fill_lock(variant_key=goods_cache_key(device=device))
        variant = goods_cache_variant(device=device)
        seq = feed_high_water() if block else 0
        versions = feed_item_versions(item_ids=sorted(set(ids) | set(block or [])))
        missing = sorted(set(ids) - goods_cache_usable_ids(variant_key=variant.pk, item_ids=ids, on=on,
                                                           versions=versions))
        built: dict[int, tuple[bytes, date | None]] = {}
        if missing:
            goods, _units, _without_price = _goods_of_items(device=device, ids=missing, on=on)
            next_dates = _next_price_dates(store.retail_price_type_id if store else None, missing, on)
            fragments = good_fragments([good for _item_id, good in goods], fmt)
            built = {item_id: (fragment, next_dates.get(item_id))
                     for (item_id, _good), fragment in zip(goods, fragments)}
            goods_cache_store(variant=variant, on=on, versions=versions, goods=[
                (item_id, fragment, valid_until) for item_id, (fragment, valid_until) in built.items()])
        if block:
            _block_store(variant_key=variant.pk, ids=block, built=built, on=on, versions=versions, seq=seq)
        return len(built)


def _block_store(*, variant_key: str, ids: list[int], built: dict[int, tuple[bytes, date | None]], on: date,
                 versions: dict[int, int], seq: int) -> bool:
    goods = dict(built)
    rest = [pk for pk in ids if pk not in goods]
    if rest:
        goods.update(goods_cache_read(variant_key=variant_key, item_ids=rest, on=on, versions=versions))
    if any(pk not in goods for pk in ids):
        return False
    goods_block_store(variant_key=variant_key, item_ids=ids, goods=goods, on=on, seq=seq)
    return True


def price_list_goods_serialized(*, device: OfflineDevice, ids: list[int], on: date | None = None) -> list[bytes]:
    """The Goods of these items in id order, from the cache under the items' current versions (building
    the ones it lacks: changed since they were planned, or their next price came into force). Items gone
    or without an SKU meanwhile are left out."""
    on = on or price_day()
    variant_key = goods_cache_key(device=device)
    found = goods_cache_read(variant_key=variant_key, item_ids=ids, on=on, versions=feed_item_versions(item_ids=ids))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        price_list_cache_fill(device=device, ids=missing, on=on)
        # Read under the versions the fill wrote them with, or newer: never older than the fill's data.
        found.update(goods_cache_read(variant_key=variant_key, item_ids=missing, on=on,
                                      versions=feed_item_versions(item_ids=missing)))
    return [found[pk][0] for pk in ids if pk in found]


def price_list_block_fill(*, device: OfflineDevice, ids: list[int], on: date) -> bool:
    """Join the cached Goods of a package's items into its block; False when one of them is not cached
    under its current version (changed since it was): the package is then served Good by Good."""
    variant_key = goods_cache_key(device=device)
    with transaction.atomic():
        goods_cache_fill_lock(variant_key=variant_key)
        seq = feed_high_water()
        return _block_store(variant_key=variant_key, ids=ids, built={}, on=on,
                            versions=feed_item_versions(item_ids=ids), seq=seq)


def price_list_package_goods(*, device: OfflineDevice, item_ids: bytes) -> list[bytes]:
    """The Goods of a package's items (`pack_ids`) Good by Good: for a package whose block the claim
    did not find (changed since the package was built)."""
    if not item_ids:
        return []
    return price_list_goods_serialized(device=device, ids=unpack_ids(item_ids))


__all__ = ["BuildError", "CollectedPriceList", "PriceListPlan", "price_day", "price_list_block_fill",
           "price_list_cache_fill", "price_list_collect", "price_list_goods", "price_list_goods_serialized",
           "price_list_package_goods", "price_list_parts", "price_list_plan"]
