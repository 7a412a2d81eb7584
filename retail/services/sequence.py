"""Late documents re-post what depends on them: 1C's «восстановление последовательности», done by itself.

Some movements read the balance at their moment: a count's correction is counted − book quantity at the
count's moment, an outgoing row's cost is the average at its moment. When a document is posted, re-posted
or unposted with a moment earlier than such movements of the same positions (an offline register uploads
its shift after the evening's count, a receipt is entered a week late), those are re-posted in the
ledger's order, in the same transaction: later counts of the positions get their book quantity again,
then every later row of the positions, and whatever took its cost from them, is re-costed.
"""
from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType

from retail.models import StockCount
from retail.services.costing import cost_dependents, cost_restore
from retail.services.ledger import Key, LedgerChange, document_stock_rows, movements_replace

REASON = "Восстановление последовательности: изменился остаток на дату пересчета"


def _counts_after(document, keys: set[Key], since: datetime) -> list[StockCount]:
    """Posted counts at or after `since` with a line of one of the positions, in the ledger's order."""
    warehouses = {key[0] for key in keys}
    items = {key[1] for key in keys}
    counts = (StockCount.objects.filter(posted=True, warehouse_id__in=warehouses, date__gte=since,
                                        lines__item_id__in=items).distinct().order_by("date", "pk"))
    if isinstance(document, StockCount):
        counts = counts.exclude(pk=document.pk)
    found = []
    for count in counts:
        lines = {(count.warehouse_id, item_id, ch_id) for item_id, ch_id in
                 count.lines.values_list("item_id", "characteristic_id")}
        if lines & keys:
            found.append(count)
    return found


def _count_repost(count: StockCount, starts: dict[Key, datetime]) -> None:
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    before = list(count.lines.order_by("pk").values_list("book_quantity", flat=True))
    count.prepare_posting()
    change = movements_replace(count, document_stock_rows(count), forbid_negative=False)
    for key in change.keys:
        starts[key] = min(starts.get(key, count.date), count.date)
    if list(count.lines.order_by("pk").values_list("book_quantity", flat=True)) != before:
        # The count's history says why its correction changed though nobody opened it.
        count._change_reason = REASON
        count.save(update_fields=["updated_at"])


def sequence_restore(*, document, change: LedgerChange) -> None:
    """After the document's movements changed: later counts of its positions, then costs, then what takes
    its cost from the document (a return of its sale, the receiving side of its transfer)."""
    starts: dict[Key, datetime] = {key: change.since for key in change.keys if change.since is not None}
    if starts:
        for count in _counts_after(document, set(starts), min(starts.values())):
            _count_repost(count, starts)
    own = (ContentType.objects.get_for_model(document).pk, document.pk)
    for key, when, _source in cost_dependents({own}):
        starts[key] = min(starts.get(key, when), when)
    if starts:
        cost_restore(starts=starts)
