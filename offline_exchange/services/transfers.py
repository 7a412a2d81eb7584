"""The price-list queue: Prepare → packages → GetPriceListPackage (PROTOCOL §5.3)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..exceptions import ExchangeError, TransferFailedError
from ..format.builders import BuildError, build_price_list, build_price_list_package
from ..format.documents import PriceListData
from ..format.versions import get_format
from ..models import ChangeRegistration, OfflineDevice, Transfer, TransferPackage
from .price_list import PriceListPlan, price_list_collect, price_list_goods, price_list_plan
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
    elements = [("group", g) for g in plan.groups] + [("good", pk) for pk in plan.ids]
    if per_package <= 0 or len(elements) <= per_package:
        return [(plan.groups, plan.ids)]
    return [
        ([e for kind, e in part if kind == "group"], [e for kind, e in part if kind == "good"])
        for part in (elements[start:start + per_package] for start in range(0, len(elements), per_package))
    ]


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
    """Build and store the packages one by one, each visible to the device as soon as it is written.

    Memory holds one package's goods at a time. A failure is kept on the transfer for the device
    to see as a fault; the next Prepare starts a new transfer.
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
        for number, (groups, ids) in enumerate(parts, start=1):
            goods, _units, _without_price = price_list_goods(device=device, ids=ids)
            content = build_price_list_package(
                number=number, total=total, fmt=fmt,
                price_list=PriceListData(full=plan.full, units=plan.units, groups=groups, goods=goods),
            )
            with transaction.atomic():
                if not Transfer.objects.filter(pk=transfer.pk, state=Transfer.State.BUILDING).update(
                        built_packages=number, heartbeat_at=timezone.now()):
                    return  # the transfer was dropped (a newer Prepare) or declared dead meanwhile
                TransferPackage.objects.create(transfer_id=transfer.pk, number=number, content=content)
        Transfer.objects.filter(pk=transfer.pk, state=Transfer.State.BUILDING).update(state=Transfer.State.READY)
    except (ExchangeError, BuildError) as exc:
        Transfer.objects.filter(pk=transfer.pk).update(state=Transfer.State.ERROR, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure must reach the device as an error, not a hang
        logger.exception("price list build failed for transfer %s", transfer.pk)
        Transfer.objects.filter(pk=transfer.pk).update(
            state=Transfer.State.ERROR, error=f"Ошибка формирования прайс-листа: {exc.__class__.__name__}",
        )


def _not_formed(fmt_code: int) -> PackageAnswer:
    fmt = get_format(fmt_code)
    return PackageAnswer(build_price_list_package(number=1, total=1, price_list=None, fmt=fmt), 1, 1, False)


def package_next(*, device: OfflineDevice, transfer_id: str, restart: bool) -> PackageAnswer:
    """Hand out the lowest unsent package; registrations go only after the last one is out."""
    try:
        key = UUID(str(transfer_id).strip())
    except ValueError:
        return _not_formed(device.format_version)
    transfer = Transfer.objects.filter(pk=key, device=device).first()
    if transfer is None:
        return _not_formed(device.format_version)
    # Declared dead in its own write, so the verdict stays when the device is answered with a fault.
    _fail_if_stale(transfer)
    return _package_next(device=device, key=key, restart=restart)


@transaction.atomic
def _package_next(*, device: OfflineDevice, key: UUID, restart: bool) -> PackageAnswer:
    transfer = Transfer.objects.select_for_update().filter(pk=key, device=device).first()
    if transfer is None:
        return _not_formed(device.format_version)
    if transfer.state == Transfer.State.ERROR:
        raise TransferFailedError(transfer.error or "Ошибка формирования прайс-листа")
    if restart:
        transfer.packages.update(sent=False)
    # Packages are written in order, so the lowest unsent one is the next, even mid-build.
    package = transfer.packages.filter(sent=False).order_by("number").first()
    if package is None:
        return _not_formed(device.format_version)
    TransferPackage.objects.filter(pk=package.pk).update(sent=True)
    completed = package.number == transfer.package_total and not transfer.packages.filter(sent=False).exists()
    if completed and transfer.completed_at is None:
        registration_clear(device=device, watermark=transfer.registration_watermark)
        now = timezone.now()
        Transfer.objects.filter(pk=transfer.pk).update(completed_at=now)
        OfflineDevice.objects.filter(pk=device.pk).update(price_list_delivered_at=now)
    return PackageAnswer(bytes(package.content), package.number, transfer.package_total, True, completed)


@transaction.atomic
def price_list_deliver(*, device: OfflineDevice) -> bytes:
    """GetPriceList: the pending changes (everything the first time) in one document."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    fmt = get_format(device.format_version)
    full = _is_full(device, False)
    watermark = registration_watermark(device=device)
    item_ids = None if full else _registered_item_ids(device, watermark)
    collected = price_list_collect(device=device, item_ids=item_ids, full=full)
    # GetPriceList carries no FullExport attribute (as 1C writes it).
    collected.data.full = False
    content = build_price_list(collected.data, fmt)
    registration_clear(device=device, watermark=watermark)
    OfflineDevice.objects.filter(pk=device.pk).update(price_list_delivered_at=timezone.now())
    return content
