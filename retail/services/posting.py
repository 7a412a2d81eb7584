"""One posting service for every document: movements that name the document, totals kept beside them.

Posting replaces the document's stock and cash movements (re-posting never doubles), unposting deletes
them, and `retail.StockBalance` is changed by exactly the difference in the same transaction
(`retail.services.ledger`, `retail.services.money`). Then what depends on the balance at a later moment is
brought up to date (`retail.services.sequence`): later counts of the same goods and the cost of goods.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum

from retail.models import (
    AccountingSettings,
    CashWithdrawal,
    GoodsReceipt,
    Price,
    PriceDocumentRow,
    PriceSetting,
    RetailSalesReport,
    StockBalance,
    StockMovement,
)
from retail.services.ledger import (
    Key,
    LedgerChange,
    PostingError,
    StockRow,
    document_stock_rows,
    movements_replace,
)
from retail.services.money import document_money_rows, money_replace
from retail.services.sequence import sequence_restore

__all__ = ["Key", "PostingError", "PostingResult", "StockRow", "document_stock_rows", "document_post",
           "document_unpost", "document_delete", "sales_report_post",
           "stock_book_quantity"]
from retail.services.reasons import NO_WAREHOUSE, NOT_SAVED


@dataclass
class PostingResult:
    changed_item_ids: list[int]
    balances: dict[Key, Decimal]


def _result(change: LedgerChange) -> PostingResult:
    return PostingResult(change.changed_item_ids, change.balances)


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
    change = movements_replace(document, document_stock_rows(document), forbid_negative=forbid)
    money_replace(document, document_money_rows(document))
    if isinstance(document, PRICED_DOCUMENTS):
        prices_remove(document=document)
        price_type_id, rows = _price_rows(document)
        if price_type_id:
            prices_write(document=document, price_type_id=price_type_id, date=document.date.date(), rows=rows)
    sequence_restore(document=document, change=change)
    if not document.posted:
        document.posted = True
        _save_flag(document, user, reason)
    return _result(change)


@transaction.atomic
def document_unpost(*, document, user=None, reason: str = "Отмена проведения") -> PostingResult:
    """Remove everything the document wrote; it stays, unposted."""
    _locked(document)
    change = movements_replace(document, [], forbid_negative=False)
    money_replace(document, [])
    if isinstance(document, PRICED_DOCUMENTS):
        prices_remove(document=document)
    sequence_restore(document=document, change=change)
    if isinstance(document, RetailSalesReport):
        # The shift's cash is not in the register any more than its sales are: its withdrawal goes too.
        for withdrawal in CashWithdrawal.objects.filter(sales_report=document, posted=True):
            document_unpost(document=withdrawal, user=user, reason=reason)
    if document.posted:
        document.posted = False
        _save_flag(document, user, reason)
    return _result(change)


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
    total = StockMovement.objects.filter(warehouse_id=warehouse_id, item_id=item_id,
                                         characteristic_id=characteristic_id, date__lte=at
                                         ).aggregate(s=Sum("quantity"))["s"]
    return total or Decimal(0)
