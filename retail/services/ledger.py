"""The stock ledger's writer: the movements a posted document owns, how each is valued, the totals beside them.

A document's movements are replaced whole (re-posting never doubles) and `retail.StockBalance` is changed
by exactly the difference. Totals rows are created and locked in one order (warehouse, item,
characteristic), so two documents touching the same goods on PostgreSQL wait for each other instead of
deadlocking or losing an update. Costs are not computed here: rows valued at the average get them from
`retail.services.costing`, which the posting service runs after every change (through the sequence).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from common.costing import to_cost
from common.money import to_money, vat_included
from retail.models import (
    GoodsReceipt,
    Item,
    OpeningBalance,
    RetailReturnsReport,
    RetailSalesReport,
    SalesReportReturnSource,
    StockBalance,
    StockCount,
    StockMovement,
    StockTransfer,
    VatRate,
)
from retail.services.reasons import not_enough_stock_reason, reason_text, unpriced_lines_reason

Key = tuple[int, int, int | None]  # warehouse, item, characteristic


class PostingError(Exception):
    """The document cannot be posted: `reason` says why as data (retail.services.reasons), the message is its
    Russian (what the store admin reads)."""

    def __init__(self, reason: dict):
        super().__init__(reason_text(reason))
        self.reason = reason


@dataclass(frozen=True)
class StockRow:
    """One movement a document writes: signed quantity in base units and how it is valued."""

    warehouse_id: int
    item_id: int
    characteristic_id: int | None
    quantity: Decimal
    cost: Decimal | None = None  # the cost the document itself brings (a receipt's sum); None: valued by the ledger
    source: tuple[int, int] | None = None  # (content type, id) of the document whose outgoing cost it takes

    @property
    def key(self) -> Key:
        return self.warehouse_id, self.item_id, self.characteristic_id


@dataclass
class LedgerChange:
    changed_item_ids: list[int]
    balances: dict[Key, Decimal]
    keys: set[Key] = field(default_factory=set)  # every position the document had or has rows of
    since: datetime | None = None  # the earliest moment of those rows, old or new


def _goods(lines):
    return [line for line in lines if line.item.kind == Item.Kind.GOODS]


def _receipt_cost(document: GoodsReceipt, line) -> Decimal | None:
    """The purchase sum of the line without the VAT of its rate when the organization keeps VAT apart;
    None when the line has no price."""
    amount = line.amount or to_money(line.price * line.quantity)
    if amount <= 0:
        return None
    rate = VatRate.percent(line.vat_rate)
    if rate and document.organization_id and document.organization.keeps_vat_apart:
        amount -= vat_included(amount, rate)
    return amount


def _priced_rows(document, cost_of, missing: str) -> list[StockRow]:
    rows, unpriced = [], []
    for line in _goods(document.lines.select_related("item")):
        cost = cost_of(line)
        if cost is None:
            unpriced.append((line.line_number, line.item))
            continue
        rows.append(StockRow(document.warehouse_id, line.item_id, line.characteristic_id, line.quantity, cost))
    if unpriced:
        raise PostingError(unpriced_lines_reason(missing=missing, lines=unpriced))
    return rows


def _report_rows(report: RetailSalesReport) -> list[StockRow]:
    """Sales go out, returns come back as rows of their own (the report's goods are the net of both, as in
    1C): a return whose check names a sale of an earlier report at that sale's cost, the rest at the average."""
    sold: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    returned: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    goods = Q(item__isnull=False) & ~Q(item__kind=Item.Kind.SERVICE)
    for item_id, ch_id, quantity in report.salesreportgoodsline_set.filter(goods).values_list(
            "item_id", "characteristic_id", "quantity"):
        sold[(item_id, ch_id)] += quantity
    for item_id, ch_id, quantity in report.salesreportreturnedline_set.filter(goods).values_list(
            "item_id", "characteristic_id", "quantity"):
        returned[(item_id, ch_id)] += quantity
        sold[(item_id, ch_id)] += quantity
    sources: dict[tuple[int, int | None], list[tuple[int, Decimal]]] = defaultdict(list)
    for item_id, ch_id, sale_id, quantity in SalesReportReturnSource.objects.filter(
            report=report, sale_report__isnull=False).order_by("pk").values_list(
            "item_id", "characteristic_id", "sale_report_id", "quantity"):
        sources[(item_id, ch_id)].append((sale_id, quantity))
    report_type = ContentType.objects.get_for_model(RetailSalesReport).pk
    warehouse = report.warehouse_id
    rows = []
    for (item_id, ch_id), quantity in sold.items():
        if quantity:
            rows.append(StockRow(warehouse, item_id, ch_id, -quantity))
    for (item_id, ch_id), quantity in returned.items():
        left = quantity
        for sale_id, linked in sources.get((item_id, ch_id), []):
            part = min(linked, left)
            if part > 0:
                rows.append(StockRow(warehouse, item_id, ch_id, part, source=(report_type, sale_id)))
                left -= part
        if left > 0:
            rows.append(StockRow(warehouse, item_id, ch_id, left))
    return rows


def _returns_rows(document: RetailReturnsReport) -> list[StockRow]:
    """«Отчет о розничных возвратах»: the goods come back on the return's date as receipts of their own, at the
    cost the sale's shift took them out at when the upload named it (the document is linked and re-posted when
    that shift comes later), else at the average. The sale's report is never touched: it sold them."""
    goods = Q(item__isnull=False) & ~Q(item__kind=Item.Kind.SERVICE)
    back: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for item_id, ch_id, quantity in document.lines.filter(goods).values_list("item_id", "characteristic_id",
                                                                             "quantity"):
        back[(item_id, ch_id)] += quantity
    source = ((ContentType.objects.get_for_model(RetailSalesReport).pk, document.sale_report_id)
              if document.sale_report_id else None)
    return [StockRow(document.warehouse_id, item_id, ch_id, quantity, source=source)
            for (item_id, ch_id), quantity in back.items() if quantity]


def document_stock_rows(document) -> list[StockRow]:
    """The movements the document writes when posted (services move nothing).

    Raises PostingError for a receipt or opening balance line without a price: such goods would come in at
    no cost and every later sale of them would show a profit that is not there."""
    if isinstance(document, RetailSalesReport):
        return _report_rows(document)
    if isinstance(document, RetailReturnsReport):
        return _returns_rows(document)
    if isinstance(document, GoodsReceipt):
        return _priced_rows(document, lambda line: _receipt_cost(document, line), "не указана цена закупки")
    if isinstance(document, OpeningBalance):
        return _priced_rows(document, lambda line: to_cost(line.quantity * line.price) if line.price > 0 else None,
                            "не указана себестоимость")
    if isinstance(document, StockTransfer):
        own = (ContentType.objects.get_for_model(StockTransfer).pk, document.pk)
        rows = []
        for line in _goods(document.lines.select_related("item")):
            rows.append(StockRow(document.warehouse_id, line.item_id, line.characteristic_id, -line.quantity))
            rows.append(StockRow(document.to_warehouse_id, line.item_id, line.characteristic_id, line.quantity,
                                 source=own))
        return rows
    return [StockRow(*row) for row in document.stock_rows()]


def _by_key(rows) -> dict[Key, Decimal]:
    totals: dict[Key, Decimal] = defaultdict(Decimal)
    for warehouse_id, item_id, ch_id, quantity in rows:
        totals[(warehouse_id, item_id, ch_id)] += Decimal(quantity)
    return totals


def sort_key(key: Key):
    warehouse_id, item_id, ch_id = key
    return warehouse_id, item_id, ch_id is not None, ch_id or 0


def key_filter(keys, model) -> Q:
    """Rows of `model` (stock balances or movements) of these positions: the OR of one condition a position,
    as the ORM writes it, written here directly: Django builds each of its lookups through the query's
    machinery (a posting's 500 positions spent 0.3 s in building the queries that read and lock them)."""
    keys = list(keys)
    if not keys:
        return Q(pk__in=[])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    warehouse, item, characteristic = (f"{table}.{quote(model._meta.get_field(name).column)}"
                                       for name in ("warehouse", "item", "characteristic"))
    parts, params = [], []
    for warehouse_id, item_id, ch_id in keys:
        if ch_id is None:
            parts.append(f"({warehouse} = %s AND {item} = %s AND {characteristic} IS NULL)")
            params += [warehouse_id, item_id]
        else:
            parts.append(f"({warehouse} = %s AND {item} = %s AND {characteristic} = %s)")
            params += [warehouse_id, item_id, ch_id]
    return Q(RawSQL(f"({' OR '.join(parts)})", params, output_field=BooleanField()))


def _totals_apply(delta: dict[Key, Decimal], *, forbid_negative: bool) -> dict[Key, Decimal]:
    """Add `delta` to the totals rows; returns the new balances of the touched keys."""
    keys = sorted((k for k, v in delta.items() if v), key=sort_key)
    if not keys:
        return {}
    # Missing rows first (an insert that meets a concurrent one waits for it, then does nothing) ...
    StockBalance.objects.bulk_create(
        [StockBalance(warehouse_id=w, item_id=i, characteristic_id=c, quantity=0) for w, i, c in keys],
        ignore_conflicts=True,
    )
    rows: dict[Key, StockBalance] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start:start + 200]
        # ... then every row is locked, in the same order by every poster.
        for row in (StockBalance.objects.select_for_update().filter(key_filter(chunk, StockBalance))
                    .order_by("warehouse_id", "item_id", "characteristic_id")):
            rows[(row.warehouse_id, row.item_id, row.characteristic_id)] = row
    negative = []
    for key in keys:
        row = rows[key]
        row.quantity = row.quantity + delta[key]
        if forbid_negative and delta[key] < 0 and row.quantity < 0:
            negative.append((key, row.quantity))
    if negative:
        items = dict(Item.objects.filter(pk__in={k[1] for k, _q in negative}).values_list("pk", "name"))
        raise PostingError(not_enough_stock_reason([(items.get(key[1], key[1]), -quantity)
                                                    for key, quantity in negative]))
    StockBalance.objects.bulk_update([rows[k] for k in keys], ["quantity"], batch_size=500)
    return {k: rows[k].quantity for k in keys}


def _merged(rows: list[StockRow]) -> list[StockRow]:
    """Rows of one position and one valuation summed: one outgoing row per position, one incoming row per
    position and source (a receipt's two lines of one item are one movement, as before)."""
    merged: dict[tuple, list] = {}
    for row in rows:
        if not row.quantity:
            continue
        slot = (row.key, row.quantity > 0, row.source, row.cost is not None)
        found = merged.get(slot)
        if found is None:
            merged[slot] = [row.quantity, row.cost]
        else:
            found[0] += row.quantity
            if row.cost is not None:
                found[1] += row.cost
    result = [StockRow(*slot[0], quantity, cost, slot[2]) for slot, (quantity, cost) in merged.items() if quantity]
    # Outgoing before incoming rows of a position: the ledger's order within one document.
    return sorted(result, key=lambda r: (sort_key(r.key), r.quantity > 0, r.source or (0, 0)))


def movements_replace(document, rows: list[StockRow], *, forbid_negative: bool) -> LedgerChange:
    """The document's movements become `rows`; totals follow. Costs of valued rows are left to the ledger."""
    content_type = ContentType.objects.get_for_model(document)
    current = StockMovement.objects.filter(document_type=content_type, document_id=document.pk)
    old_rows = list(current.values_list("warehouse_id", "item_id", "characteristic_id", "quantity", "date"))
    old = _by_key(row[:4] for row in old_rows)
    new_rows = _merged(rows)
    new = _by_key((r.warehouse_id, r.item_id, r.characteristic_id, r.quantity) for r in new_rows)
    delta = {key: new.get(key, Decimal(0)) - old.get(key, Decimal(0)) for key in set(old) | set(new)}
    balances = _totals_apply(delta, forbid_negative=forbid_negative)
    current.delete()
    rank = 1 if isinstance(document, StockCount) else 0
    StockMovement.objects.bulk_create([
        StockMovement(date=document.date, warehouse_id=r.warehouse_id, item_id=r.item_id,
                      characteristic_id=r.characteristic_id, quantity=r.quantity, document_type=content_type,
                      document_id=document.pk, line_number=n, sequence_rank=rank,
                      cost=r.cost if r.cost is not None else 0,
                      cost_kind=(StockMovement.CostKind.FIXED if r.cost is not None else
                                 StockMovement.CostKind.SOURCE if r.source else StockMovement.CostKind.AVERAGE),
                      source_type_id=r.source[0] if r.source else None, source_id=r.source[1] if r.source else None)
        for n, r in enumerate(new_rows, 1)
    ], batch_size=1000)
    dates = [row[4] for row in old_rows] + ([document.date] if new_rows else [])
    # The devices learn of the new balances from the change feed (its trigger on StockBalance).
    changed = sorted({key[1] for key, value in delta.items() if value})
    return LedgerChange(changed, balances, set(old) | set(new), min(dates) if dates else None)
