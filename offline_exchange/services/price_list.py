"""Collect a device's price list as format dataclasses: one Good per position (PROTOCOL §5.1) or, as a
device setting, one Good per item with its positions nested (Розница 2.2)."""
from __future__ import annotations

from collections import defaultdict, deque, namedtuple
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from decimal import Context as DecimalContext
from operator import itemgetter
from typing import Any, Iterable, Iterator

from django.db import connection, connections, transaction

from common.money import GRAM, KOPECK, to_money, to_quantity
from offline_exchange.format.builders import BuildError, refuse_not_xml
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
from offline_exchange.format.goods_text import (
    SLOT,
    SLOT_BYTES,
    GoodsTextWriter,
    pack_values_slot,
    price_balance_text,
    price_values_slot,
)
from offline_exchange.format.versions import FormatVersion, get_format, held_back_text, refusal
from offline_exchange.models import ExchangeSettings, OfflineDevice, SkuCode
from offline_exchange.services.batching import chunks, fetch_rows, id_condition, id_ranges, of_items
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
from offline_exchange.services.sku import (
    positions_for_items,
    sku_generate,
    sku_items_lacking,
    sku_items_with_own,
)
from retail.models import Barcode, Characteristic, Item, ItemGroup, Pack, Price, StockBalance, Unit, VatRate


class CollectedPriceList:
    def __init__(self, data: PriceListData, skipped_without_sku: int, without_price: int, left_out: str = ""):
        self.data = data
        self.skipped_without_sku = skipped_without_sku
        self.without_price = without_price
        self.left_out = left_out


# The reads of prices and balances run per package of every list (the slots of its Goods): raw rows by id
# range, as the cache's reads; the ORM's compiling of them cost as much as the reading.
def _latest_prices(price_type_id: int | None, item_ids: list[int], on: date) -> dict[tuple[int, int | None], Decimal]:
    prices: dict[tuple[int, int | None], Decimal] = {}
    if price_type_id is None:
        return prices
    table = connection.ops.quote_name(Price._meta.db_table)
    for chunk in chunks(item_ids):
        items, params = id_condition("item_id", chunk)
        rows = fetch_rows(f"SELECT item_id, characteristic_id, value FROM {table} WHERE price_type_id = %s "
                          f"AND date <= %s AND {items} ORDER BY item_id, characteristic_id, date, id",
                          [price_type_id, connection.ops.adapt_datefield_value(on), *params])
        for item_id, ch_id, value in rows:
            prices[(item_id, ch_id)] = value  # later dates overwrite earlier ones
    return {key: _decimal(value) for key, value in prices.items()}


def _prices_and_next_dates(price_type_id: int | None, item_ids: list[int], on: date
                           ) -> tuple[dict[tuple[int, int | None], Decimal], dict[int, date]]:
    """The prices in force on day `on` (as `_latest_prices`) and the day each item's next dated price comes into
    force (its Goods as written today are right until then), in one read: every package's slots need both."""
    prices: dict[tuple[int, int | None], Decimal] = {}
    found: dict[int, date] = {}
    if price_type_id is None:
        return prices, found
    table = connection.ops.quote_name(Price._meta.db_table)
    today = connection.ops.adapt_datefield_value(on)
    for chunk in chunks(item_ids):
        items, params = id_condition("item_id", chunk)
        rows = fetch_rows(f"SELECT item_id, characteristic_id, value, date FROM {table} WHERE price_type_id = %s "
                          f"AND {items} ORDER BY item_id, characteristic_id, date, id", [price_type_id, *params])
        for item_id, ch_id, value, day in rows:
            # SQLite's raw rows give the date as ISO text, compared as such; PostgreSQL's a date.
            if (day <= today) if isinstance(day, str) else (day <= on):
                prices[(item_id, ch_id)] = value  # later dates overwrite earlier ones
            elif item_id not in found or day < found[item_id]:
                found[item_id] = day  # the item's next price day, of any of its characteristics too
    return ({key: _decimal(value) for key, value in prices.items()},
            {item_id: date.fromisoformat(day) if isinstance(day, str) else day for item_id, day in found.items()})


def _balances(warehouse_id: int, item_ids: list[int]) -> dict[tuple[int, int | None], Decimal]:
    # One row per warehouse, item and characteristic (stock_balance_unique).
    balances: dict[tuple[int, int | None], Decimal] = {}
    table = connection.ops.quote_name(StockBalance._meta.db_table)
    for chunk in chunks(item_ids):
        items, params = id_condition("item_id", chunk)
        for item_id, ch_id, quantity in fetch_rows(f"SELECT item_id, characteristic_id, quantity FROM {table} "
                                                   f"WHERE warehouse_id = %s AND {items}", [warehouse_id, *params]):
            balances[(item_id, ch_id)] = _decimal(quantity)
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
    # The items' versions the plan found their cached Goods under, and the feed's position read before them
    # (`price_list_block_fill`); None when the plan read no versions (every block was usable).
    versions: dict[int, int] | None = None
    seq: int = 0

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
    rows = _plan_rows(rule=rule, item_ids=item_ids)
    selected = list(map(itemgetter(0), rows))
    # A full list carries the rule's whole group tree; an incremental one the groups of its goods.
    groups = _groups(set(map(itemgetter(2), rows))) if rule.export_groups and full else []

    blocks: set[str] | None = None
    if per_package is not None and item_ids is None:
        keys = [goods_block_key(pack_ids(ids))
                for _groups, ids in price_list_parts(groups, selected, per_package) if ids]
        blocks = goods_blocks_usable(variant_key=variant_key, keys=keys, on=on)
    versions: dict[int, int] | None = None
    seq = 0
    if blocks is not None and blocks.issuperset(keys):
        # Every Good is cached: a block holds only usable Goods, and goes when any of them does.
        ids, new, kept = selected, [], rows
    else:
        seq = feed_high_water()
        ids, new, kept, versions = _plan_with_sku(variant_key=variant_key, rows=rows, on=on, every=item_ids is None)
    skipped_without_sku = len(selected) - len(ids)

    # Checked before the first package is out: what the device's format cannot carry is left out and named,
    # never failing the list for the other goods.
    left_out = _refused(fmt, new)
    if left_out:
        refused = {pk for pk, _name, _reason in left_out}
        ids = [pk for pk in ids if pk not in refused]
        new = [pk for pk in new if pk not in refused]
        kept = [row for row in kept if row[0] not in refused]

    # Every package repeats all the list's units, as 1C writes them.
    units = [_unit_data(unit) for unit in Unit.objects.filter(pk__in=set(map(itemgetter(1), kept)))
             .order_by("okei_code")]
    if rule.export_groups and not full:
        groups = _groups(set(map(itemgetter(2), kept)))
    return PriceListPlan(full=full, ids=ids, groups=groups, units=units, skipped_without_sku=skipped_without_sku,
                         variant_key=variant_key, uncached=set(new), on=on, blocks=blocks, left_out=left_out,
                         format_label=fmt.label, format_code=fmt.code, versions=versions, seq=seq)


def _plan_rows(*, rule, item_ids: Iterable[int] | None) -> list[tuple]:
    """(id, base unit, group) of the items the rule selects (or only `item_ids` of them), by id."""
    items_qs = rule_items(rule=rule).order_by("pk").values_list("pk", "base_unit_id", "group_id")
    # Read as raw rows: for a full list this is one row per item of the catalog.
    if item_ids is None:
        return fetch_rows(*items_qs.query.sql_with_params())
    rows = []
    wanted = set(item_ids)
    for chunk in id_ranges(sorted(wanted)):
        # By id range where the ids are dense (the list after a chain-wide change names the whole catalog):
        # an IN list of 2,000 ids cost more to compile than to read.
        rows.extend(row for row in fetch_rows(*items_qs.filter(**of_items("pk", chunk)).query.sql_with_params())
                    if row[0] in wanted)
    rows.sort()
    return rows


def _plan_with_sku(*, variant_key: str, rows: list[tuple], on: date, every: bool
                   ) -> tuple[list[int], list[int], list[tuple], dict[int, int]]:
    """Of these items (`every`: the rule's whole selection), those with an SKU, those of them the cache lacks,
    their rows, and the versions the cache was asked under. Items cached under their current version had one
    when they were cached (a new SKU would have given them another version); the others get one first if the
    settings generate them."""
    selected = list(map(itemgetter(0), rows))
    versions = feed_item_versions(item_ids=None if every else selected)
    cached = goods_cache_usable_ids(variant_key=variant_key, item_ids=None if every else selected, on=on,
                                    versions=versions)
    if cached.issuperset(selected):
        # Nothing changed since the Goods were cached.
        return selected, [], rows, versions
    uncached = [pk for pk in selected if pk not in cached]
    if ExchangeSettings.load().auto_generate_sku:
        # Asked of the database first: the positions of the whole catalog are made in Python only for the
        # items that lack a code, nearly always none.
        lacking = sku_items_lacking(item_ids=uncached)
        if lacking:
            sku_generate(positions=positions_for_items(pk for pk in uncached if pk in lacking))
    else:
        lacking = None
    # No item lacking a code: each has its own (a missing own code is lacking one).
    with_own = set(uncached) if lacking == set() else sku_items_with_own(item_ids=uncached)
    with_sku = cached.intersection(selected) | with_own
    return ([pk for pk in selected if pk in with_sku], [pk for pk in uncached if pk in with_sku],
            [row for row in rows if row[0] in with_sku], versions)


def _refused(fmt: FormatVersion, ids: list[int]) -> list[tuple[int, str, str]]:
    """(id, name, what the format cannot carry) of these items the device's format cannot carry."""
    left_out: list[tuple[int, str, str]] = []
    wanted = set(ids)
    # Items of a rate the format carries (and, where it carries no marking, unmarked) are read no further:
    # the database leaves them out, and `refusal` judges the rest (any other stored value among them).
    carried = [rate for rate in VatRate.values if not refusal(fmt, tax_rate=format_tax_rate(rate), marked=False)]
    plain = {"vat_rate__in": carried} if fmt.marking else {"vat_rate__in": carried, "marking_kind__isnull": True}
    for chunk in chunks(ids):
        for pk, name, rate, marking in _rows(Item.objects.filter(**of_items("pk", chunk)).exclude(**plain)
                                             .order_by("pk").values_list("pk", "name", "vat_rate", "marking_kind")):
            reason = refusal(fmt, tax_rate=format_tax_rate(rate), marked=marking is not None) if pk in wanted else ""
            if reason:
                left_out.append((pk, name, reason))
    return left_out


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
                    positions: dict[int, set[Scope] | None] | None = None, writer=None
                    ) -> tuple[list[tuple[int, Any]], list[UnitData], int]:
    """The Goods of these items in id order, in the device's shape: one Good per position (PROTOCOL §5.1;
    an item's Goods follow one another, by code) or one Good per item with its positions nested (Розница
    2.2). Goods the device's format cannot carry are left out (the plan names them). With `positions`
    (the per-position shape), an item named there gets the Goods of those of its positions only.

    The `writer` makes each Good: `_DataWriter` (the default) the format's dataclasses, `GoodsTextWriter`
    its text; the walk over the positions below is the same for both."""
    fmt = device_format(device)
    writer = writer or _DataWriter()
    per_position = device.goods_shape == OfflineDevice.GoodsShape.POSITIONS
    export_groups = device.rule.export_groups
    batch = _batch_read(device=device, ids=ids, on=on, values=not isinstance(writer, GoodsTextWriter))
    goods: list[tuple[int, Any]] = []
    units: dict[int, UnitData] = {}
    without_price = 0
    for row in batch.items:
        item = _item_positions(row, batch, writer, fmt=fmt, per_position=per_position, export_groups=export_groups)
        if item is None:
            continue
        if item.price is None:
            without_price += 1
        if item.unit.pk not in units:
            units[item.unit.pk] = _unit_data(item.unit)
        if per_position:
            scopes = positions.get(row.id) if positions else None
            goods.extend((row.id, good) for good in _position_goods(item, scopes))
        else:
            goods.append((row.id, _nested_good(item)))
    return goods, sorted(units.values(), key=lambda u: u.code), without_price


class _DataWriter:
    """Goods as the format's dataclasses, for the tree builder (`price_list_collect`); the same calls as
    `GoodsTextWriter`, which writes them as text."""

    @staticmethod
    def item(*, name: str, alcohol: AlcoholData | None, **common) -> tuple[AlcoholData | None, dict]:
        return alcohol, common

    @staticmethod
    def barcodes(rows: list[tuple[str, str]]) -> list[BarcodeData]:
        return [BarcodeData(value=value, type=kind) for value, kind in rows]

    pack = staticmethod(PackData)
    characteristic = staticmethod(CharacteristicData)

    @staticmethod
    def good(item: tuple[AlcoholData | None, dict], name: str, **fields) -> GoodData:
        alcohol, common = item
        return GoodData(name=name, alcohol=alcohol, **common, **fields)


# The rows a batch reads, as plain tuples: a first full list reads every item, characteristic and pack of
# the catalog, and Django's model instances and per-value converters cost more than the rest of the build.
_ItemRow = namedtuple("_ItemRow", _ITEM_FIELDS)
_CharRow = namedtuple("_CharRow", "id uuid name")
_PackRow = namedtuple("_PackRow", "id uuid name coefficient")
# SQLite gives a decimal column as float or int; Django's own converter reads it with 15 digits.
_FROM_FLOAT = DecimalContext(prec=15).create_decimal_from_float


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value  # PostgreSQL's numeric
    return _FROM_FLOAT(value)


def _uuid_text(value) -> str:
    """A UUID column's text: SQLite keeps 32 hex digits, PostgreSQL's binary rows give uuid.UUID."""
    if isinstance(value, str):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _item_row(row: tuple) -> _ItemRow:
    (pk, uuid, name, article, description, vat_rate, is_weight, marking_kind, calculation_subject, base_unit_id,
     group_id, is_alcohol, alcohol_is_excisable, alcohol_kind_code, alcohol_volume, alcohol_strength,
     alcohol_vendor_inn, alcohol_vendor_kpp, alcohol_is_draught, classification_code, is_excisable) = row
    # SQLite's booleans are 0 and 1: the dataclasses carry them as bool.
    if is_alcohol:
        alcohol_volume, alcohol_strength = _decimal(alcohol_volume), _decimal(alcohol_strength)
    return _ItemRow(pk, _uuid_text(uuid), name, article, description, vat_rate, bool(is_weight), marking_kind,
                    calculation_subject, base_unit_id, group_id, bool(is_alcohol), bool(alcohol_is_excisable),
                    alcohol_kind_code, alcohol_volume, alcohol_strength, alcohol_vendor_inn,
                    alcohol_vendor_kpp, bool(alcohol_is_draught), classification_code, bool(is_excisable))


def _rows(queryset) -> list[tuple]:
    return fetch_rows(*queryset.query.sql_with_params())


@dataclass
class _Batch:
    """What the Goods of a batch of items are made of, by item."""

    items: list[_ItemRow]
    sku: dict[tuple[int, int | None, int | None], int]  # SKU numbers by (item, characteristic, pack)
    chars: dict[int, list[_CharRow]]
    packs: dict[int, list[_PackRow]]
    barcodes: dict[tuple[int, int | None, int | None], list[tuple[str, str]]]  # (value, type) by position
    units: dict[int, Unit]
    unit_uuids: dict[int, str]
    group_keys: dict[int, tuple[str, str]]  # (code, UUID) by group
    prices: dict[tuple[int, int | None], Decimal]  # in force on the list's day, by (item, characteristic)
    balances: dict[tuple[int, int | None], Decimal]  # in base units, by (item, characteristic); {}: not sent
    item_balances: dict[int, Decimal]  # an item's over all its characteristics


def _batch_read(*, device: OfflineDevice, ids: list[int], on: date, values: bool = True) -> _Batch:
    """One query per kind of data per 2,000 items, read as raw rows; prices and balances only with `values`
    (Goods written with slots for them have no use for them)."""
    warehouse = device.rule.warehouse
    store = warehouse.store
    sku: dict[tuple[int, int | None, int | None], int] = {}
    items: list[_ItemRow] = []
    chars: dict[int, list[_CharRow]] = defaultdict(list)
    packs: dict[int, list[_PackRow]] = defaultdict(list)
    barcodes: dict[tuple[int, int | None, int | None], list[tuple[str, str]]] = defaultdict(list)
    wanted = set(ids)
    for chunk in chunks(ids):
        sku.update(((item_id, ch_id, pack_id), number) for item_id, ch_id, pack_id, number in _rows(
            SkuCode.objects.filter(**of_items("item_id", chunk)).order_by().values_list(
                "item_id", "characteristic_id", "pack_id", "number")))
        items.extend(_item_row(row) for row in _rows(Item.objects.filter(**of_items("pk", chunk)).order_by("pk")
                                                     .values_list(*_ITEM_FIELDS)) if row[0] in wanted)
        for pk, uuid, name, item_id in _rows(Characteristic.objects.filter(**of_items("item_id", chunk))
                                             .order_by("item_id", "name", "pk").values_list("id", "uuid", "name", "item_id")):
            chars[item_id].append(_CharRow(pk, _uuid_text(uuid), name))
        for pk, uuid, name, coefficient, item_id in _rows(
                Pack.objects.filter(**of_items("item_id", chunk)).order_by("item_id", "coefficient", "pk")
                .values_list("id", "uuid", "name", "coefficient", "item_id")):
            packs[item_id].append(_PackRow(pk, _uuid_text(uuid), name, _decimal(coefficient)))
        for item_id, ch_id, pack_id, value, kind in _rows(
                Barcode.objects.filter(**of_items("item_id", chunk)).order_by("value")
                .values_list("item_id", "characteristic_id", "pack_id", "value", "barcode_type")):
            barcodes[(item_id, ch_id, pack_id)].append((value, kind))

    # Few units and groups for many items: read once, not joined to every item.
    units = Unit.objects.in_bulk({item.base_unit_id for item in items})
    groups = ItemGroup.objects.in_bulk({item.group_id for item in items if item.group_id})
    prices = _latest_prices(store.retail_price_type_id if store else None, ids, on) if values else {}
    balances = _balances(warehouse.pk, ids) if device.export_balances and values else {}
    return _Batch(items=items, sku=sku, chars=chars, packs=packs, barcodes=barcodes, units=units,
                  unit_uuids={pk: str(unit.uuid) for pk, unit in units.items()},
                  group_keys={pk: (group.code, str(group.uuid)) for pk, group in groups.items()},
                  prices=prices, balances=balances, item_balances=_item_balances(balances))


def _item_balances(balances: dict[tuple[int, int | None], Decimal]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id, _ch_id), value in balances.items():
        totals[item_id] += value
    return totals


@dataclass(slots=True)
class _ItemPositions:
    """One item as its Goods show it: what each of its Goods repeats (`head`, made by the writer once), its
    own price and balance, and its positions' codes, barcodes, prices and balances."""

    row: _ItemRow
    batch: _Batch
    writer: Any  # _DataWriter or GoodsTextWriter
    per_position: bool
    unit: Unit
    head: Any  # the writer's `item`
    price: Decimal | None
    balance: Decimal | None
    slots: bool  # prices and balances as slots (the text writer's cached Goods)

    @property
    def characteristics(self) -> list[_CharRow]:
        return self.batch.chars.get(self.row.id, [])

    @property
    def packs(self) -> list[_PackRow]:
        return self.batch.packs.get(self.row.id, [])

    def code(self, ch_id: int | None = None, pack_id: int | None = None) -> str | None:
        return _code(self.batch, self.row, ch_id, pack_id)

    def barcodes(self, ch_id: int | None = None, pack_id: int | None = None):
        # A weighed good's barcodes are printed by the scales and carry its code: none are sent.
        if self.row.is_weight:
            return self.writer.barcodes(())
        return self.writer.barcodes(self.batch.barcodes.get((self.row.id, ch_id, pack_id), ()))

    def values(self, ch_id: int | None = None) -> dict:
        """The Price and Balance of the item's position (None) or its characteristic's, as the writer takes
        them: values, or for the text writer a slot filled when a list is written (`goods_values_fill`)."""
        if self.slots:
            return {"price": price_values_slot(ch_id)}
        price, balance = _position_values(self.row.id, ch_id, self.price, self.balance, self.batch)
        return {"price": _money_or_none(price), "balance": _positive(balance)}

    def pack_values(self, ch_id: int | None, pack: _PackRow) -> dict:
        if self.slots:
            return {"price": pack_values_slot(ch_id, pack.coefficient)}
        unit_price, balance = _position_values(self.row.id, ch_id, self.price, self.balance, self.batch)
        price, balance = _pack_values(unit_price, balance, pack.coefficient, per_position=self.per_position)
        return {"price": price, "balance": balance}

    def good(self, name: str, **fields):
        return self.writer.good(self.head, name, **fields)


def _position_values(item_id: int, ch_id: int | None, item_price: Decimal | None, item_balance: Decimal | None,
                     values) -> tuple[Decimal | None, Decimal | None]:
    """A position's unit price and balance: the item's (its balance over all its characteristics), or the
    characteristic's (its price the item's when it has none of its own). `values`: a batch or `_Values`."""
    if ch_id is None:
        return item_price, item_balance
    return values.prices.get((item_id, ch_id), item_price), values.balances.get((item_id, ch_id))


def _pack_values(unit_price: Decimal | None, balance: Decimal | None, coefficient: Decimal, *, per_position: bool
                 ) -> tuple[Decimal | None, Decimal | None]:
    """A pack position's price (priced from its unit's) and balance."""
    return (to_money(unit_price * coefficient) if unit_price is not None else None,
            _pack_balance(balance, coefficient, per_position=per_position))


def _item_positions(row: _ItemRow, batch: _Batch, writer, *, fmt: FormatVersion, per_position: bool,
                    export_groups: bool) -> _ItemPositions | None:
    """The item's positions; None when the item has no code or its format cannot carry it (changed since
    the plan named it; the next list names it)."""
    tax_rate = format_tax_rate(row.vat_rate)
    if _code(batch, row) is None or refusal(fmt, tax_rate=tax_rate, marked=row.marking_kind is not None):
        return None
    unit = batch.units[row.base_unit_id]
    group_code, group_uuid = batch.group_keys[row.group_id] if row.group_id and export_groups else ("", "")
    head = writer.item(
        name=row.name, uuid=row.uuid, tax_rate=tax_rate, calculation_subject=row.calculation_subject,
        unit_code=unit.okei_code, unit_uuid=batch.unit_uuids[unit.pk], article=row.article,
        description=row.description, is_weight=row.is_weight, marked_type_code=row.marking_kind,
        classification_code=row.classification_code, is_excisable=row.is_excisable,
        alcohol=_alcohol(row) if row.is_alcohol else None,
        group_code=group_code, group_uuid=group_uuid,
    )
    return _ItemPositions(row, batch, writer, per_position, unit, head, batch.prices.get((row.id, None)),
                          batch.item_balances.get(row.id), isinstance(writer, GoodsTextWriter))


def _code(batch: _Batch, row, ch_id: int | None = None, pack_id: int | None = None) -> str | None:
    """A position's code (a weighed good's by its scale code); None: the position has no SKU."""
    number = batch.sku.get((row.id, ch_id, pack_id))
    return None if number is None else position_code(number, is_weight=row.is_weight)


def _alcohol(row) -> AlcoholData | None:
    if not row.is_alcohol:
        return None
    return AlcoholData(
        is_excisable=row.alcohol_is_excisable, kind_code=row.alcohol_kind_code,
        container_size=row.alcohol_volume or Decimal(0), strength=row.alcohol_strength or Decimal(0),
        vendor_inn=row.alcohol_vendor_inn, vendor_kpp=row.alcohol_vendor_kpp, is_draught=row.alcohol_is_draught,
    )


def _unit_data(unit: Unit) -> UnitData:
    return UnitData(code=unit.okei_code, name=unit.name, uuid=str(unit.uuid), okei_code=unit.okei_code)


def _money_or_none(value: Decimal | None) -> Decimal | None:
    return to_money(value) if value is not None else None


def _pack(item: _ItemPositions, pack: _PackRow, ch_id: int | None):
    """A pack position (of the item, or of its characteristic) priced from its unit's; None without an SKU."""
    code = item.code(ch_id, pack.id)
    if code is None:
        return None
    return item.writer.pack(code=code, uuid=pack.uuid, name=pack.name, units_per_pack=pack.coefficient,
                            barcodes=item.barcodes(ch_id, pack.id), **item.pack_values(ch_id, pack))


def _pack_balance(balance: Decimal | None, coefficient: Decimal, *, per_position: bool) -> Decimal | None:
    # 1C writes a pack position's balance in base units; the nested shape in packs.
    if per_position:
        return _positive(balance)
    return _positive(balance / coefficient) if balance else None


def _position_goods(item: _ItemPositions, scopes: set[Scope] | None) -> list:
    """One Good per position of the item, by code; with `scopes`, of those positions only."""
    if scopes is None and not item.characteristics and not item.packs:
        # Most items are one position: their Good without the walk (a full list writes every item's).
        return [item.good(item.row.name, code=item.code(), barcodes=item.barcodes(), **item.values())]
    found = [(int(code), good) for code, ch_id, pack_id, good in _each_position(item)
             if position_in_scopes(scopes, ch_id, pack_id)]
    found.sort(key=itemgetter(0))
    return [good for _number, good in found]


def _each_position(item: _ItemPositions) -> Iterator[tuple[str, int | None, int | None, Any]]:
    """(code, characteristic, pack, Good) of each position of the item that has an SKU."""
    name = item.row.name
    writer = item.writer
    if not item.characteristics:
        code = item.code()
        yield code, None, None, item.good(name, code=code, barcodes=item.barcodes(), **item.values())
        for pack in item.packs:
            data = _pack(item, pack, None)
            if data is not None:
                yield item.code(None, pack.id), None, pack.id, item.good(position_name(name, pack=pack.name),
                                                                         packs=[data])
        return
    # An item with characteristics is sold by characteristic: its positions are the characteristics and
    # their packs (the item's own code names it in uploads and orders only).
    for ch in item.characteristics:
        code = item.code(ch.id)
        if code is not None:
            yield code, ch.id, None, item.good(position_name(name, ch.name), characteristics=[writer.characteristic(
                code=code, uuid=ch.uuid, name=ch.name, barcodes=item.barcodes(ch.id), **item.values(ch.id))])
        for pack in item.packs:
            data = _pack(item, pack, ch.id)
            if data is not None:
                yield item.code(ch.id, pack.id), ch.id, pack.id, item.good(
                    position_name(name, ch.name, pack.name),
                    characteristics=[writer.characteristic(code="", uuid=ch.uuid, name=ch.name, packs=[data])])


def _nested_good(item: _ItemPositions):
    """The item's one Good with its positions inside (Розница 2.2): characteristics with their packs, or packs."""
    fields = dict(code=item.code(), barcodes=item.barcodes(), **item.values())
    if not item.characteristics:
        return item.good(item.row.name, packs=_packs(item, None), **fields)
    characteristics = []
    for ch in item.characteristics:
        code = item.code(ch.id)
        if code is None:
            continue
        characteristics.append(item.writer.characteristic(
            code=code, uuid=ch.uuid, name=ch.name, barcodes=item.barcodes(ch.id), packs=_packs(item, ch.id),
            **item.values(ch.id)))
    return item.good(item.row.name, characteristics=characteristics, **fields)


def _packs(item: _ItemPositions, ch_id: int | None) -> list:
    return [data for data in (_pack(item, pack, ch_id) for pack in item.packs) if data is not None]


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
    and those cached, their slots filled with the prices and balances of day `on`.

    The items' versions are read before their data (see goods_cache: so a Good is never older than its
    key); items another process cached meanwhile are not built twice (the variant's fill lock)."""
    fmt = device_format(device)
    with transaction.atomic():
        goods_cache_fill_lock(variant_key=goods_cache_key(device=device))
        variant = goods_cache_variant(device=device)
        seq = feed_high_water() if block else 0
        versions = feed_item_versions(item_ids=sorted(set(ids) | set(block or [])))
        missing = sorted(set(ids) - goods_cache_usable_ids(variant_key=variant.pk, item_ids=ids, on=on,
                                                           versions=versions))
        built: dict[int, bytes] = {}
        if missing:
            built = _goods_text(device=device, fmt=fmt, ids=missing, on=on)
            # Their slots hold no price: a cached Good is right whatever the day.
            goods_cache_store(variant=variant, on=on, versions=versions,
                              goods=[(item_id, text, None) for item_id, text in built.items()])
        if block:
            _block_store(device=device, variant_key=variant.pk, ids=block, built=built, on=on, versions=versions,
                         seq=seq)
        return len(built)


def _goods_text(*, device: OfflineDevice, fmt: FormatVersion, ids: list[int], on: date,
                positions: dict[int, set[Scope] | None] | None = None) -> dict[int, bytes]:
    """The Goods of these items as text with slots for their prices and balances, each item's Goods joined
    (a cached entry is the Goods of all the item's positions, one after another), by item in id order."""
    goods, _units, _without_price = _goods_of_items(device=device, ids=ids, on=on, positions=positions,
                                                    writer=GoodsTextWriter(fmt))
    joined: dict[int, list[str]] = defaultdict(list)
    for item_id, text in goods:
        joined[item_id].append(text)
    found = {item_id: "".join(texts) for item_id, texts in joined.items()}
    # As lxml refuses it; one scan of the whole batch. Only the slots hold a raw tab (an item's own are &#9;).
    refuse_not_xml("".join(found.values()).replace(SLOT, ""))
    return {item_id: text.encode() for item_id, text in found.items()}


@dataclass
class _Values:
    """What the slots of some items' Goods are filled with: prices in force on a list's day, balances, and
    the day each item's next dated price comes into force (its Goods so filled are right until then)."""

    prices: dict[tuple[int, int | None], Decimal]
    balances: dict[tuple[int, int | None], Decimal]
    item_balances: dict[int, Decimal]
    next_dates: dict[int, date]
    per_position: bool
    # (price, balance) -> an item's own slot written (`_item_values_text`), for this read's items.
    written: dict[tuple[Decimal | None, Decimal | None], bytes] = field(default_factory=dict)


def _values_read(*, device: OfflineDevice, ids: list[int], on: date) -> _Values:
    """The prices of the device's store in force on day `on`, the balances of its warehouse, and the items'
    next price days, read now."""
    store = device.rule.warehouse.store
    balances = _balances(device.rule.warehouse_id, ids) if device.export_balances else {}
    prices, next_dates = _prices_and_next_dates(store.retail_price_type_id if store else None, ids, on)
    return _Values(prices=prices, balances=balances, item_balances=_item_balances(balances), next_dates=next_dates,
                   per_position=device.goods_shape == OfflineDevice.GoodsShape.POSITIONS)


def goods_values_fill(*, device: OfflineDevice, goods: dict[int, bytes], on: date
                      ) -> dict[int, tuple[bytes, date | None]]:
    """These items' Goods (`_goods_text`, cached or just built) with their slots filled (`_values_read`), and
    the day each stops being right. In the order of `goods`."""
    values = _values_read(device=device, ids=sorted(goods), on=on)
    return {item_id: (b"".join(_slots_fill(item_id, text, values)), values.next_dates.get(item_id))
            for item_id, text in goods.items()}


def _slots_fill_all(ids: list[int], goods: dict[int, bytes], values: _Values) -> bytes:
    """The Goods of these items joined in this order, their slots filled: a package's block."""
    return b"".join([part for pk in ids for part in _slots_fill(pk, goods[pk], values)])


def _slots_fill(item_id: int, text: bytes, values: _Values) -> list[bytes]:
    """One item's Goods, in parts, each slot replaced by its position's Price and Balance attributes worked
    out as the dataclass writer does (`_ItemPositions.values`, `pack_values`)."""
    parts = text.split(SLOT_BYTES)
    if len(parts) == 1:
        return parts
    item_price, item_balance = values.prices.get((item_id, None)), values.item_balances.get(item_id)
    if len(parts) == 3 and not parts[1]:
        # Most items are one position, its slot the item's own: every Good of a chain-wide list comes through
        # here, and a catalog has far fewer distinct prices and balances than goods.
        written = values.written.get((item_price, item_balance))
        if written is None:
            written = values.written[(item_price, item_balance)] = _item_values_text(item_price, item_balance)
        parts[1] = written
        return parts
    for at in range(1, len(parts), 2):
        characteristic, _colon, coefficient = parts[at].decode().partition(":")
        price, balance = _position_values(item_id, int(characteristic) if characteristic else None, item_price,
                                          item_balance, values)
        if coefficient:
            price, balance = _pack_values(price, balance, Decimal(coefficient), per_position=values.per_position)
        else:
            price, balance = _money_or_none(price), _positive(balance)
        parts[at] = price_balance_text(price, balance).encode()
    return parts


def _item_values_text(price: Decimal | None, balance: Decimal | None) -> bytes:
    """An item's own Price and Balance attributes: `price_balance_text` of `_money_or_none` and `_positive`
    written out. Depends on the values' amounts only (Decimal("15.0") == Decimal("15.00"), same text), so a
    memo keyed by them gives every item its own text."""
    written = f' Price="{price.quantize(KOPECK, ROUND_HALF_UP):.2f}"' if price is not None else ""
    if balance is not None and balance > 0:
        written += f' Balance="{balance.quantize(GRAM, ROUND_HALF_UP):.3f}"'
    return written.encode()


@dataclass
class BlockReads:
    """What a package's block is made of, read before it is filled: its items' cached Goods found under the
    plan's versions, and their prices and balances (`_values_read`)."""

    goods: dict[int, bytes]
    values: _Values


def _block_reads(*, device: OfflineDevice, variant_key: str, ids: list[int], on: date,
                 versions: dict[int, int]) -> BlockReads:
    goods = {pk: text for pk, (text, _until) in goods_cache_read(
        variant_key=variant_key, item_ids=ids, on=on, versions=versions).items()}
    return BlockReads(goods=goods, values=_values_read(device=device, ids=ids, on=on))


class BlockReadsAhead:
    """The reads of the next packages' blocks (`_block_reads`), made on a connection of their own while this
    process fills and writes the block before: a list after a chain-wide repricing fills a block for every
    package, and on PostgreSQL 0.3 s of its 1.9 s for 100,000 goods was waiting for those reads.

    The same reads the fill would make, made a little earlier: the Goods under the plan's versions (an item
    changed since is not found, and the package goes Good by Good, as before) and the prices and balances
    read after the plan's feed position (a change since makes the block stale to its claim). Only outside a
    transaction: another connection cannot see what this one has not committed. `take` returns the reads of
    the packages in the order given; `close` ends the reading thread and its connection."""

    def __init__(self, *, device: OfflineDevice, packages: list[list[int]], on: date, versions: dict[int, int]):
        self._device, self._on, self._versions = device, on, versions
        self._variant_key = goods_cache_key(device=device)
        self._waiting = deque(packages)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="block-reads")
        self._pending: deque[tuple[list[int], Future]] = deque()
        for _ in range(2):
            self._submit()

    def _submit(self) -> None:
        if self._waiting:
            ids = self._waiting.popleft()
            self._pending.append((ids, self._pool.submit(
                _block_reads, device=self._device, variant_key=self._variant_key, ids=ids, on=self._on,
                versions=self._versions)))

    def take(self, ids: list[int]) -> BlockReads:
        if not self._pending or self._pending[0][0] != ids:
            raise RuntimeError("block reads taken out of order")
        _ids, future = self._pending.popleft()
        self._submit()
        return future.result()

    def close(self) -> None:
        for _ids, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._waiting.clear()
        self._pool.submit(connections.close_all).result()
        self._pool.shutdown()


def _block_store(*, device: OfflineDevice, variant_key: str, ids: list[int], built: dict[int, bytes], on: date,
                 versions: dict[int, int], seq: int, reads: BlockReads | None = None) -> bool:
    goods = dict(built)
    rest = [pk for pk in ids if pk not in goods]
    if rest:
        if reads is not None:
            goods.update((pk, reads.goods[pk]) for pk in rest if pk in reads.goods)
        else:
            goods.update((pk, text) for pk, (text, _until) in goods_cache_read(
                variant_key=variant_key, item_ids=rest, on=on, versions=versions).items())
    if any(pk not in goods for pk in ids):
        return False
    values = reads.values if reads is not None else _values_read(device=device, ids=ids, on=on)
    wanted = set(ids)
    goods_block_store(variant_key=variant_key, item_ids=ids, content=_slots_fill_all(ids, goods, values), on=on,
                      seq=seq, valid_until=min((day for pk, day in values.next_dates.items() if pk in wanted),
                                               default=None))
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
    filled = goods_values_fill(device=device, goods={pk: found[pk][0] for pk in ids if pk in found}, on=on)
    return [text for text, _until in filled.values()]


def price_list_positions_serialized(*, device: OfflineDevice, positions: dict[int, set[Scope]],
                                    on: date | None = None) -> list[bytes]:
    """The Goods of only these positions of these items (an incremental list's items of which some positions
    changed), built from the base: the cache holds whole items. Few, as the changes that name them."""
    if not positions:
        return []
    on = on or price_day()
    goods = _goods_text(device=device, fmt=device_format(device), ids=sorted(positions), on=on, positions=positions)
    return [text for text, _until in goods_values_fill(device=device, goods=goods, on=on).values()]


def price_list_block_fill(*, device: OfflineDevice, ids: list[int], on: date, versions: dict[int, int] | None = None,
                          seq: int = 0, reads: BlockReads | None = None) -> bool:
    """Join the cached Goods of a package's items into its block, their slots filled; False when one of them
    is not cached under its version (changed since it was): the package is then served Good by Good.

    The versions are read now, or are the plan's (`PriceListPlan.versions`) with the feed's position `seq`
    read before them: a change since makes the block one its claim finds stale (a feed row in its span above
    `seq`), and the package goes Good by Good. A block is never taken as current with an older Good in it;
    a chain-wide list does not read every item's version twice."""
    variant_key = goods_cache_key(device=device)
    with transaction.atomic():
        goods_cache_fill_lock(variant_key=variant_key)
        if versions is None:
            seq = feed_high_water()
            versions = feed_item_versions(item_ids=ids)
        return _block_store(device=device, variant_key=variant_key, ids=ids, built={}, on=on, versions=versions,
                            seq=seq, reads=reads)


def price_list_package_goods(*, device: OfflineDevice, item_ids: bytes) -> list[bytes]:
    """The Goods of a package's items (`pack_ids`) Good by Good: for a package whose block the claim
    did not find (changed since the package was built)."""
    if not item_ids:
        return []
    return price_list_goods_serialized(device=device, ids=unpack_ids(item_ids))


__all__ = ["BlockReads", "BlockReadsAhead", "BuildError", "CollectedPriceList", "PriceListPlan", "device_format",
           "goods_values_fill", "item_exchange_refusals", "position_name", "price_day", "price_list_block_fill",
           "price_list_cache_fill", "price_list_collect", "price_list_goods", "price_list_goods_serialized",
           "price_list_package_goods", "price_list_parts", "price_list_plan", "price_list_positions_serialized"]


def item_exchange_refusals(*, item: Item, devices=None) -> list[str]:
    """For the item's page: the registers (of `devices`, every one by default) whose rule selects it but whose
    exchange format cannot carry it."""
    found = []
    tax_rate = format_tax_rate(item.vat_rate)
    devices = OfflineDevice.objects.all() if devices is None else devices
    for device in devices.filter(in_use=True).select_related("rule").order_by("name"):
        reason = refusal(device_format(device), tax_rate=tax_rate, marked=item.marking_kind is not None)
        if reason and rule_items(rule=device.rule).filter(pk=item.pk).exists():
            found.append(f"Формат обмена кассы «{device.name}» ({device_format(device).label}) не передает {reason}: "
                         "товар на эту кассу не выгружается.")
    return found
