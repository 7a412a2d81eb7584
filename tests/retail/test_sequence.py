"""Late documents re-post what depends on them: a count's correction is counted − book quantity at its moment,
whatever is posted later with an earlier moment (issue 23, the first scenario)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from retail.models import RetailSalesReport, StockCount, StockCountLine
from retail.services.posting import document_post, document_unpost
from tests.retail.test_cost import balance, cost_of, document, receipt, sale_check, sell, shop  # noqa: F401

pytestmark = pytest.mark.django_db
EVENING = dt.datetime(2024, 11, 30, 22, 0)


def count(shop, when, counted):
    return document(StockCount, shop, when, [{"item": shop.tea, "counted_quantity": D(counted)}], StockCountLine,
                    warehouse=shop.main)


def test_a_shift_uploaded_after_the_count_it_precedes_is_not_counted_twice(shop):
    receipt(shop, EVENING.replace(hour=8), 13, "100.00")
    # Two were sold at 21:05, the register has not uploaded yet: the shelf holds 11.
    evening = count(shop, EVENING, 11)
    line = evening.lines.get()
    assert (line.book_quantity, line.difference) == (D(13), D(-2)) and balance(shop)[0] == D(11)
    sell(shop, EVENING.replace(hour=21, minute=5), [sale_check(1, 2)])
    line.refresh_from_db()
    assert (line.book_quantity, line.difference) == (D(11), D(0))
    assert balance(shop) == (D(11), D("1100.00"))
    assert cost_of(evening) == 0 and cost_of(RetailSalesReport.objects.get()) == D("-200.00")
    assert "Восстановление последовательности" in evening.history.latest().history_change_reason


def test_a_late_receipt_before_a_count_leaves_what_was_counted(shop):
    receipt(shop, EVENING.replace(hour=8), 10, "100.00")
    evening = count(shop, EVENING, 10)
    assert cost_of(evening) == 0
    late = receipt(shop, EVENING.replace(hour=12), 5, "130.00")
    line = evening.lines.get()
    assert (line.book_quantity, line.difference) == (D(15), D(-5))
    assert balance(shop) == (D(10), D("1100.00"))  # 1 650,00 − 5 × 110,00
    document_unpost(document=late)
    line.refresh_from_db()
    assert (line.book_quantity, line.difference) == (D(10), D(0)) and balance(shop) == (D(10), D("1000.00"))


def test_later_counts_follow_one_another_in_date_order(shop):
    receipt(shop, EVENING.replace(hour=8), 10, "100.00")
    first = count(shop, EVENING, 9)
    second = count(shop, EVENING + dt.timedelta(days=1), 7)
    assert [c.lines.get().book_quantity for c in (first, second)] == [D(10), D(9)]
    receipt(shop, EVENING.replace(hour=9), 4, "100.00")
    assert [StockCount.objects.get(pk=c.pk).lines.get().book_quantity for c in (first, second)] == [D(14), D(9)]
    assert balance(shop)[0] == D(7)
    # Re-posting the first count by hand changes nothing after it.
    document_post(document=first)
    assert second.lines.get().book_quantity == D(9) and balance(shop)[0] == D(7)
