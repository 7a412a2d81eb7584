"""What cost of goods and the cash ledger add to posting: a 10,000-check shift with and without them, and
the re-costing a late receipt causes before a month of one item's movements. Ratios are taken in one
process (the machine's speed moves between runs, see BENCHMARKS.md)."""
from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from bench.exchange import DEVICE_ID, NEXT_DEVICE_ID, catalog_create, peak_rss_mb
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CashMovementDoc
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import get_format
from offline_exchange.models import ExchangeRule, OfflineDevice, SkuCode
from offline_exchange.services import sales
from retail.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    OpeningBalance,
    OpeningBalanceLine,
    Organization,
    Price,
    StockBalance,
    StockMovement,
    Unit,
    Warehouse,
    WriteOff,
    WriteOffLine,
)
from retail.services import posting
from retail.services.costing import cost_restore
from retail.services.numbering import document_number_assign
from retail.services.posting import document_post, document_unpost

SELLABLE = 500


def _sellable() -> list[SellableGood]:
    prices = dict(Price.objects.values_list("item_id", "value")[:2000])
    goods = []
    for number, item_id in SkuCode.objects.filter(characteristic=None, pack=None, item_id__in=list(prices))\
            .order_by("number")[:SELLABLE].values_list("number", "item_id"):
        goods.append(SellableGood(str(number), prices[item_id], tax_rate="none"))
    return goods


def catalog_with_costs(*, goods: int) -> dict:
    """The benchmark catalog, the second register on a warehouse of its own, and an opening balance with a cost
    of every sellable good in both warehouses (so both registers sell from costed stock)."""
    figures = catalog_create(goods=goods, package_size=1000)
    with transaction.atomic():
        device = OfflineDevice.objects.get(device_id=NEXT_DEVICE_ID)
        main = device.rule.warehouse
        second = Warehouse.objects.create(name="Склад 2", store=main.store)
        device.rule = ExchangeRule.objects.create(name="Второй склад", warehouse=second)
        device.save()
        items = list(SkuCode.objects.filter(characteristic=None, pack=None).order_by("number")
                     .values_list("item_id", flat=True)[:SELLABLE])
        organization = Organization.objects.get()
        for warehouse in (main, second):
            opening = OpeningBalance(date=dt.datetime(2024, 6, 1, 8), organization=organization, warehouse=warehouse)
            document_number_assign(document=opening)
            opening.save()
            OpeningBalanceLine.objects.bulk_create([
                OpeningBalanceLine(document=opening, line_number=n, item_id=item_id, quantity=Decimal(100000),
                                   price=Decimal(40) + n % 50) for n, item_id in enumerate(items, 1)])
            document_post(document=opening)
    return {"items": figures.items, "costed": len(items)}


@contextmanager
def _plain_posting():
    """Posting as it was before cost and cash: the ledger's rows and totals only (no re-costing, no cash rows,
    no withdrawal, no return links)."""
    with mock.patch.object(posting, "sequence_restore", lambda **kw: None), \
            mock.patch.object(posting, "money_replace", lambda *a, **kw: None), \
            mock.patch.object(sales, "sales_reports_settle", lambda **kw: None):
        yield


@dataclass
class ShiftFigures:
    checks: int
    lines: int
    plain_seconds: list[float]
    full_seconds: list[float]
    plain_median: float
    full_median: float
    ratio: float
    peak_rss_mb: float


def shift_posting_measure(*, checks: int, lines: int, repeat: int) -> ShiftFigures:
    """Upload `repeat` shifts through PostDocs' service path with cost and cash, and as many through the plain
    path on the other register's warehouse, alternating, each a new shift of the next day."""
    goods = _sellable()
    devices = {"full": OfflineDevice.objects.get(device_id=DEVICE_ID),
               "plain": OfflineDevice.objects.get(device_id=NEXT_DEVICE_ID)}
    timings: dict[str, list[float]] = {"full": [], "plain": []}
    for n in range(repeat):
        for kind in ("plain", "full") if n % 2 == 0 else ("full", "plain"):
            opened = dt.datetime(2024, 7, 1, 8) + dt.timedelta(days=n)
            shift = synthetic_shift(goods=goods, checks=checks, lines=lines, opened_at=opened, seed=n + 1,
                                    shift_number=str(n + 1), returns_every=40)
            shift.cash_movements = [
                CashMovementDoc(date=opened, number="1", type="Income", amount=Decimal(5000), uuid=uuid.uuid4()),
                CashMovementDoc(date=shift.closed_at, number="2", type="Outcome", amount=Decimal(1000),
                                uuid=uuid.uuid4())]
            device = devices[kind]
            document = build_sale_reports([shift], get_format(device.format_version))
            started = time.perf_counter()
            if kind == "plain":
                with _plain_posting():
                    result = sales.post_docs(device=device, doc_type="SaleReports", document=document)
            else:
                result = sales.post_docs(device=device, doc_type="SaleReports", document=document)
            timings[kind].append(round(time.perf_counter() - started, 3))
            assert result.reports[0].posted, result.description
    plain, full = statistics.median(timings["plain"]), statistics.median(timings["full"])
    return ShiftFigures(checks, lines, timings["plain"], timings["full"], plain, full, round(full / plain, 2),
                        round(peak_rss_mb(), 1))


@dataclass
class RecostFigures:
    movements: int
    rows_recosted: int
    in_order_seconds: list[float]
    late_seconds: list[float]
    in_order_median: float
    late_median: float
    ratio: float


def _month_of_one_item(movements: int) -> tuple[Item, Warehouse, Organization, dt.datetime]:
    """One item with a receipt on the 1st and `movements` write-offs of one piece spread over the month; the
    documents and their rows are written in bulk, then costed once (that part is not measured)."""
    organization = Organization.objects.get()
    warehouse = Warehouse.objects.get(name="Склад 1")
    item = Item.objects.create(name="Товар месяца", base_unit=Unit.objects.get(okei_code="796"), vat_rate="none")
    start = dt.datetime(2024, 8, 1, 8)
    first = GoodsReceipt(date=start, organization=organization, warehouse=warehouse)
    document_number_assign(document=first)
    first.save()
    GoodsReceiptLine.objects.create(document=first, line_number=1, item=item, quantity=Decimal(movements * 2),
                                    price=Decimal("100.00"), amount=Decimal(movements * 200))
    document_post(document=first)
    step = dt.timedelta(days=30) / movements
    offs = WriteOff.objects.bulk_create([
        WriteOff(date=start + step * (n + 1), organization=organization, warehouse=warehouse, reason="Бой",
                 posted=True, number=f"B-{n:06d}") for n in range(movements)])
    WriteOffLine.objects.bulk_create([WriteOffLine(document=doc, line_number=1, item=item, quantity=Decimal(1))
                                      for doc in offs])
    kind = ContentType.objects.get_for_model(WriteOff)
    StockMovement.objects.bulk_create([
        StockMovement(date=doc.date, warehouse=warehouse, item=item, quantity=Decimal(-1), document_type=kind,
                      document_id=doc.pk, line_number=1) for doc in offs], batch_size=1000)
    StockBalance.objects.filter(warehouse=warehouse, item=item).update(quantity=Decimal(movements))
    cost_restore(starts={(warehouse.pk, item.pk, None): start})
    return item, warehouse, organization, start


def recost_measure(*, movements: int, repeat: int) -> RecostFigures:
    """Post a receipt of the item dated after the month (re-costs its own row), then the same receipt dated
    before the month's movements (re-costs every one of them); each posted `repeat` times."""
    item, warehouse, organization, start = _month_of_one_item(movements)
    timings: dict[str, list[float]] = {"in_order": [], "late": []}
    rows = 0
    for kind, when in (("in_order", start + dt.timedelta(days=31)), ("late", start + dt.timedelta(minutes=1))):
        receipt = GoodsReceipt(date=when, organization=organization, warehouse=warehouse)
        document_number_assign(document=receipt)
        receipt.save()
        GoodsReceiptLine.objects.create(document=receipt, line_number=1, item=item, quantity=Decimal(10),
                                        price=Decimal("130.00"), amount=Decimal("1300.00"))
        for _ in range(repeat):
            started = time.perf_counter()
            document_post(document=receipt)
            timings[kind].append(round(time.perf_counter() - started, 3))
            document_unpost(document=receipt)
        if kind == "late":
            document_post(document=receipt)
            rows = StockMovement.objects.filter(item=item, date__gt=when).count()
    in_order, late = statistics.median(timings["in_order"]), statistics.median(timings["late"])
    return RecostFigures(movements, rows, timings["in_order"], timings["late"], in_order, late,
                         round(late / in_order, 1))
