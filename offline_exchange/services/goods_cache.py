"""Goods kept pre-serialized: the price list's Goods are written once per item and variant and
spliced into every package that carries them (PROTOCOL §5.1, «Ours»).

A cached Good holds slots for its positions' prices and balances (filled when a list is written, see
`price_list.goods_values_fill`) and is keyed by what its bytes depend on: its variant (format, price type,
balances' warehouse, groups flag), its item, and the item's version — the item's last `ITEM` position in
the change feed, which the database's triggers append to at every write of anything the Good's text is
made of (prices and balances go in as `VALUES` rows, which are no version). A change gives the item a new
version, so the Good under the old key is simply never read again: nothing has to remove it, and no write
path has to remember anything. A block (a package's Goods joined, their slots filled) records the feed's
position read before its Goods and values were; it is used while no item in its span has a change of
either kind above it, and until `valid_until` (the day the first of its items' next dated prices comes
into force).

Why a fill can never store old data under a new key: a fill reads the items' versions *before* it
reads their data. The feed's rows become visible in the order of their positions (on PostgreSQL the
triggers take the feed's lock until their transaction ends; SQLite has one writer), so a change
committed after the versions were read has a position above every version read, and the key it makes
is one the fill cannot have used. A change committed between the two reads is in the data but not in
the version: the Good is newer than its key, never older, and the next reader (who sees the new
version) does not use it. The same holds for a block: its position is read before its Goods, and a
Good read for it is checked against its item's version in the same statement.

Fills of one variant take turns (a PostgreSQL advisory lock per variant) so registers asking at once
for Goods nobody has built yet build them once; correctness does not rest on it.
"""
from __future__ import annotations

import hashlib
import sys
import threading
import zlib
from array import array
from collections import OrderedDict
from datetime import date, timedelta
from typing import Iterable

from django.conf import settings
from django.db import connection, transaction

from offline_exchange.feed_sql import ITEM, VALUES
from offline_exchange.models import CachedGood, CachedGoodsBlock, ChangeFeedEntry, GoodsCacheVariant, OfflineDevice
from offline_exchange.services.batching import chunks, copy_rows, execute_many, fetch_rows, id_condition, id_ranges

# Advisory lock keys (two 32-bit halves): a variant's fills are (_LOCK_CLASS, crc32 of its key) — a collision
# only makes two variants' fills take turns.
_LOCK_CLASS = int.from_bytes(b"good", "big")


def _lock(*, variant_key: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("the goods cache lock is taken inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           [_LOCK_CLASS, zlib.crc32(variant_key.encode()) - 2**31])


def goods_cache_key(*, device: OfflineDevice) -> str:
    """The key of the variant whose Goods this device's price list carries (no query when the
    device's rule, warehouse and store are loaded, as `device_find` loads them)."""
    rule = device.rule
    store = rule.warehouse.store
    return GoodsCacheVariant.key_for(
        device.format_version, store.retail_price_type_id if store else None,
        rule.warehouse_id if device.export_balances else None, rule.export_groups, device.goods_shape,
    )


def goods_cache_variant(*, device: OfflineDevice) -> GoodsCacheVariant:
    rule = device.rule
    store = rule.warehouse.store
    variant, _ = GoodsCacheVariant.objects.get_or_create(key=goods_cache_key(device=device), defaults={
        "format_version": device.format_version,
        "price_type_id": store.retail_price_type_id if store else None,
        "balance_warehouse_id": rule.warehouse_id if device.export_balances else None,
        "export_groups": rule.export_groups, "goods_shape": device.goods_shape,
    })
    return variant


def _usable(on: date) -> tuple[str, list]:
    # A Good is usable until the day its item's next dated price comes into force.
    return "(valid_until IS NULL OR valid_until > %s)", [connection.ops.adapt_datefield_value(on)]


def goods_cache_read(*, variant_key: str, item_ids: list[int], on: date, versions: dict[int, int]
                     ) -> dict[int, tuple[bytes, date | None]]:
    """The cached Goods of these items usable on day `on` under their `versions` (`feed_item_versions`),
    and the day each stops being usable, by item. One query per 2,000 items, read as raw rows."""
    table = connection.ops.quote_name(CachedGood._meta.db_table)
    usable, usable_params = _usable(on)
    found: dict[int, tuple[bytes, date | None]] = {}
    wanted = set(item_ids)
    for chunk in chunks(sorted(wanted)):
        items, params = id_condition("item_id", chunk)
        rows = fetch_rows(f"SELECT item_id, content, valid_until, seq FROM {table} WHERE variant_id = %s AND {items} "
                          f"AND {usable}", [variant_key, *params, *usable_params])
        found.update((item_id, (bytes(content), _date(valid_until)))
                     for item_id, content, valid_until, seq in rows
                     if item_id in wanted and seq == versions.get(item_id, 0))
    return found


def _date(value) -> date | None:
    # SQLite's raw rows give dates as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def goods_cache_usable_ids(*, variant_key: str, item_ids: list[int] | None, on: date,
                           versions: dict[int, int]) -> set[int]:
    """Those of these items (or of the whole variant) that have a Good usable on day `on` under their
    `versions` (read from an index alone)."""
    table = connection.ops.quote_name(CachedGood._meta.db_table)
    usable, usable_params = _usable(on)
    sql = f"SELECT item_id, seq FROM {table} WHERE variant_id = %s AND {usable}"
    if item_ids is None:
        return {item_id for item_id, seq in fetch_rows(sql, [variant_key, *usable_params])
                if seq == versions.get(item_id, 0)}
    found: set[int] = set()
    for chunk in id_ranges(sorted(set(item_ids))):
        items, params = id_condition("item_id", chunk)
        found.update(item_id for item_id, seq in fetch_rows(f"{sql} AND {items}", [variant_key, *usable_params, *params])
                     if seq == versions.get(item_id, 0))
    return found.intersection(item_ids)


def goods_cache_fill_lock(*, variant_key: str) -> None:
    """Taken by a fill for the rest of its transaction, before it reads: its variant's lock, so that
    registers asking at once for Goods nobody has built yet build them once: the others wait, then find
    them cached."""
    _lock(variant_key=variant_key)


def goods_cache_store(*, variant: GoodsCacheVariant, goods: Iterable[tuple[int, bytes, date | None]], on: date,
                      versions: dict[int, int]) -> int:
    """Write (item id, Good, valid until) rows under the items' `versions` (read before their data),
    replacing what the items had; under `goods_cache_fill_lock`.

    A first full list writes a row per item of the catalog: on PostgreSQL they are copied in, after the
    rows past their validity in the same id ranges are deleted (the only rows these items can have, the
    fill having found no usable one); elsewhere one upsert per row, through executemany. Either way no
    model instance is built per row."""
    table = CachedGood._meta.db_table
    goods = list(goods)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for chunk in chunks(sorted(item_id for item_id, _content, _valid_until in goods)):
                # By id range, as every read of the cache: a list of ids here let the planner scan the
                # whole table, which grows quickly under a first full list, at every package. The fill
                # found no usable row for these items: any row they have is past its day or its version.
                items, params = id_condition("item_id", chunk)
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} WHERE variant_id = %s AND {items}",
                               [variant.pk, *params])
        copy_rows(table, ["variant_id", "item_id", "content", "valid_until", "seq"],
                  ["varchar", "int8", "bytea", "date", "int8"],
                  [(variant.pk, item_id, content, valid_until, versions.get(item_id, 0))
                   for item_id, content, valid_until in goods])
        return len(goods)
    execute_many(
        f"INSERT INTO {connection.ops.quote_name(table)} (variant_id, item_id, content, valid_until, seq) "
        f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT (variant_id, item_id) DO UPDATE SET content = excluded.content, "
        f"valid_until = excluded.valid_until, seq = excluded.seq",
        [(variant.pk, item_id, content, connection.ops.adapt_datefield_value(valid_until), versions.get(item_id, 0))
         for item_id, content, valid_until in goods])
    return len(goods)


@transaction.atomic
def goods_cache_clear(*, variant_key: str | None = None) -> int:
    """Forget every cached Good (of one variant): the next price lists are built from the base."""
    goods = CachedGood.objects.all() if variant_key is None else CachedGood.objects.filter(variant_id=variant_key)
    blocks = (CachedGoodsBlock.objects.all() if variant_key is None
              else CachedGoodsBlock.objects.filter(variant_id=variant_key))
    blocks.delete()
    return goods.delete()[0]


# --- blocks: a package's Goods in one row ------------------------------------------------

# A block no transfer has used for this long belongs to package boundaries that have moved.
BLOCK_KEPT_UNUSED = timedelta(days=7)


def goods_block_key(packed_ids: bytes | memoryview) -> str:
    """The name of a package's item list (`pack_ids`), the same for every register whose package
    holds these items. MD5, as PostgreSQL's md5() computes it in the statement that claims a package
    (a name, not a safeguard: ids are not chosen by an attacker)."""
    return hashlib.md5(bytes(packed_ids), usedforsecurity=False).hexdigest()


def goods_block_current(alias: str) -> str:
    """SQL: no item in the block's span has changed since the block's Goods were read, prices and balances
    included (a block holds them written). Nothing at all above the block's position (the common case, read
    from the end of the feed's primary key) settles it at once; otherwise the feed's rows of the span's items
    are looked at (a catalog just loaded has several rows an item until compaction)."""
    feed = connection.ops.quote_name(ChangeFeedEntry._meta.db_table)

    def none_of(kind: int) -> str:
        return (f"NOT EXISTS (SELECT 1 FROM {feed} f WHERE f.kind = {kind} AND f.id > {alias}.seq "
                f"AND f.object_id BETWEEN {alias}.first_item_id AND {alias}.last_item_id)")
    # Prices and balances first: after a repricing every block has such a row at once, while an item's
    # older ITEM rows (a catalog just loaded has several an item) are walked before the answer is no.
    return f"(COALESCE((SELECT MAX(id) FROM {feed}), 0) <= {alias}.seq OR ({none_of(VALUES)} AND {none_of(ITEM)}))"


def goods_blocks_usable(*, variant_key: str, keys: list[str], on: date) -> set[str]:
    """Which of these blocks the variant has, usable on day `on` and current. They are marked used today,
    and the variant's blocks unused for `BLOCK_KEPT_UNUSED` are dropped."""
    usable, usable_params = _usable(on)
    table = connection.ops.quote_name(CachedGoodsBlock._meta.db_table)
    found: set[str] = set()
    with transaction.atomic():
        for chunk in chunks(sorted(set(keys))):
            marks = ", ".join(["%s"] * len(chunk))
            found.update(row[0] for row in fetch_rows(
                f"SELECT key FROM {table} b WHERE variant_id = %s AND key IN ({marks}) AND {usable} "
                f"AND {goods_block_current('b')}",
                [variant_key, *chunk, *usable_params]))
            # At most once a day per block: a write per transfer would cost every full list.
            CachedGoodsBlock.objects.filter(variant_id=variant_key, key__in=chunk, used_on__lt=on).update(used_on=on)
        CachedGoodsBlock.objects.filter(variant_id=variant_key, used_on__lt=on - BLOCK_KEPT_UNUSED).delete()
    return found


def goods_block_read(*, variant_key: str, key: str, on: date) -> bytes | None:
    """A package's Goods from its block, if the variant has it usable on day `on` (how SQLite's packages
    are handed out; PostgreSQL's claim finds the block itself, see `goods_block_content`)."""
    usable, usable_params = _usable(on)
    table = connection.ops.quote_name(CachedGoodsBlock._meta.db_table)
    rows = fetch_rows(f"SELECT content FROM {table} b WHERE variant_id = %s AND key = %s AND {usable} "
                      f"AND {goods_block_current('b')}", [variant_key, key, *usable_params])
    return bytes(rows[0][0]) if rows else None


def goods_block_store(*, variant_key: str, item_ids: list[int], content: bytes, valid_until: date | None, on: date,
                      seq: int) -> None:
    """Write the block of these items: their Goods joined in this order (`content`), current at feed position
    `seq` (read before the Goods and their prices were) and right until `valid_until`; under
    `goods_cache_fill_lock`."""
    table = connection.ops.quote_name(CachedGoodsBlock._meta.db_table)
    key, digest = goods_block_key(pack_ids(item_ids)), goods_block_digest(content)
    execute_many(
        f"INSERT INTO {table} (variant_id, key, digest, first_item_id, last_item_id, content, valid_until, used_on, "
        f"seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (variant_id, key) DO UPDATE SET "
        f"digest = excluded.digest, content = excluded.content, first_item_id = excluded.first_item_id, "
        f"last_item_id = excluded.last_item_id, valid_until = excluded.valid_until, used_on = excluded.used_on, "
        f"seq = excluded.seq",
        [(variant_key, key, digest, min(item_ids), max(item_ids), content,
          connection.ops.adapt_datefield_value(valid_until), connection.ops.adapt_datefield_value(on), seq)])
    # The package it was written for is claimed next, in this process as a rule: its bytes need not travel back.
    # Only a claim that reads this digest from the database is served them (a rolled-back write is never named).
    goods_block_memory().put(variant_key=variant_key, key=key, digest=digest, content=content)


def goods_block_digest(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


class BlockMemory:
    """Blocks this process has served lately, up to `limit` bytes (the least recently used go first). A
    block's bytes travel from the database once per process, not once per package served: the twenty
    registers of a chain's store fetch the same blocks at opening time.

    One entry per package (variant and package key), holding the digest of the block it was read as: a
    newer block of the same package replaces the older at once. Keyed by digest alone, the old block of
    every package stayed beside its successor after a repricing, never asked for again, until the byte
    bound pushed it out: each process's memory grew by a catalog's worth of blocks at each chain-wide
    change. A lookup still names the digest its claim read, and a different digest is a miss: a block
    is never served for a claim that read another."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._blocks: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, *, variant_key: str, key: str, digest: str) -> bytes | None:
        with self._lock:
            held = self._blocks.get((variant_key, key))
            if held is None or held[0] != digest:
                return None
            self._blocks.move_to_end((variant_key, key))
            return held[1]

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self.size = 0

    def put(self, *, variant_key: str, key: str, digest: str, content: bytes) -> None:
        with self._lock:
            # Whatever the package held goes first, even if the new block is too big to keep.
            held = self._blocks.pop((variant_key, key), None)
            if held is not None:
                self.size -= len(held[1])
            if len(content) > self.limit:
                return
            self._blocks[(variant_key, key)] = (digest, content)
            self.size += len(content)
            while self.size > self.limit:
                _slot, (_digest, dropped) = self._blocks.popitem(last=False)
                self.size -= len(dropped)


def _block_memory_limit() -> int:
    return int(getattr(settings, "EQUIPMENT_SERVICE_BLOCK_MEMORY_MB", 64) * 1024 * 1024)


_memory: BlockMemory | None = None


def goods_block_memory() -> BlockMemory:
    global _memory
    if _memory is None or _memory.limit != _block_memory_limit():
        _memory = BlockMemory(_block_memory_limit())
    return _memory


def goods_block_content(*, variant_key: str, key: str, digest: str) -> bytes | None:
    """A block's bytes by the digest the claim of its package read: from this process's memory, else from
    the database (None if the block was removed in between: the package is then served Good by Good)."""
    memory = goods_block_memory()
    content = memory.get(variant_key=variant_key, key=key, digest=digest)
    if content is not None:
        return content
    table = connection.ops.quote_name(CachedGoodsBlock._meta.db_table)
    rows = fetch_rows(f"SELECT content FROM {table} WHERE variant_id = %s AND key = %s AND digest = %s",
                      [variant_key, key, digest])
    if not rows:
        return None
    content = bytes(rows[0][0])
    memory.put(variant_key=variant_key, key=key, digest=digest, content=content)
    return content


def pack_ids(item_ids: list[int]) -> bytes:
    """Sorted item ids as runs of consecutive ids, (first, count) pairs of 8-byte little-endian integers:
    a package of a catalog's consecutive ids is a few bytes whatever its size."""
    runs: list[int] = []
    start, count = 0, len(item_ids)
    while start < count:
        # Ids rise strictly, so ids[start..end] are consecutive exactly when their span equals their
        # count, and stay so up to the run's end: found by halving, not by a step per id.
        low, high = start, count - 1
        while low < high:
            middle = (low + high + 1) // 2
            if item_ids[middle] - item_ids[start] == middle - start:
                low = middle
            else:
                high = middle - 1
        runs += (item_ids[start], low - start + 1)
        start = low + 1
    packed = array("q", runs)
    if sys.byteorder == "big":  # app servers of any byte order share the database
        packed.byteswap()
    return packed.tobytes()


def unpack_ids(data: bytes | memoryview) -> list[int]:
    runs = array("q")
    runs.frombytes(bytes(data))
    if sys.byteorder == "big":
        runs.byteswap()
    ids: list[int] = []
    for at in range(0, len(runs), 2):
        ids.extend(range(runs[at], runs[at] + runs[at + 1]))
    return ids
