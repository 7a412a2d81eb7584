"""The price-list queue: Prepare → packages → GetPriceListPackage (PROTOCOL §5.3)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from offline_exchange.exceptions import ExchangeError, TransferFailedError
from offline_exchange.format.builders import (
    BuildError,
    build_price_list_head,
    build_price_list_package,
    build_price_list_package_head,
    splice_goods,
)
from offline_exchange.format.documents import PriceListData
from offline_exchange.format.versions import get_format
from offline_exchange.models import CachedGoodsBlock, ExchangeJournalEntry, OfflineDevice, Transfer, TransferPackage
from offline_exchange.services import price_list as price_lists
from offline_exchange.services.batching import CHUNK, chunks, fetch_rows
from offline_exchange.services.feed import (
    Scope,
    feed_high_water,
    price_list_changed_positions,
    price_list_full_reason,
    rule_state,
)
from offline_exchange.services.goods_cache import (
    goods_block_content,
    goods_block_current,
    goods_block_key,
    goods_block_read,
    goods_blocks_usable,
    goods_cache_key,
    pack_ids,
)
from offline_exchange.services.journal import journal_write
from offline_exchange.services.price_list import (
    BlockReadsAhead,
    price_list_block_fill,
    price_list_cache_fill,
    price_list_goods_serialized,
    price_list_package_goods,
    price_list_parts,
    price_list_plan,
    price_list_positions_serialized,
)

logger = logging.getLogger(__name__)
# The journal note of a GetPriceListPackage poll that delivered nothing (read by the exchange console).
NOT_FORMED_NOTE = "пакет не сформирован"


@dataclass
class PackageAnswer:
    content: bytes
    number: int
    total: int
    formed: bool
    transfer_completed: bool = False


def _is_full(device: OfflineDevice, requested_full: bool) -> bool:
    # The first transfer to a device is always full (it has nothing yet), and so is one after a rule
    # change, «Выгрузить полностью» or a silence longer than the feed keeps changes.
    return requested_full or bool(price_list_full_reason(device=device))


def _changes(device: OfflineDevice, transfer: Transfer) -> tuple[list[int] | None, dict[int, set[Scope]]]:
    """The items an incremental transfer carries (None: a full one, every item), and those of them of
    which only some positions go (the per-position shape; the nested one carries an item whole)."""
    if transfer.full:
        return None, {}
    changed = price_list_changed_positions(device=device, upto=transfer.feed_watermark,
                                           on=transfer.price_day or price_lists.price_day())
    partial = {}
    if device.goods_shape == OfflineDevice.GoodsShape.POSITIONS:
        partial = {item_id: scopes for item_id, scopes in changed.items() if scopes is not None}
    return sorted(changed), partial


def positions_dump(partial: dict[int, set[Scope]], ids: list[int]) -> str:
    named = {str(pk): sorted(partial[pk], key=str) for pk in ids if pk in partial}
    return json.dumps(named) if named else ""


def positions_load(text: str) -> dict[int, set[Scope]]:
    return {int(pk): {tuple(scope) for scope in scopes} for pk, scopes in json.loads(text).items()} if text else {}


def _stale_after() -> float:
    return float(getattr(settings, "EQUIPMENT_SERVICE_BUILD_STALE_SECONDS", 300))


def _is_stale(transfer: Transfer) -> bool:
    """A build that stopped giving signs of life: its worker died or never ran."""
    if transfer.state != Transfer.State.BUILDING:
        return False
    last = transfer.heartbeat_at or transfer.created_at
    return (timezone.now() - last).total_seconds() > _stale_after()


STALE_ERROR = ("Формирование прайс-листа прервано: обработчик задач остановился или не запущен. "
               "Запросите прайс-лист заново; если ошибка повторится, проверьте обработчик задач (db_worker).")


def _fail_if_stale(transfer: Transfer) -> bool:
    if _is_stale(transfer):
        Transfer.objects.filter(pk=transfer.pk, state=Transfer.State.BUILDING).update(
            state=Transfer.State.ERROR, error=STALE_ERROR)
        transfer.state, transfer.error = Transfer.State.ERROR, STALE_ERROR
        return True
    return False


def transfer_pending(*, device: OfflineDevice, full: bool) -> Transfer | None:
    """A transfer of the same kind that is being built or still has unsent packages."""
    for transfer in device.transfers.filter(full=full, completed_at=None).exclude(state=Transfer.State.ERROR):
        if _fail_if_stale(transfer):
            continue
        if transfer.state == Transfer.State.BUILDING or transfer.packages.filter(sent=False).exists():
            return transfer
    return None


def background_builds() -> bool:
    return bool(getattr(settings, "EQUIPMENT_SERVICE_BACKGROUND_BUILDS", False))


def transfer_prepare(*, device: OfflineDevice, full: bool, build: bool = True) -> Transfer:
    """Return the pending transfer of the same kind, or start a new one (dropping older ones).

    With background builds the packages are built by the task worker and appear one by one;
    otherwise the build runs here, inside the call, as 1C does it.
    """
    transfer, created = _transfer_start(device=device, full=full)
    if created and build:
        if background_builds():
            # Here, not at the top: the tasks module imports this one (its task runs `transfer_build`).
            from offline_exchange.tasks import price_list_build

            price_list_build.enqueue(transfer_id=str(transfer.pk))
        else:
            transfer_build(transfer_id=transfer.pk)
            transfer.refresh_from_db()
    return transfer


@transaction.atomic
def _transfer_start(*, device: OfflineDevice, full: bool) -> tuple[Transfer, bool]:
    device = OfflineDevice.objects.select_for_update(of=("self",)).select_related("rule__warehouse__store").get(pk=device.pk)
    full = _is_full(device, full)
    pending = transfer_pending(device=device, full=full)
    if pending is not None:
        return pending, False
    device.transfers.all().delete()
    # The snapshot of what this transfer covers: changes after it stay for the next one.
    transfer = Transfer.objects.create(
        device=device, full=full, feed_watermark=feed_high_water(), price_day=price_lists.price_day(),
        rule_state=rule_state(device), heartbeat_at=timezone.now(),
    )
    return transfer, True


LEFT_OUT_OPERATION = "PriceListBuild"


def _left_out_journal(*, device: OfflineDevice, plan, transfer_id: UUID | None = None) -> None:
    """Goods left out of a list (the device's format cannot carry them) named in the exchange journal."""
    text = plan.left_out_text()
    if text:
        journal_write(device=device, device_ref=device.device_id, operation=LEFT_OUT_OPERATION,
                      status=ExchangeJournalEntry.Status.OK, note=text, transfer_id=transfer_id)


def transfer_build(*, transfer_id: UUID) -> None:
    """Plan the transfer and store its packages, each visible to the device as soon as it is written.

    A package is stored as its document without the goods and the list of its items; the goods come
    from the goods cache when it is handed out, from the package's block when the cache has one.
    Packages whose goods are all cached are written together; before a package with goods missing from
    the cache, the packages so far are written (the device may fetch them), its goods are built and
    cached, so memory holds one package's goods at a time. A package without a block gets one, so the
    next register's list reads a row per package. A failure is kept on the transfer for the device to
    see as a fault; the next Prepare starts a new transfer.
    """
    transfer = Transfer.objects.select_related("device__rule__warehouse__store").filter(pk=transfer_id).first()
    if transfer is None or transfer.state != Transfer.State.BUILDING:
        return  # dropped by a newer Prepare, or already built
    device = transfer.device
    try:
        fmt = get_format(device.format_version)
        item_ids, partial = _changes(device, transfer)
        plan = price_list_plan(device=device, item_ids=item_ids, full=transfer.full, on=transfer.price_day,
                               per_package=device.items_per_package)
        # A package names the items it carries whole (from the cache, or its block) and, apart, those of
        # which only some positions go.
        parts = [(groups, [pk for pk in ids if pk not in partial], positions_dump(partial, ids))
                 for groups, ids in price_list_parts(plan.groups, plan.ids, device.items_per_package)]
        total = len(parts)
        Transfer.objects.filter(pk=transfer.pk).update(
            package_total=total, goods_count=len(plan.ids), skipped_without_sku=plan.skipped_without_sku,
            left_out=plan.left_out_text(), heartbeat_at=timezone.now(),
        )
        _left_out_journal(device=device, plan=plan, transfer_id=transfer.pk)
        packed = [pack_ids(ids) for _groups, ids, _positions in parts]
        keys = [goods_block_key(items) if items else "" for items in packed]
        blocks = plan.blocks if plan.blocks is not None else goods_blocks_usable(
            variant_key=plan.variant_key, on=plan.on, keys=[key for key in keys if key])
        pending: list[TransferPackage] = []
        # Each package's items the cache lacks (built here), and whether it needs a block.
        steps = [([pk for pk in ids if pk in plan.uncached] if plan.uncached else [], bool(ids) and key not in blocks)
                 for (_groups, ids, _positions), key in zip(parts, keys)]
        ahead = _block_reads_ahead(device=device, plan=plan, packages=[
            ids for (_groups, ids, _positions), (missing, without_block) in zip(parts, steps)
            if without_block and not missing])
        try:
            for number, (groups, ids, positions) in enumerate(parts, start=1):
                missing, without_block = steps[number - 1]
                if missing:
                    if not _packages_write(transfer, pending):
                        return
                    price_list_cache_fill(device=device, ids=missing, on=plan.on,
                                          block=ids if without_block else None)
                elif without_block:
                    price_list_block_fill(device=device, ids=ids, on=plan.on, versions=plan.versions,
                                          seq=plan.seq, reads=ahead.take(ids) if ahead else None)
                pending.append(TransferPackage(
                    transfer_id=transfer.pk, number=number, item_ids=packed[number - 1], positions=positions,
                    head=build_price_list_package_head(
                        number=number, total=total, fmt=fmt,
                        price_list=PriceListData(full=plan.full, units=plan.units, groups=groups)),
                ))
                if missing and not _packages_write(transfer, pending):
                    return
        finally:
            if ahead is not None:
                ahead.close()
        if not _packages_write(transfer, pending):
            return
        Transfer.objects.filter(pk=transfer.pk, state=Transfer.State.BUILDING).update(state=Transfer.State.READY)
    except (ExchangeError, BuildError) as exc:
        Transfer.objects.filter(pk=transfer.pk).update(state=Transfer.State.ERROR, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure must reach the device as an error, not a hang
        logger.exception("price list build failed for transfer %s", transfer.pk)
        Transfer.objects.filter(pk=transfer.pk).update(
            state=Transfer.State.ERROR, error=f"Ошибка формирования прайс-листа: {exc.__class__.__name__}",
        )


def _block_reads_ahead(*, device: OfflineDevice, plan, packages: list[list[int]]) -> BlockReadsAhead | None:
    """The reads of these packages' blocks made ahead (`BlockReadsAhead`): the packages whose block is filled
    from cached Goods alone, after a chain-wide repricing every one. Not inside a transaction (a test's, or a
    caller's), whose writes another connection cannot see."""
    if len(packages) < 2 or plan.versions is None or connection.in_atomic_block:
        return None
    return BlockReadsAhead(device=device, packages=packages, on=plan.on, versions=plan.versions)


@transaction.atomic
def _packages_write(transfer: Transfer, packages: list[TransferPackage]) -> bool:
    """Write the packages built so far (and empty the list); False when the transfer was dropped (a newer
    Prepare) or declared dead meanwhile, and the build must stop."""
    if not packages:
        return True
    if not Transfer.objects.filter(pk=transfer.pk, state=Transfer.State.BUILDING).update(
            built_packages=packages[-1].number, heartbeat_at=timezone.now()):
        return False
    TransferPackage.objects.bulk_create(packages)
    packages.clear()
    return True


def _not_formed(fmt_code: int) -> PackageAnswer:
    fmt = get_format(fmt_code)
    return PackageAnswer(build_price_list_package(number=1, total=1, price_list=None, fmt=fmt), 1, 1, False)


def package_next(*, device: OfflineDevice, transfer_id: str, restart: bool) -> PackageAnswer:
    """Hand out the lowest unsent package; the device's watermark moves only after the last one is out.

    Claiming a package is one statement on PostgreSQL, committed on its own: this runs for every
    package of every transfer. Completing the transfer (the last package) is a transaction of its own
    after it; should the server stop between the two, the watermark stays and the changes go out again
    with the next list, so nothing is lost."""
    try:
        key = UUID(str(transfer_id).strip())
    except ValueError:
        return _not_formed(device.format_version)
    if restart:
        TransferPackage.objects.filter(transfer_id=key, transfer__device=device).update(sent=False)
    claim = _package_claim(key=key, device=device)
    if claim is None:
        return _not_formed(device.format_version)
    transfer, package = claim
    if package is None:
        transfer = Transfer.objects.get(pk=transfer.pk)
        _fail_if_stale(transfer)
        if transfer.state == Transfer.State.ERROR:
            raise TransferFailedError(transfer.error or "Ошибка формирования прайс-листа")
        return _not_formed(device.format_version)
    if package.block is not None:
        goods = [package.block]
    else:
        goods = price_list_package_goods(device=device, item_ids=package.item_ids)
    if package.positions:
        goods = goods + price_list_positions_serialized(device=device, positions=positions_load(package.positions))
    content = splice_goods(package.head, goods)
    # The lowest unsent package was the last one, so every other one has been sent.
    completed = package.number == transfer.package_total
    if completed and transfer.completed_at is None:
        _transfer_complete(transfer=transfer, device=device)
    return PackageAnswer(content, package.number, transfer.package_total, True, completed)


@dataclass
class _Claimed:
    number: int
    head: bytes
    item_ids: bytes
    block: bytes | None  # the package's Goods from the goods cache's block, when it has one
    positions: str  # the items of which only some positions go (`positions_dump`)


# What handing out a package needs of its transfer; the rare answer without a package reads the whole row.
_TRANSFER_COLUMNS = ["id", "package_total", "completed_at", "feed_watermark", "price_day", "rule_state"]


def _package_claim(*, key: UUID, device: OfflineDevice) -> tuple[Transfer, _Claimed | None] | None:
    """The transfer (None when the device has no such transfer; only `_TRANSFER_COLUMNS`, as raw values)
    and the package just marked sent: the
    lowest unsent one (packages are written in order, so it is the next one, even mid-build); none when
    all are sent, none are built yet, or the build failed or stopped."""
    stale_before = timezone.now() - timedelta(seconds=_stale_after())
    variant_key, on = goods_cache_key(device=device), price_lists.price_day()
    transfers = connection.ops.quote_name(Transfer._meta.db_table)
    packages = connection.ops.quote_name(TransferPackage._meta.db_table)
    columns = ", ".join(f"t.{name}" for name in _TRANSFER_COLUMNS)
    # Not a failed build, nor one that stopped giving signs of life (`_is_stale`).
    claimable = ("t.state = %s OR (t.state = %s AND COALESCE(t.heartbeat_at, t.created_at) >= %s)",
                 [Transfer.State.READY, Transfer.State.BUILDING,
                  connection.ops.adapt_datetimefield_value(stale_before)])
    if connection.vendor == "postgresql":
        # The package row is locked as it is picked (and the pick moves on past a package claimed
        # meanwhile), so calls racing on one transfer each get a different package. The block is found
        # by the hash of the package's items, as `goods_block_key` names it; its digest comes back, and
        # its bytes come from this process's memory or one more read.
        blocks = connection.ops.quote_name(CachedGoodsBlock._meta.db_table)
        rows = fetch_rows(
            f"WITH t AS (SELECT * FROM {transfers} WHERE id = %s AND device_id = %s), "
            f"p AS (UPDATE {packages} SET sent = TRUE WHERE id = (SELECT p.id FROM {packages} p, t "
            f"WHERE p.transfer_id = t.id AND NOT p.sent AND ({claimable[0]}) "
            f"ORDER BY p.number LIMIT 1 FOR UPDATE OF p) RETURNING number, head, item_ids, positions) "
            f"SELECT {columns}, p.number, p.head, p.item_ids, p.positions, b.digest FROM t LEFT JOIN p ON TRUE "
            f"LEFT JOIN {blocks} b ON b.variant_id = %s AND b.key = md5(p.item_ids) "
            f"AND (b.valid_until IS NULL OR b.valid_until > %s) AND {goods_block_current('b')}",
            [key, device.pk, *claimable[1], variant_key, on])
        if not rows:
            return None
        row = rows[0]
        transfer = Transfer(**dict(zip(_TRANSFER_COLUMNS, row)))
        number, head, item_ids, positions, digest = row[len(_TRANSFER_COLUMNS):]
        if number is None:
            return transfer, None
        item_ids = bytes(item_ids)
        block = None if digest is None else goods_block_content(
            variant_key=variant_key, key=goods_block_key(item_ids), digest=digest)
        return transfer, _Claimed(number, bytes(head), item_ids, block, positions)
    with transaction.atomic():
        # Elsewhere (SQLite) the transaction holds the database's write lock from its start.
        rows = fetch_rows(
            f"SELECT {columns}, ({claimable[0]}) FROM {transfers} t WHERE t.id = %s AND t.device_id = %s",
            [*claimable[1], Transfer._meta.pk.get_db_prep_value(key, connection), device.pk])
        if not rows:
            return None
        *values, can_claim = rows[0]
        transfer = Transfer(**dict(zip(_TRANSFER_COLUMNS, values)))
        if not can_claim:
            return transfer, None
        rows = fetch_rows(
            f"UPDATE {packages} SET sent = %s WHERE id = (SELECT id FROM {packages} WHERE transfer_id = %s "
            f"AND sent = %s ORDER BY number LIMIT 1) RETURNING number, head, item_ids, positions",
            [True, Transfer._meta.pk.get_db_prep_value(key, connection), False])
        if not rows:
            return transfer, None
        number, head, item_ids, positions = rows[0]
        block = goods_block_read(variant_key=variant_key, key=goods_block_key(item_ids), on=on) if item_ids else None
        return transfer, _Claimed(number, bytes(head), bytes(item_ids), block, positions)


@transaction.atomic
def _transfer_complete(*, transfer: Transfer, device: OfflineDevice) -> None:
    """The last package is out: the device's watermark moves to the transfer's snapshot (once, whoever gets
    here first)."""
    now = timezone.now()
    if Transfer.objects.filter(pk=transfer.pk, completed_at=None).update(completed_at=now):
        OfflineDevice.objects.filter(pk=device.pk).update(
            price_list_delivered_at=now, price_list_watermark=transfer.feed_watermark,
            price_list_on=_day(transfer.price_day), price_list_rule_state=transfer.rule_state)


def _day(value):
    # SQLite's raw rows give dates as text.
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


@transaction.atomic
def price_list_deliver(*, device: OfflineDevice) -> bytes:
    """GetPriceList: the pending changes (everything the first time) in one document."""
    device = OfflineDevice.objects.select_for_update(of=("self",)).select_related("rule__warehouse__store").get(pk=device.pk)
    fmt = get_format(device.format_version)
    full = _is_full(device, False)
    snapshot = Transfer(full=full, feed_watermark=feed_high_water(), price_day=price_lists.price_day(),
                        rule_state=rule_state(device))
    item_ids, partial = _changes(device, snapshot)
    plan = price_list_plan(device=device, item_ids=item_ids, full=full, on=snapshot.price_day)
    _left_out_journal(device=device, plan=plan)
    goods: list[bytes] = []
    for ids in chunks([pk for pk in plan.ids if pk not in partial], device.items_per_package or CHUNK):
        goods.extend(price_list_goods_serialized(device=device, ids=ids, on=plan.on))
    listed = set(plan.ids)
    goods.extend(price_list_positions_serialized(
        device=device, on=plan.on, positions={pk: scopes for pk, scopes in partial.items() if pk in listed}))
    # GetPriceList carries no FullExport attribute (as 1C writes it).
    head = build_price_list_head(PriceListData(full=False, groups=plan.groups, units=plan.units), fmt)
    content = splice_goods(head, goods)
    OfflineDevice.objects.filter(pk=device.pk).update(
        price_list_delivered_at=timezone.now(), price_list_watermark=snapshot.feed_watermark,
        price_list_on=snapshot.price_day, price_list_rule_state=snapshot.rule_state)
    return content
