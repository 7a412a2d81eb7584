"""The change feed (PROTOCOL §5.2): what changed since a device's last list, read from the one feed the
database's triggers write (`offline_exchange/feed_sql.py`), and its compaction.

A device's incremental list is the positions of its rule's items that appear in the feed above its
watermark, plus those whose dated prices came into force since the day its last list was built for: time
is a change too, and nothing is sent before its day. Each feed row names its item and which of the item's
positions the write was about (a characteristic, a pack, one position, or the whole item).
"""
from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from offline_exchange.feed_sql import ITEM, ITEM_KINDS, ORDER
from offline_exchange.models import ChangeFeedEntry, ChangeFeedState, OfflineDevice
from offline_exchange.services.batching import chunks, fetch_rows, id_condition, id_ranges
from retail.models import Price


def _table() -> str:
    return connection.ops.quote_name(ChangeFeedEntry._meta.db_table)


def feed_horizon() -> int:
    return ChangeFeedState.objects.filter(pk=1).values_list("horizon", flat=True).first() or 0


def feed_high_water() -> int:
    """The feed's position now: every change committed so far is at or below it, and every change still
    being committed will be above it (the triggers' lock on PostgreSQL, the single writer on SQLite)."""
    state = connection.ops.quote_name(ChangeFeedState._meta.db_table)
    rows = fetch_rows(f"SELECT MAX(id), (SELECT MAX(horizon) FROM {state}) FROM {_table()}", [])
    return max(rows[0][0] or 0, rows[0][1] or 0)


# The feed's reads below make their rows distinct (or an item's last row) in Python, never by DISTINCT or
# GROUP BY in the database: after a chain-wide repricing the range holds a row per item, and when its
# statistics lag, PostgreSQL 15 plans a parallel hash aggregate whose last step can split into hundreds of
# thousands of batches (a known "batch explosion"): a register's next list waited 6 minutes for a 0.4 s read.
# Plain rows cannot be planned that way, and cost no more to read in binary than the aggregate's.


def feed_changed(*, kind: int, after: int, upto: int | None = None) -> set[int]:
    """The items (or orders) with a change in the feed above `after` (and at or below `upto`)."""
    sql, params = f"SELECT object_id FROM {_table()} WHERE kind = %s AND id > %s", [kind, after]
    if upto is not None:
        sql, params = sql + " AND id <= %s", params + [upto]
    return {row[0] for row in fetch_rows(sql, params)}


def feed_items_changed(*, after: int, upto: int | None = None, item_ids: list[int] | None = None) -> set[int]:
    """The items (of `item_ids`, or any) with a change in the feed above `after` (and at or below `upto`):
    of their Goods, or of their prices or balances only."""
    sql, params = f"SELECT object_id FROM {_table()} WHERE kind IN (%s, %s) AND id > %s", [*ITEM_KINDS, after]
    if upto is not None:
        sql, params = sql + " AND id <= %s", params + [upto]
    if item_ids is None:
        return {row[0] for row in fetch_rows(sql, params)}
    found: set[int] = set()
    for chunk in chunks(sorted(set(item_ids))):
        items, chunk_params = id_condition("object_id", chunk)
        found.update(row[0] for row in fetch_rows(f"{sql} AND {items}", params + chunk_params))
    return found.intersection(item_ids)


def feed_item_versions(*, item_ids: list[int] | None) -> dict[int, int]:
    """Each item's last position in the feed among the changes of what its Goods' text is made of (`ITEM`:
    not its prices and balances, which the cached Goods leave as slots); items never changed since the feed
    began have none: 0. Compaction keeps every item's last such row, so an item's version only ever grows."""
    table = _table()
    # In the order of the feed's index (kind, object_id, id), read without a sort: each item's rows by id, so
    # that its last row is the one its key keeps. SQLite has no hash aggregate (see above): it takes each
    # item's last row as it walks that index, and a catalog just loaded has several rows an item.
    select = ("SELECT object_id, MAX(id) FROM {table} WHERE kind = %s{items} GROUP BY object_id"
              if connection.vendor == "sqlite" else
              "SELECT object_id, id FROM {table} WHERE kind = %s{items} ORDER BY object_id, id")
    if item_ids is None:
        return dict(fetch_rows(select.format(table=table, items=""), [ITEM]))
    found: dict[int, int] = {}
    for chunk in id_ranges(sorted(set(item_ids))):
        items, params = id_condition("object_id", chunk)
        found.update(fetch_rows(select.format(table=table, items=f" AND {items}"), [ITEM, *params]))
    return found


def rule_state(device: OfflineDevice) -> str:
    """What a device's list was selected by: its rule and the rule's revision (raised by triggers)."""
    return f"{device.rule_id}:{device.rule.revision}"


def retention() -> timedelta:
    return timedelta(days=float(getattr(settings, "EQUIPMENT_SERVICE_FEED_RETENTION_DAYS", 30)))


FULL_FIRST = "первая выгрузка на это устройство"
FULL_ASKED = "запрошена полная выгрузка"
FULL_RULE = "изменено правило обмена или устройство переведено на другое правило"
FULL_SILENT = "устройство не получало прайс-лист дольше срока хранения ленты изменений"


def price_list_full_reason(*, device: OfflineDevice, horizon: int | None = None) -> str:
    """Why the device's next list must be full ('' when an incremental one carries every change)."""
    if device.price_list_delivered_at is None:
        return FULL_FIRST
    if device.price_list_watermark is None or device.price_list_on is None:
        return FULL_ASKED
    if device.price_list_rule_state != rule_state(device):
        return FULL_RULE
    if device.price_list_watermark < (feed_horizon() if horizon is None else horizon):
        return FULL_SILENT
    return ""


# A change's positions: (characteristic, pack), None for any, 0 for none (ChangeFeedEntry). An item with
# None instead of a set of them changed as a whole.
Scope = tuple[int | None, int | None]
WHOLE: Scope = (None, None)


def _add_scope(changed: dict[int, set[Scope] | None], item_id: int, scope: Scope) -> None:
    if scope == WHOLE:
        changed[item_id] = None
    elif item_id not in changed:
        changed[item_id] = {scope}
    elif changed[item_id] is not None:
        changed[item_id].add(scope)


def price_list_changed_positions(*, device: OfflineDevice, upto: int, on: date) -> dict[int, set[Scope] | None]:
    """What an incremental list up to feed position `upto` on day `on` carries, by item: the positions
    changed in the feed since the device's last list, or with a price of the device's store that came into
    force since the day that list was built for (a price dated for a later day changes nothing until then);
    None for an item changed as a whole."""
    changed: dict[int, set[Scope] | None] = {}
    sql = (f"SELECT object_id, scope_characteristic, scope_pack FROM {_table()} WHERE kind IN (%s, %s) AND id > %s "
           f"AND id <= %s")
    for item_id, characteristic, pack in set(fetch_rows(sql, [*ITEM_KINDS, device.price_list_watermark or 0, upto])):
        _add_scope(changed, item_id, (characteristic, pack))
    store = device.rule.warehouse.store
    if store is not None and store.retail_price_type_id and device.price_list_on and device.price_list_on < on:
        for item_id, characteristic in (Price.objects.filter(
                price_type_id=store.retail_price_type_id, date__gt=device.price_list_on, date__lte=on)
                .values_list("item_id", "characteristic_id").distinct()):
            _add_scope(changed, item_id, (characteristic, None))
    return changed


def position_in_scopes(scopes: set[Scope] | None, characteristic_id: int | None, pack_id: int | None) -> bool:
    """Whether the position (item × characteristic × pack) is one of the changed ones."""
    if scopes is None:
        return True
    ch, pack = characteristic_id or 0, pack_id or 0
    return any((sc is None or sc == ch) and (sp is None or sp == pack) for sc, sp in scopes)


def price_list_pending_count(*, device: OfflineDevice) -> int:
    """How many items have changed in the feed since the device's last list (for the console; before the
    rule's filter)."""
    rows = fetch_rows(f"SELECT COUNT(DISTINCT object_id) FROM {_table()} WHERE kind IN (%s, %s) AND id > %s",
                      [*ITEM_KINDS, device.price_list_watermark or 0])
    return rows[0][0]


def orders_changed(*, device: OfflineDevice, upto: int) -> set[int] | None:
    """The orders changed since the orders last sent to the device; None when every open order of its
    register goes (the first time, or its position was compacted away)."""
    if device.orders_watermark is None or device.orders_watermark < feed_horizon():
        return None
    return feed_changed(kind=ORDER, after=device.orders_watermark, upto=upto)


@transaction.atomic
def feed_compact(*, now=None) -> int:
    """Remove the feed rows no device needs any more; returns how many went.

    The horizon is the newest position older than the retention age, but not past the position of any
    device in use that received a list within that age: those keep what they have not received. Devices
    silent for longer, or not in use, no longer hold the feed back: their position falls below the
    horizon and their next list is full (the console says so). Every item's last `ITEM` row is kept
    whatever its age: it is the item's version, which the goods cache is keyed by (`VALUES` rows are no
    version: they go as orders' rows do)."""
    now = now or timezone.now()
    cutoff = now - retention()
    table = _table()
    rows = fetch_rows(f"SELECT MAX(id) FROM {table} WHERE created_at < %s",
                      [connection.ops.adapt_datetimefield_value(cutoff)])
    horizon = rows[0][0] or 0
    holding = OfflineDevice.objects.filter(in_use=True, price_list_delivered_at__gte=cutoff)
    for watermark in holding.exclude(price_list_watermark=None).values_list("price_list_watermark", flat=True):
        horizon = min(horizon, watermark)
    for watermark in holding.exclude(orders_watermark=None).values_list("orders_watermark", flat=True):
        horizon = min(horizon, watermark)
    state = ChangeFeedState.objects.select_for_update().get_or_create(pk=1)[0]
    if horizon <= state.horizon:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id <= %s AND (kind <> %s OR id < (SELECT MAX(later.id) FROM {table} later "
            f"WHERE later.kind = {table}.kind AND later.object_id = {table}.object_id))",
            [horizon, ITEM])
        removed = cursor.rowcount
    ChangeFeedState.objects.filter(pk=1).update(horizon=horizon, compacted_at=now)
    return removed


__all__ = ["FULL_ASKED", "FULL_FIRST", "FULL_RULE", "FULL_SILENT", "feed_changed", "feed_compact",
           "feed_high_water", "feed_horizon", "feed_item_versions", "feed_items_changed", "orders_changed",
           "position_in_scopes", "price_list_changed_positions",
           "price_list_full_reason", "price_list_pending_count", "rule_state"]
