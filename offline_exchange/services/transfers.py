"""The price-list queue: Prepare → packages → GetPriceListPackage (PROTOCOL §5.3)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..exceptions import ExchangeError, TransferFailedError
from ..format.builders import (
    BuildError,
    build_price_list_head,
    build_price_list_package,
    build_price_list_package_head,
    splice_goods,
)
from ..format.documents import PriceListData
from ..format.versions import get_format
from ..models import ChangeRegistration, OfflineDevice, Transfer, TransferPackage
from .batching import CHUNK, chunks, fetch_rows
from .goods_cache import pack_ids, unpack_ids
from .price_list import PriceListPlan, price_list_cache_fill, price_list_goods_serialized, price_list_plan
from .registration import registration_clear, registration_watermark

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


def _registered_item_ids(device: OfflineDevice, watermark: int) -> list[int]:
    return list(
        ChangeRegistration.objects.filter(device=device, id__lte=watermark).values_list("item_id", flat=True)
    )


def _is_full(device: OfflineDevice, requested_full: bool) -> bool:
    # The first transfer to a device is always full: it has nothing yet.
    return requested_full or device.price_list_delivered_at is None


def _parts(plan: PriceListPlan, per_package: int) -> list[tuple[list, list[int]]]:
    """Groups first, then goods, N elements a package; units and the flag repeat in each."""
    groups, ids = plan.groups, plan.ids
    count = len(groups) + len(ids)
    if per_package <= 0 or count <= per_package:
        return [(groups, ids)]
    parts = []
    for start in range(0, count, per_package):
        end = start + per_package
        parts.append((groups[start:end], ids[max(0, start - len(groups)):max(0, end - len(groups))]))
    return parts


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
            from ..tasks import price_list_build
            price_list_build.enqueue(transfer_id=str(transfer.pk))
        else:
            transfer_build(transfer_id=transfer.pk)
            transfer.refresh_from_db()
    return transfer


@transaction.atomic
def _transfer_start(*, device: OfflineDevice, full: bool) -> tuple[Transfer, bool]:
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    full = _is_full(device, full)
    pending = transfer_pending(device=device, full=full)
    if pending is not None:
        return pending, False
    device.transfers.all().delete()
    transfer = Transfer.objects.create(
        device=device, full=full, registration_watermark=registration_watermark(device=device),
        heartbeat_at=timezone.now(),
    )
    return transfer, True


def transfer_build(*, transfer_id: UUID) -> None:
    """Plan the transfer and store its packages, each visible to the device as soon as it is written.

    A package is stored as its document without the goods and the list of its items; the goods come
    from the goods cache when it is handed out. Packages whose goods are all cached are written
    together; before a package with goods missing from the cache, the packages so far are written (the
    device may fetch them), its goods are built and cached, so memory holds one package's goods at a
    time. A failure is kept on the transfer for the device to see as a fault; the next Prepare starts
    a new transfer.
    """
    transfer = Transfer.objects.select_related("device__rule__warehouse__store").filter(pk=transfer_id).first()
    if transfer is None or transfer.state != Transfer.State.BUILDING:
        return  # dropped by a newer Prepare, or already built
    device = transfer.device
    try:
        fmt = get_format(device.format_version)
        item_ids = None if transfer.full else _registered_item_ids(device, transfer.registration_watermark)
        plan = price_list_plan(device=device, item_ids=item_ids, full=transfer.full)
        parts = _parts(plan, device.items_per_package)
        total = len(parts)
        Transfer.objects.filter(pk=transfer.pk).update(
            package_total=total, goods_count=len(plan.ids), skipped_without_sku=plan.skipped_without_sku,
            heartbeat_at=timezone.now(),
        )
        pending: list[TransferPackage] = []
        for number, (groups, ids) in enumerate(parts, start=1):
            missing = [pk for pk in ids if pk in plan.uncached]
            if missing:
                if not _packages_write(transfer, pending):
                    return
                price_list_cache_fill(device=device, ids=missing, on=plan.on)
            pending.append(TransferPackage(
                transfer_id=transfer.pk, number=number, item_ids=pack_ids(ids),
                head=build_price_list_package_head(
                    number=number, total=total, fmt=fmt,
                    price_list=PriceListData(full=plan.full, units=plan.units, groups=groups)),
            ))
            if missing and not _packages_write(transfer, pending):
                return
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
    """Hand out the lowest unsent package; registrations go only after the last one is out."""
    try:
        key = UUID(str(transfer_id).strip())
    except ValueError:
        return _not_formed(device.format_version)
    answer = _package_next(device=device, key=key, restart=restart)
    if isinstance(answer, str):
        # Raised only now, so that a build declared dead just now stays declared when the device is
        # answered with a fault.
        raise TransferFailedError(answer)
    return answer


@transaction.atomic
def _package_next(*, device: OfflineDevice, key: UUID, restart: bool) -> PackageAnswer | str:
    transfer = _transfer_locked(key=key, device=device)
    if transfer is None:
        return _not_formed(device.format_version)
    _fail_if_stale(transfer)
    if transfer.state == Transfer.State.ERROR:
        return transfer.error or "Ошибка формирования прайс-листа"
    if restart:
        transfer.packages.update(sent=False)
    package = _package_claim(transfer)
    if package is None:
        return _not_formed(device.format_version)
    number, head, item_ids = package
    content = splice_goods(bytes(head), price_list_goods_serialized(device=device, ids=unpack_ids(item_ids)))
    # The lowest unsent package was the last one, so every other one has been sent.
    completed = number == transfer.package_total
    if completed and transfer.completed_at is None:
        registration_clear(device=device, watermark=transfer.registration_watermark)
        now = timezone.now()
        Transfer.objects.filter(pk=transfer.pk).update(completed_at=now)
        OfflineDevice.objects.filter(pk=device.pk).update(price_list_delivered_at=now)
    return PackageAnswer(content, number, transfer.package_total, True, completed)


def _transfer_locked(*, key: UUID, device: OfflineDevice) -> Transfer | None:
    """The transfer, its row locked until the end of the transaction. Written out rather than built by the
    ORM: compiling the query (with the model's ordering) cost more than running it, on every package."""
    table = connection.ops.quote_name(Transfer._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found = Transfer.objects.raw(f"SELECT * FROM {table} WHERE id = %s AND device_id = %s{lock}",
                                 [Transfer._meta.pk.get_db_prep_value(key, connection), device.pk])
    return next(iter(found), None)


def _package_claim(transfer: Transfer) -> tuple[int, bytes, bytes] | None:
    """Mark the lowest unsent package sent and return its number, head and items (packages are written
    in order, so it is the next one, even mid-build). One statement: this runs for every package."""
    table = connection.ops.quote_name(TransferPackage._meta.db_table)
    transfer_key = Transfer._meta.pk.get_db_prep_value(transfer.pk, connection)
    rows = fetch_rows(
        f"UPDATE {table} SET sent = %s WHERE id = (SELECT id FROM {table} WHERE transfer_id = %s AND sent = %s "
        f"ORDER BY number LIMIT 1) RETURNING number, head, item_ids",
        [True, transfer_key, False])
    return rows[0] if rows else None


@transaction.atomic
def price_list_deliver(*, device: OfflineDevice) -> bytes:
    """GetPriceList: the pending changes (everything the first time) in one document."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    fmt = get_format(device.format_version)
    full = _is_full(device, False)
    watermark = registration_watermark(device=device)
    item_ids = None if full else _registered_item_ids(device, watermark)
    plan = price_list_plan(device=device, item_ids=item_ids, full=full)
    goods: list[bytes] = []
    for ids in chunks(plan.ids, device.items_per_package or CHUNK):
        goods.extend(price_list_goods_serialized(device=device, ids=ids, on=plan.on))
    # GetPriceList carries no FullExport attribute (as 1C writes it).
    head = build_price_list_head(PriceListData(full=False, groups=plan.groups, units=plan.units), fmt)
    content = splice_goods(head, goods)
    registration_clear(device=device, watermark=watermark)
    OfflineDevice.objects.filter(pk=device.pk).update(price_list_delivered_at=timezone.now())
    return content
