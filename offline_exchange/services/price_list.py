"""Collect a device's price list as format dataclasses: one Good per position (PROTOCOL §5.1) or, as a
device setting, one Good per item with its positions nested (Розница 2.2)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Iterable

from django.db import transaction
from django.db.models import Min, Sum

from common.money import to_money, to_quantity
from offline_exchange.format.builders import BuildError, good_fragments
from offline_exchange.format.codes import position_code
from offline_exchange.format.documents import (
    AlcoholData,
    BarcodeData,
    CharacteristicData,
    GoodData,
    GroupData,
    PackData,
    PriceListData,
    UnitData,
)
from offline_exchange.format.versions import FormatVersion, get_format, held_back_text, refusal
from offline_exchange.models import ExchangeSettings, OfflineDevice, SkuCode
from offline_exchange.services.batching import chunks, fetch_rows, of_items
from offline_exchange.services.feed import Scope, feed_high_water, feed_item_versions, position_in_scopes
from offline_exchange.services.goods_cache import (
    goods_block_key,
    goods_block_store,
    goods_blocks_usable,
    goods_cache_fill_lock,
    goods_cache_key,
    goods_cache_read,
    goods_cache_store,
    goods_cache_usable_ids,
    goods_cache_variant,
    pack_ids,
    unpack_ids,
)
from offline_exchange.services.rules import group_ancestors, rule_items
from offline_exchange.services.sku import positions_for_items, sku_generate
from retail.models import Barcode, Characteristic, Item, ItemGroup, Pack, Price, StockBalance, Unit, VatRate


class CollectedPriceList:
    def __init__(self, data: PriceListData, skipped_without_sku: int, without_price: int, left_out: str = ""):
        self.data = data
        self.skipped_without_sku = skipped_without_sku
        self.without_price = without_price
        self.left_out = left_out


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
    # (item id, name, what the format cannot carry): goods left out of the list.
    left_out: list[tuple[int, str, str]] = field(default_factory=list)
    format_label: str = ""
    format_code: int = 0

    def left_out_text(self, shown: int = 20) -> str:
        """The journal's and the console's words for the goods left out; "" when none."""
        return held_back_text(get_format(self.format_code), [(name, reason) for _pk, name, reason in self.left_out],
                              shown=shown) if self.left_out else ""


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
    fmt = device_format(device)
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

    skipped_without_sku = len(selected) - len(ids)
    # Checked before the first package is out: what the device's format cannot carry is left out and named,
    # never failing the list for the other goods.
    left_out: list[tuple[int, str, str]] = []
    new_set = set(new)
    for chunk in chunks(new):
        for pk, name, rate, marking in (Item.objects.filter(**of_items("pk", chunk)).order_by("pk")
                                        .values_list("pk", "name", "vat_rate", "marking_kind")):
            reason = refusal(fmt, tax_rate=format_tax_rate(rate), marked=marking is not None) if pk in new_set else ""
            if reason:
                left_out.append((pk, name, reason))
    if left_out:
        refused = {pk for pk, _name, _reason in left_out}
        ids = [pk for pk in ids if pk not in refused]
        new = [pk for pk in new if pk not in refused]
        kept = [row for row in kept if row[0] not in refused]

    # Every package repeats all the list's units, as 1C writes them.
    unit_ids = set(map(itemgetter(1), kept))
    units = [UnitData(code=u.okei_code, name=u.name, uuid=str(u.uuid), okei_code=u.okei_code)
             for u in Unit.objects.filter(pk__in=unit_ids).order_by("okei_code")]
    if rule.export_groups and not full:
        groups = _groups(set(map(itemgetter(2), kept)))
    return PriceListPlan(full=full, ids=ids, groups=groups, units=units, skipped_without_sku=skipped_without_sku,
                         variant_key=variant_key, uncached=set(new), on=on, blocks=blocks, left_out=left_out,
                         format_label=fmt.label, format_code=fmt.code)


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
    "alcohol_strength", "alcohol_vendor_inn", "alcohol_vendor_kpp", "alcohol_is_draught", "classification_code",
    "is_excisable",
)


def device_format(device: OfflineDevice) -> FormatVersion:
    """The device's format version as its price lists speak it."""
    return get_format(device.format_version)


def position_name(item_name: str, characteristic: str = "", pack: str = "") -> str:
    """A position's printable name as 1C composes it: item, «(characteristic)», «, pack»."""
    name = f"{item_name} ({characteristic})" if characteristic else item_name
    return f"{name}, {pack}" if pack else name


def _goods_of_items(*, device: OfflineDevice, ids: list[int], on: date,
                    positions: dict[int, set[Scope] | None] | None = None
                    ) -> tuple[list[tuple[int, GoodData]], list[UnitData], int]:
    """The Goods of these items in id order, in the device's shape: one Good per position (PROTOCOL §5.1;
    an item's Goods follow one another, by code) or one Good per item with its positions nested (Розница
    2.2). Goods the device's format cannot carry are left out (the plan names them). With `positions`
    (the per-position shape), an item named there gets the Goods of those of its positions only."""
    fmt = device_format(device)
    per_position = device.goods_shape == OfflineDevice.GoodsShape.POSITIONS
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

    prices = _latest_prices(price_type_id, ids, on)
    balances = _balances(warehouse.pk, ids) if device.export_balances else {}
    item_totals: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id, _ch_id), value in balances.items():
        item_totals[item_id] += value

    goods: list[tuple[int, GoodData]] = []
    units: dict[int, UnitData] = {}
    without_price = 0
    no_barcodes: list[BarcodeData] = []
    for item in items:
        weight = item.is_weight

        def code(ch_id=None, pack_id=None) -> str | None:
            number = sku.get(SkuCode.key_for(item.id, ch_id, pack_id))
            return None if number is None else position_code(number, is_weight=weight)

        def codes_of(key) -> list[BarcodeData]:
            # A weighed good's barcodes are printed by the scales and carry its code: none are sent.
            return no_barcodes if weight else barcodes.get(key, no_barcodes)

        if code() is None:
            continue
        tax_rate = format_tax_rate(item.vat_rate)
        if refusal(fmt, tax_rate=tax_rate, marked=item.marking_kind is not None):
            continue  # changed since the plan named it; the next list names it
        base_price = prices.get((item.id, None))
        if base_price is None:
            without_price += 1
        item_balance = item_totals.get(item.id)
        unit = units_by_id[item.base_unit_id]
        units.setdefault(unit.pk, UnitData(code=unit.okei_code, name=unit.name, uuid=str(unit.uuid), okei_code=unit.okei_code))
        common = dict(
            uuid=str(item.uuid), tax_rate=tax_rate, calculation_subject=item.calculation_subject,
            unit_code=unit.okei_code, unit_uuid=str(unit.uuid), article=item.article, description=item.description,
            is_weight=weight, marked_type_code=item.marking_kind, classification_code=item.classification_code,
            is_excisable=item.is_excisable,
        )
        if item.group_id and rule.export_groups:
            group = groups_by_id[item.group_id]
            common.update(group_code=group.code, group_uuid=str(group.uuid))
        alcohol = None
        if item.is_alcohol:
            alcohol = AlcoholData(
                is_excisable=item.alcohol_is_excisable, kind_code=item.alcohol_kind_code,
                container_size=item.alcohol_volume or Decimal(0), strength=item.alcohol_strength or Decimal(0),
                vendor_inn=item.alcohol_vendor_inn, vendor_kpp=item.alcohol_vendor_kpp,
                is_draught=item.alcohol_is_draught,
            )

        def pack_data(pack, ch_id: int | None, unit_price: Decimal | None, balance: Decimal | None) -> PackData | None:
            pack_code = code(ch_id, pack.id)
            if pack_code is None:
                return None
            return PackData(
                code=pack_code, uuid=str(pack.uuid), name=pack.name, units_per_pack=pack.coefficient,
                price=to_money(unit_price * pack.coefficient) if unit_price is not None else None,
                # 1C writes a pack position's balance in base units; the nested shape in packs.
                balance=_positive(balance) if per_position else (_positive(balance / pack.coefficient) if balance else None),
                barcodes=codes_of((item.id, ch_id, pack.id)),
            )

        def money_or_none(value: Decimal | None) -> Decimal | None:
            return to_money(value) if value is not None else None

        item_chars = chars.get(item.id, [])
        if per_position:
            item_goods: list[tuple[int, GoodData]] = []

            scopes = positions.get(item.id) if positions else None

            def add(position_code_text: str, good: GoodData, ch_id: int | None = None, pack_id: int | None = None
                    ) -> None:
                if position_in_scopes(scopes, ch_id, pack_id):
                    item_goods.append((int(position_code_text), good))

            if not item_chars:
                add(code(), GoodData(name=item.name, code=code(), price=money_or_none(base_price),
                                     balance=_positive(item_balance), barcodes=codes_of((item.id, None, None)),
                                     alcohol=alcohol, **common))
            for pack in ([] if item_chars else packs.get(item.id, [])):
                data = pack_data(pack, None, base_price, item_balance)
                if data is not None:
                    add(data.code, GoodData(name=position_name(item.name, pack=pack.name), packs=[data],
                                            alcohol=alcohol, **common), None, pack.id)
            # An item with characteristics is sold by characteristic: its positions are the characteristics
            # and their packs (the item's own code names it in uploads and orders only).
            for ch in item_chars:
                ch_price = prices.get((item.id, ch.id), base_price)
                ch_balance = balances.get((item.id, ch.id)) if balances else None
                ch_code = code(ch.id)
                if ch_code is not None:
                    add(ch_code, GoodData(name=position_name(item.name, ch.name), alcohol=alcohol, **common,
                                          characteristics=[CharacteristicData(
                                              code=ch_code, uuid=str(ch.uuid), name=ch.name,
                                              price=money_or_none(ch_price), balance=_positive(ch_balance),
                                              barcodes=codes_of((item.id, ch.id, None)))]), ch.id)
                for pack in packs.get(item.id, []):
                    data = pack_data(pack, ch.id, ch_price, ch_balance)
                    if data is not None:
                        add(data.code, GoodData(name=position_name(item.name, ch.name, pack.name), alcohol=alcohol,
                                                **common, characteristics=[CharacteristicData(
                                                    code="", uuid=str(ch.uuid), name=ch.name, packs=[data])]),
                        ch.id, pack.id)
            item_goods.sort(key=itemgetter(0))
            goods.extend((item.id, good) for _number, good in item_goods)
            continue

        good = GoodData(name=item.name, code=code(), price=money_or_none(base_price), balance=_positive(item_balance),
                        barcodes=codes_of((item.id, None, None)), alcohol=alcohol, **common)
        if item_chars:
            for ch in item_chars:
                ch_code = code(ch.id)
                if ch_code is None:
                    continue
                ch_price = prices.get((item.id, ch.id), base_price)
                ch_balance = balances.get((item.id, ch.id)) if balances else None
                good.characteristics.append(CharacteristicData(
                    code=ch_code, uuid=str(ch.uuid), name=ch.name, price=money_or_none(ch_price),
                    balance=_positive(ch_balance), barcodes=codes_of((item.id, ch.id, None)),
                    packs=[p for p in (pack_data(pack, ch.id, ch_price, ch_balance) for pack in packs.get(item.id, []))
                           if p is not None],
                ))
        else:
            good.packs = [p for p in (pack_data(pack, None, base_price, item_balance) for pack in packs.get(item.id, []))
                          if p is not None]
        goods.append((item.id, good))

    return goods, sorted(units.values(), key=lambda u: u.code), without_price


def price_list_collect(*, device: OfflineDevice, item_ids: Iterable[int] | None = None, full: bool,
                       on: date | None = None) -> CollectedPriceList:
    """Everything the device's rule selects (or only `item_ids` of it) as one PriceListData."""
    plan = price_list_plan(device=device, item_ids=item_ids, full=full, on=on)
    goods, units, without_price = price_list_goods(device=device, ids=plan.ids, on=on)
    data = PriceListData(full=full, groups=plan.groups, units=plan.units, goods=goods)
    return CollectedPriceList(data, skipped_without_sku=plan.skipped_without_sku, without_price=without_price,
                              left_out=plan.left_out_text())


def price_list_cache_fill(*, device: OfflineDevice, ids: list[int], on: date, block: list[int] | None = None) -> int:
    """Build and cache the Goods of these items that the cache lacks; returns how many were written.
    With `block` (a package's items), the package's block is written too, from the Goods just built
    and those cached.

    The items' versions are read before their data (see goods_cache: so a Good is never older than its
    key); items another process cached meanwhile are not built twice (the variant's fill lock)."""
    fmt = device_format(device)
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
            # An item's cached entry is the Goods of all its positions, one after another.
            joined: dict[int, list[bytes]] = defaultdict(list)
            for (item_id, _good), fragment in zip(goods, good_fragments([good for _item_id, good in goods], fmt)):
                joined[item_id].append(fragment)
            built = {item_id: (b"".join(fragments), next_dates.get(item_id)) for item_id, fragments in joined.items()}
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


def price_list_positions_serialized(*, device: OfflineDevice, positions: dict[int, set[Scope]],
                                    on: date | None = None) -> list[bytes]:
    """The Goods of only these positions of these items (an incremental list's items of which some positions
    changed), built from the base: the cache holds whole items. Few, as the changes that name them."""
    if not positions:
        return []
    fmt = device_format(device)
    goods, _units, _without_price = _goods_of_items(device=device, ids=sorted(positions), on=on or price_day(),
                                                    positions=positions)
    return good_fragments([good for _item_id, good in goods], fmt)


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


__all__ = ["BuildError", "CollectedPriceList", "PriceListPlan", "device_format", "item_exchange_refusals",
           "position_name", "price_day", "price_list_block_fill",
           "price_list_cache_fill", "price_list_collect", "price_list_goods", "price_list_goods_serialized",
           "price_list_package_goods", "price_list_parts", "price_list_plan", "price_list_positions_serialized"]


def item_exchange_refusals(*, item: Item) -> list[str]:
    """For the item's page: the registers whose rule selects it but whose exchange format cannot carry it."""
    found = []
    tax_rate = format_tax_rate(item.vat_rate)
    for device in OfflineDevice.objects.filter(in_use=True).select_related("rule").order_by("name"):
        reason = refusal(device_format(device), tax_rate=tax_rate, marked=item.marking_kind is not None)
        if reason and rule_items(rule=device.rule).filter(pk=item.pk).exists():
            found.append(f"Формат обмена кассы «{device.name}» ({device_format(device).label}) не передает {reason}: "
                         "товар на эту кассу не выгружается.")
    return found
