"""The price-list queue: Prepare → packages → GetPriceListPackage (PROTOCOL §5.3)."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from ..exceptions import ExchangeError, TransferFailedError
from ..format.builders import BuildError, build_price_list, build_price_list_package
from ..format.documents import PriceListData
from ..format.versions import get_format
from ..models import ChangeRegistration, OfflineDevice, Transfer, TransferPackage
from .price_list import price_list_collect
from .registration import registration_clear, registration_watermark

logger = logging.getLogger(__name__)


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


def _split(data: PriceListData, per_package: int) -> list[PriceListData]:
    """Groups first, then goods, N elements a package; units and the flag repeat in each."""
    elements = [("group", g) for g in data.groups] + [("good", g) for g in data.goods]
    if per_package <= 0 or len(elements) <= per_package:
        return [data]
    packages = []
    for start in range(0, len(elements), per_package):
        part = elements[start:start + per_package]
        packages.append(PriceListData(
            full=data.full, units=data.units,
            groups=[e for kind, e in part if kind == "group"],
            goods=[e for kind, e in part if kind == "good"],
        ))
    return packages


def transfer_pending(*, device: OfflineDevice, full: bool) -> Transfer | None:
    """A transfer of the same kind that is being built or still has unsent packages."""
    for transfer in device.transfers.filter(full=full, completed_at=None).exclude(state=Transfer.State.ERROR):
        if transfer.state == Transfer.State.BUILDING or transfer.packages.filter(sent=False).exists():
            return transfer
    return None


@transaction.atomic
def transfer_prepare(*, device: OfflineDevice, full: bool, build: bool = True) -> Transfer:
    """Return the pending transfer of the same kind, or start a new one (dropping older ones)."""
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    full = _is_full(device, full)
    pending = transfer_pending(device=device, full=full)
    if pending is not None:
        return pending
    device.transfers.all().delete()
    transfer = Transfer.objects.create(
        device=device, full=full, registration_watermark=registration_watermark(device=device),
    )
    if build:
        transfer_build(transfer_id=transfer.pk)
        transfer.refresh_from_db()
    return transfer


def transfer_build(*, transfer_id: UUID) -> None:
    """Build and store every package; a failure is kept on the transfer for the device to see."""
    transfer = Transfer.objects.select_related("device__rule__warehouse__store").get(pk=transfer_id)
    device = transfer.device
    try:
        with transaction.atomic():
            fmt = get_format(device.format_version)
            item_ids = None if transfer.full else _registered_item_ids(device, transfer.registration_watermark)
            collected = price_list_collect(device=device, item_ids=item_ids, full=transfer.full)
            parts = _split(collected.data, device.items_per_package)
            total = len(parts)
            TransferPackage.objects.bulk_create(
                [TransferPackage(transfer=transfer, number=n,
                                 content=build_price_list_package(number=n, total=total, price_list=part, fmt=fmt))
                 for n, part in enumerate(parts, start=1)],
                batch_size=100,
            )
            Transfer.objects.filter(pk=transfer.pk).update(
                state=Transfer.State.READY, package_total=total, goods_count=len(collected.data.goods),
                skipped_without_sku=collected.skipped_without_sku,
            )
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


@transaction.atomic
def package_next(*, device: OfflineDevice, transfer_id: str, restart: bool) -> PackageAnswer:
    """Hand out the lowest unsent package; registrations go only after the last one is out."""
    try:
        key = UUID(str(transfer_id).strip())
    except ValueError:
        return _not_formed(device.format_version)
    transfer = Transfer.objects.select_for_update().filter(pk=key, device=device).first()
    if transfer is None:
        return _not_formed(device.format_version)
    if transfer.state == Transfer.State.ERROR:
        raise TransferFailedError(transfer.error or "Ошибка формирования прайс-листа")
    if restart:
        transfer.packages.update(sent=False)
    if transfer.state == Transfer.State.BUILDING:
        return _not_formed(device.format_version)
    package = transfer.packages.filter(sent=False).order_by("number").first()
    if package is None:
        return _not_formed(device.format_version)
    TransferPackage.objects.filter(pk=package.pk).update(sent=True)
    completed = not transfer.packages.filter(sent=False).exists()
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
