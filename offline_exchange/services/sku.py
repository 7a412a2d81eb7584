"""SKU codes: one number per position (item, characteristic, pack), lowest free first."""
from __future__ import annotations

from typing import Iterable, NamedTuple

from django.db import transaction

from offline_exchange.models import ExchangeRule, ExchangeSettings, SkuCode
from offline_exchange.services.batching import chunks, fetch_rows, id_condition, of_items
from offline_exchange.services.rules import rule_items
from retail.models import Characteristic, Item, Pack

MAX_SKU = 999_999_999


class SkuRangeExhaustedError(Exception):
    pass


class Position(NamedTuple):
    """A position (item, characteristic, pack); a tuple: a price list's plan makes one per position of the
    catalog, and a frozen dataclass costs several times as much to make."""

    item_id: int
    characteristic_id: int | None
    pack_id: int | None
    is_weight: bool

    @property
    def key(self) -> str:
        return SkuCode.key_for(self.item_id, self.characteristic_id, self.pack_id)


def _rows(queryset) -> list[tuple]:
    # Raw rows: a price list's plan asks for the positions of the whole catalog.
    return fetch_rows(*queryset.query.sql_with_params())


def positions_for_items(item_ids: Iterable[int]) -> list[Position]:
    """Base position of each item, each characteristic, each pack (per characteristic if both)."""
    item_ids = list(item_ids)
    weights: dict[int, bool] = {}
    chars: dict[int, list[int]] = {}
    packs: dict[int, list[int]] = {}
    wanted = set(item_ids)
    for chunk in chunks(sorted(wanted)):
        weights.update((pk, bool(is_weight)) for pk, is_weight in _rows(
            Item.objects.filter(**of_items("pk", chunk)).values_list("pk", "is_weight")) if pk in wanted)
        for item_id, ch_id in _rows(Characteristic.objects.filter(**of_items("item_id", chunk))
                                    .values_list("item_id", "pk")):
            chars.setdefault(item_id, []).append(ch_id)
        for item_id, pack_id in _rows(Pack.objects.filter(**of_items("item_id", chunk))
                                      .values_list("item_id", "pk")):
            packs.setdefault(item_id, []).append(pack_id)
    positions: list[Position] = []
    for item_id in item_ids:
        if item_id not in weights:
            continue
        weight = weights[item_id]
        positions.append(Position(item_id, None, None, weight))
        item_chars = chars.get(item_id, [])
        for ch_id in item_chars:
            positions.append(Position(item_id, ch_id, None, weight))
        for pack_id in packs.get(item_id, []):
            if item_chars:
                positions.extend(Position(item_id, ch_id, pack_id, weight) for ch_id in item_chars)
            else:
                positions.append(Position(item_id, None, pack_id, weight))
    return positions


def _key_sql(item: str, characteristic: str = "", pack: str = "") -> str:
    """SQL spelling `SkuCode.key_for` over columns: answered by the unique index of `position_key`."""
    def part(column: str) -> str:
        return f"CAST({column} AS TEXT)" if column else "''"
    return f"{part(item)} || ':' || {part(characteristic)} || ':' || {part(pack)}"


def _has_sku(key_sql: str) -> str:
    return f"EXISTS (SELECT 1 FROM {SkuCode._meta.db_table} s WHERE s.position_key = {key_sql})"


# Of an item `i`: a position without an SKU, as `positions_for_items` lists positions — the item's own, each
# characteristic's, each pack's (of each characteristic when it has them).
_LACKING = (
    f"(NOT {_has_sku(_key_sql('i.id'))} "
    f"OR EXISTS (SELECT 1 FROM {Characteristic._meta.db_table} c WHERE c.item_id = i.id "
    f"AND NOT {_has_sku(_key_sql('i.id', 'c.id'))}) "
    f"OR EXISTS (SELECT 1 FROM {Pack._meta.db_table} p WHERE p.item_id = i.id AND ("
    f"(NOT EXISTS (SELECT 1 FROM {Characteristic._meta.db_table} c WHERE c.item_id = i.id) "
    f"AND NOT {_has_sku(_key_sql('i.id', '', 'p.id'))}) "
    f"OR EXISTS (SELECT 1 FROM {Characteristic._meta.db_table} c WHERE c.item_id = i.id "
    f"AND NOT {_has_sku(_key_sql('i.id', 'c.id', 'p.id'))}))))"
)


def _items_where(condition: str, item_ids: Iterable[int]) -> set[int]:
    wanted = set(item_ids)
    found: set[int] = set()
    for chunk in chunks(sorted(wanted)):
        items, params = id_condition("i.id", chunk)
        found.update(pk for pk, in fetch_rows(
            f"SELECT i.id FROM {Item._meta.db_table} i WHERE {items} AND {condition}", params) if pk in wanted)
    return found


def sku_items_lacking(*, item_ids: Iterable[int]) -> set[int]:
    """Those of these items that have a position without an SKU, asked of the database: a price list's plan
    asks it of every item of the catalog, and nearly always every position has one."""
    return _items_where(_LACKING, item_ids)


def sku_items_with_own(*, item_ids: Iterable[int]) -> set[int]:
    """Those of these items whose own position (no characteristic, no pack) has an SKU: the items a price
    list can carry."""
    return _items_where(_has_sku(_key_sql("i.id")), item_ids)


def free_numbers(used: Iterable[int], *, start: int, end: int, count: int) -> list[int]:
    """The `count` lowest numbers in [start, end] that are not used (gaps first)."""
    taken = set(used)
    result: list[int] = []
    number = start
    while len(result) < count and number <= end:
        if number not in taken:
            result.append(number)
        number += 1
    return result


@transaction.atomic
def sku_generate(*, positions: list[Position]) -> int:
    """Give every position without an SKU the lowest free number of its range; returns how many."""
    if not positions:
        return 0
    # One generator at a time across processes: the settings row is the lock.
    config = ExchangeSettings.objects.select_for_update().get_or_create(pk=1)[0]
    existing: set[str] = set()
    for chunk in chunks(sorted({p.item_id for p in positions})):
        existing.update(key for key, in _rows(SkuCode.objects.filter(**of_items("item_id", chunk)).order_by()
                                               .values_list("position_key")))
    seen: set[str] = set()
    missing: list[Position] = []
    for position in positions:
        if position.key not in existing and position.key not in seen:
            seen.add(position.key)
            missing.append(position)
    if not missing:
        return 0
    weight = [p for p in missing if p.is_weight]
    piece = [p for p in missing if not p.is_weight]
    created: list[SkuCode] = []
    for group, start, end in ((weight, config.weight_sku_min, config.weight_sku_max),
                              (piece, config.weight_sku_max + 1, MAX_SKU)):
        if not group:
            continue
        used = SkuCode.objects.filter(number__gte=start, number__lte=end).values_list("number", flat=True)
        numbers = free_numbers(used.iterator(chunk_size=10000), start=start, end=end, count=len(group))
        if len(numbers) < len(group):
            raise SkuRangeExhaustedError(
                "В процессе заполнения закончились доступные SKU коды товара. Операция завершена не полностью."
            )
        created.extend(
            SkuCode(number=number, item_id=p.item_id, characteristic_id=p.characteristic_id, pack_id=p.pack_id,
                    position_key=p.key)
            for number, p in zip(numbers, group)
        )
    # The feed's trigger records the items: their cached Goods (written without these positions) are
    # no longer theirs, and the devices get them again.
    SkuCode.objects.bulk_create(created, batch_size=1000)
    return len(created)


def sku_generate_for_items(*, item_ids: Iterable[int]) -> int:
    return sku_generate(positions=positions_for_items(item_ids))


def sku_generate_for_rule(*, rule: ExchangeRule) -> int:
    return sku_generate_for_items(item_ids=rule_items(rule=rule).values_list("pk", flat=True))
