"""One posting service for every document: movements that name the document, totals kept beside them.

Posting replaces the document's movements (re-posting never doubles), unposting deletes them, and
`retail.StockBalance` is changed by exactly the difference in the same transaction. Totals rows are
created and locked in one order (warehouse, item, characteristic), so two documents touching the
same goods on PostgreSQL wait for each other instead of deadlocking or losing an update.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from retail.models import (
    AccountingSettings,
    GoodsReceipt,
    Item,
    Price,
    PriceDocumentRow,
    PriceSetting,
    RetailSalesReport,
    StockBalance,
    StockMovement,
)
from retail.services.reasons import NO_WAREHOUSE, NOT_SAVED, not_enough_stock_reason, reason_text

Key = tuple[int, int, int | None]  # warehouse, item, characteristic


class PostingError(Exception):
    """The document cannot be posted: `reason` says why as data, the message is its Russian (what the
    store admin reads)."""

    def __init__(self, reason: dict):
        super().__init__(reason_text(reason))
        self.reason = reason


@dataclass
class PostingResult:
    changed_item_ids: list[int]
    balances: dict[Key, Decimal]


def document_stock_rows(document) -> list[tuple[int, int, int | None, Decimal]]:
    """The signed stock rows the document writes when posted (services move nothing)."""
    if isinstance(document, RetailSalesReport):
        lines = document.salesreportgoodsline_set.filter(item__isnull=False).exclude(item__kind=Item.Kind.SERVICE)
        # A sale is an expense of the warehouse; a net return (negative quantity) comes back.
        # (report_id too: the related manager checks each line's report, a query a line when deferred)
        return [(document.warehouse_id, line.item_id, line.characteristic_id, -line.quantity)
                for line in lines.only("report_id", "item_id", "characteristic_id", "quantity")]
    return document.stock_rows()


def _by_key(rows) -> dict[Key, Decimal]:
    totals: dict[Key, Decimal] = defaultdict(Decimal)
    for warehouse_id, item_id, ch_id, quantity in rows:
        totals[(warehouse_id, item_id, ch_id)] += Decimal(quantity)
    return totals


def _sort_key(key: Key):
    warehouse_id, item_id, ch_id = key
    return warehouse_id, item_id, ch_id is not None, ch_id or 0


def _key_filter(keys: list[Key]) -> Q:
    query = Q()
    for warehouse_id, item_id, ch_id in keys:
        query |= Q(warehouse_id=warehouse_id, item_id=item_id, characteristic_id=ch_id)
    return query


def _totals_apply(delta: dict[Key, Decimal], *, forbid_negative: bool, names=None) -> dict[Key, Decimal]:
    """Add `delta` to the totals rows; returns the new balances of the touched keys."""
    keys = sorted((k for k, v in delta.items() if v), key=_sort_key)
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
        for row in (StockBalance.objects.select_for_update().filter(_key_filter(chunk))
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


def _movements_replace(document, rows, *, forbid_negative: bool) -> PostingResult:
    content_type = ContentType.objects.get_for_model(document)
    current = StockMovement.objects.filter(document_type=content_type, document_id=document.pk)
    old = _by_key(current.values_list("warehouse_id", "item_id", "characteristic_id", "quantity"))
    new = _by_key(rows)
    delta = {key: new.get(key, Decimal(0)) - old.get(key, Decimal(0)) for key in set(old) | set(new)}
    balances = _totals_apply(delta, forbid_negative=forbid_negative)
    current.delete()
    StockMovement.objects.bulk_create([
        StockMovement(date=document.date, warehouse_id=w, item_id=i, characteristic_id=c, quantity=q,
                      document_type=content_type, document_id=document.pk, line_number=n)
        for n, ((w, i, c), q) in enumerate(sorted(new.items(), key=lambda kv: _sort_key(kv[0])), 1) if q
    ], batch_size=1000)
    # The devices learn of the new balances from the change feed (its trigger on StockBalance).
    changed = sorted({key[1] for key, value in delta.items() if value})
    return PostingResult(changed, balances)


def _locked(document):
    return type(document).objects.select_for_update().get(pk=document.pk)


@transaction.atomic
def document_post(*, document, user=None, reason: str = "Проведение") -> PostingResult:
    """Post (or re-post) a document: its movements are replaced by what it says now.

    Raises PostingError, changing nothing, when the stock control setting refuses it."""
    if document.pk is None:
        raise PostingError({"code": NOT_SAVED})
    _locked(document)
    forbid = AccountingSettings.load().forbid_negative_stock
    if getattr(document, "warehouse_id", True) is None:
        raise PostingError({"code": NO_WAREHOUSE})
    if hasattr(document, "prepare_posting"):
        document.prepare_posting()
    result = _movements_replace(document, document_stock_rows(document), forbid_negative=forbid)
    if isinstance(document, PRICED_DOCUMENTS):
        prices_remove(document=document)
        price_type_id, rows = _price_rows(document)
        if price_type_id:
            prices_write(document=document, price_type_id=price_type_id, date=document.date.date(), rows=rows)
    if not document.posted:
        document.posted = True
        _save_flag(document, user, reason)
    return result


@transaction.atomic
def document_unpost(*, document, user=None, reason: str = "Отмена проведения") -> PostingResult:
    """Remove everything the document wrote; it stays, unposted."""
    _locked(document)
    result = _movements_replace(document, [], forbid_negative=False)
    if isinstance(document, PRICED_DOCUMENTS):
        prices_remove(document=document)
    if document.posted:
        document.posted = False
        _save_flag(document, user, reason)
    return result


@transaction.atomic
def document_delete(*, document, user=None) -> None:
    """Delete a document with everything it wrote (its movements name it, they cannot outlive it)."""
    document_unpost(document=document, user=user, reason="Удаление")
    document._history_user = user if getattr(user, "pk", None) else None
    document.delete()


def _save_flag(document, user, reason: str) -> None:
    document._history_user = user if getattr(user, "pk", None) else None
    document._change_reason = reason
    document.save(update_fields=["posted", "updated_at"] if hasattr(document, "updated_at") else ["posted"])


def sales_report_post(*, report: RetailSalesReport, user=None) -> dict | None:
    """Post a Retail Sales Report that passed its checks; None, or the reason it stays unposted.

    Run inside the import's transaction: a refused posting leaves the report unposted and its
    earlier movements (a previous upload's) removed, so the stock never shows a shift twice or
    a shift that is no longer posted."""
    try:
        with transaction.atomic():
            document_post(document=report, user=user, reason="Проведение отчета при загрузке смены")
    except PostingError as exc:
        document_unpost(document=report, user=user)
        return exc.reason
    return None


# --- Prices written by documents -----------------------------------------------------------

# Documents that write dated prices beside their movements (1C's «Цены номенклатуры» register).
PRICED_DOCUMENTS = (PriceSetting, GoodsReceipt)


def _price_rows(document) -> tuple[int | None, list]:
    """The price type and (item, characteristic, price) rows a document sets: «Установка цен» its lines,
    «Поступление товаров» its lines' retail prices when it names a retail price type."""
    if isinstance(document, PriceSetting):
        return document.price_type_id, [(line.item_id, line.characteristic_id, line.price)
                                        for line in document.lines.all()]
    if document.retail_price_type_id:
        return document.retail_price_type_id, [(line.item_id, line.characteristic_id, line.retail_price)
                                               for line in document.lines.all() if line.retail_price is not None]
    return None, []


def prices_write(*, document, price_type_id: int, date, rows) -> list[int]:
    """Dated prices of a posted document; a price of the same position, type and date is replaced."""
    content_type = ContentType.objects.get_for_model(document)
    item_ids = set()
    for item_id, ch_id, value in rows:
        Price.objects.filter(price_type_id=price_type_id, item_id=item_id, characteristic_id=ch_id,
                             date=date).delete()
        price = Price.objects.create(price_type_id=price_type_id, item_id=item_id, characteristic_id=ch_id,
                                     date=date, value=value)
        PriceDocumentRow.objects.create(price=price, document_type=content_type, document_id=document.pk)
        item_ids.add(item_id)
    return sorted(item_ids)


def prices_remove(*, document) -> None:
    content_type = ContentType.objects.get_for_model(document)
    owned = PriceDocumentRow.objects.filter(document_type=content_type, document_id=document.pk)
    Price.objects.filter(document_row__in=owned).delete()


# --- Reads --------------------------------------------------------------------------------

def stock_book_quantity(*, warehouse_id: int, item_id: int, characteristic_id: int | None, at=None) -> Decimal:
    """The ledger's balance of one position: now (the totals row) or at a moment (sum of movements)."""
    if at is None:
        row = StockBalance.objects.filter(warehouse_id=warehouse_id, item_id=item_id,
                                          characteristic_id=characteristic_id).first()
        return row.quantity if row else Decimal(0)
    from django.db.models import Sum
    total = StockMovement.objects.filter(warehouse_id=warehouse_id, item_id=item_id,
                                         characteristic_id=characteristic_id, date__lte=at
                                         ).aggregate(s=Sum("quantity"))["s"]
    return total or Decimal(0)
