"""Cost of goods by the moving average: every movement carries its cost, current after every posting."""
import datetime as dt
from decimal import Decimal as D
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from retail.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    OpeningBalance,
    OpeningBalanceLine,
    RetailReturnsReport,
    RetailSalesReport,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    WriteOff,
    WriteOffLine,
)
from retail.services.costing import cost_restore_all
from retail.services.numbering import document_number_assign
from retail.services.posting import PostingError, document_post, document_unpost
from tests import factories as f
from tests.offline_exchange.test_sales_import import check, line, pay, shift, upload, xml

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2024, 6, 3, 9, 0)


@pytest.fixture
def shop():
    org = f.OrganizationFactory(name="ООО «Счет»", number_prefix="СЧ", taxation_systems=[0])
    store = f.StoreFactory(name="Магазин у дома")
    main = f.WarehouseFactory(store=store, name="Склад")
    hall = f.WarehouseFactory(store=store, name="Торговый зал")
    device = f.OfflineDeviceFactory(organization=org, rule=f.ExchangeRuleFactory(warehouse=main))
    register = f.CashRegisterFactory(organization=org, store=store, device=device)
    tea = f.ItemFactory(name="Чай", vat_rate="none")
    f.SkuCodeFactory(number=101, item=tea)
    return SimpleNamespace(org=org, store=store, main=main, hall=hall, device=device, register=register, tea=tea)


def document(model, shop, when, lines, line_model, **fields):
    doc = model(date=when, organization=shop.org, **fields)
    document_number_assign(document=doc)
    doc.save()
    for n, values in enumerate(lines, 1):
        line_model.objects.create(document=doc, line_number=n, **values)
    document_post(document=doc)
    return doc


def receipt(shop, when, quantity, price, item=None, warehouse=None, vat_rate=""):
    quantity, price = D(quantity), D(price)
    return document(GoodsReceipt, shop, when, [{"item": item or shop.tea, "quantity": quantity, "price": price,
                                                "amount": quantity * price, "vat_rate": vat_rate}],
                    GoodsReceiptLine, warehouse=warehouse or shop.main)


def write_off(shop, when, quantity, warehouse=None):
    return document(WriteOff, shop, when, [{"item": shop.tea, "quantity": D(quantity)}], WriteOffLine,
                    warehouse=warehouse or shop.main, reason="Порча")


def transfer(shop, when, quantity):
    return document(StockTransfer, shop, when, [{"item": shop.tea, "quantity": D(quantity)}], StockTransferLine,
                    warehouse=shop.main, to_warehouse=shop.hall)


def within(doc, opened_at, closed_at):
    """The shift open from `opened_at` to `closed_at`, its checks made in it a minute apart (as a register
    makes them): a return of another shift's check is booked at its check's time."""
    doc.opened_at, doc.closed_at = opened_at, closed_at
    for n, made in enumerate(doc.checks, 1):
        made.date = opened_at + dt.timedelta(minutes=n)
    return doc


def sell(shop, when, checks, number="1"):
    doc = within(shift(checks, number=number), when - dt.timedelta(hours=1), when)
    assert upload(shop.device, xml(doc)).success
    return doc


def sale_check(n, quantity, price="200.00", op=1, **kw):
    amount = str(D(quantity) * D(price))
    return check(n, [line("101", quantity, price, tax="none")], [pay(cash=amount)], op=op, **kw)


def rows_of(doc):
    return list(StockMovement.objects.filter(document_type=ContentType.objects.get_for_model(doc),
                                             document_id=doc.pk).order_by("quantity", "line_number"))


def cost_of(doc):
    return sum((row.cost for row in rows_of(doc)), D(0))


def returns_of(shift_number):
    """The «Отчет о розничных возвратах» of the returns of other shifts' checks made in this shift: the shift's
    own report moves none of their goods."""
    document = RetailReturnsReport.objects.get(shift_report__shift_number=shift_number)
    assert document.posted, document.not_posted_reasons
    assert rows_of(RetailSalesReport.objects.get(shift_number=shift_number)) == []
    return document


def balance(shop, warehouse=None):
    row = StockBalance.objects.get(warehouse=warehouse or shop.main, item=shop.tea, characteristic=None)
    return row.quantity, row.cost


def test_two_receipts_then_a_sale_of_15_at_the_average(shop):
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    sent = sell(shop, DAY + dt.timedelta(hours=5), [sale_check(1, 15)])
    report = RetailSalesReport.objects.get()
    assert cost_of(report) == D("-1725.00")  # 15 × 115,00
    [out] = rows_of(report)
    assert (out.balance_quantity, out.balance_cost, out.average_cost) == (D(5), D("575.00"), D("115.00"))
    assert balance(shop) == (D(5), D("575.00"))
    # Re-sent, the shift moves its cost once.
    assert upload(shop.device, xml(sent)).success
    assert cost_of(RetailSalesReport.objects.get()) == D("-1725.00") and balance(shop) == (D(5), D("575.00"))


def test_receipt_of_a_vat_payer_comes_in_without_vat(shop):
    vat_item = f.ItemFactory(name="Кофе", vat_rate="20")
    doc = receipt(shop, DAY, 10, "120.00", item=vat_item, vat_rate="20")
    assert cost_of(doc) == D("1000.00")  # 1 200,00 with 200,00 VAT in it
    shop.org.taxation_systems = [1]  # УСН: the VAT is part of the cost
    shop.org.save()
    document_post(document=doc)
    assert cost_of(doc) == D("1200.00")


def test_a_receipt_line_without_a_price_is_refused_and_changes_nothing(shop):
    doc = GoodsReceipt.objects.create(date=DAY, organization=shop.org, warehouse=shop.main)
    GoodsReceiptLine.objects.create(document=doc, line_number=1, item=shop.tea, quantity=D(5))
    with pytest.raises(PostingError, match="не указана цена закупки: строка 1 «Чай»"):
        document_post(document=doc)
    doc.refresh_from_db()
    assert not doc.posted and not StockMovement.objects.exists() and not StockBalance.objects.exists()
    opening = OpeningBalance.objects.create(date=DAY, organization=shop.org, warehouse=shop.main)
    OpeningBalanceLine.objects.create(document=opening, line_number=1, item=shop.tea, quantity=D(5))
    with pytest.raises(PostingError, match="не указана себестоимость: строка 1 «Чай»"):
        document_post(document=opening)


def test_opening_balance_comes_in_at_its_cost(shop):
    opening = document(OpeningBalance, shop, DAY, [{"item": shop.tea, "quantity": D(4), "price": D("90.50")}],
                       OpeningBalanceLine, warehouse=shop.main)
    assert cost_of(opening) == D("362.00") and balance(shop) == (D(4), D("362.00"))


def test_a_transfer_carries_the_cost_that_left_the_sender(shop):
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    moved = transfer(shop, DAY + dt.timedelta(hours=2), 4)
    out, into = rows_of(moved)
    assert (out.warehouse, out.cost, into.warehouse, into.cost) == (shop.main, D("-460.00"), shop.hall, D("460.00"))
    assert into.cost_kind == StockMovement.CostKind.SOURCE
    assert balance(shop) == (D(16), D("1840.00")) and balance(shop, shop.hall) == (D(4), D("460.00"))
    # A late receipt before the transfer changes what left the sender, and so what came in.
    receipt(shop, DAY - dt.timedelta(days=1), 20, "70.00")
    out, into = rows_of(moved)
    assert (out.cost, into.cost) == (D("-370.00"), D("370.00"))  # (1 400 + 1 000 + 1 300) / 40 = 92,50
    assert balance(shop, shop.hall) == (D(4), D("370.00"))
    # Unposting the transfer takes the cost back out of the receiving warehouse.
    document_unpost(document=moved)
    assert balance(shop, shop.hall) == (D(0), D(0)) and balance(shop) == (D(40), D("3700.00"))


def test_a_return_of_an_earlier_sale_comes_back_at_that_sales_cost(shop):
    receipt(shop, DAY, 10, "100.00")
    first = sale_check(1, 2)
    sell(shop, DAY + dt.timedelta(hours=10), [first])  # 2 × 100,00
    receipt(shop, DAY + dt.timedelta(days=1), 10, "160.00")  # 8 × 100 + 10 × 160 = 2 400 / 18
    back = sale_check(1, 1, op=2, ref_uuid=first.uuid, ref_type="Check")
    sell(shop, DAY + dt.timedelta(days=2), [back], number="2")
    returned = returns_of("2")
    assert returned.sale_report == RetailSalesReport.objects.get(shift_number="1")
    [row] = rows_of(returned)
    assert (row.quantity, row.cost, row.cost_kind) == (D(1), D("100.00"), StockMovement.CostKind.SOURCE)
    assert balance(shop) == (D(19), D("2500.00"))
    # A return whose sale is unknown comes back at the current average.
    stranger = sale_check(2, 1, op=2, ref_uuid=first.uuid.__class__(int=7), ref_type="Check")
    sell(shop, DAY + dt.timedelta(days=3), [stranger], number="3")
    unknown = returns_of("3")
    assert unknown.sale_report is None
    [row] = rows_of(unknown)
    assert row.cost == (D("2500.00") / 19).quantize(D("0.000001"))


def test_a_return_follows_its_sale_when_the_sale_is_re_costed(shop):
    receipt(shop, DAY, 10, "100.00")
    first = sale_check(1, 2)
    sell(shop, DAY + dt.timedelta(hours=10), [first])
    sell(shop, DAY + dt.timedelta(days=2), [sale_check(1, 1, op=2, ref_uuid=first.uuid, ref_type="Check")],
         number="2")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")  # late, before the sale: the sale costs 115,00
    sale = RetailSalesReport.objects.get(shift_number="1")
    assert cost_of(sale) == D("-230.00")
    returned = returns_of("2")
    assert returned.sale_report == sale
    [row] = rows_of(returned)
    assert (row.quantity, row.cost, row.cost_kind) == (D(1), D("115.00"), StockMovement.CostKind.SOURCE)
    assert balance(shop) == (D(19), D("2185.00"))


def test_a_late_receipt_dated_before_a_sale_re_costs_the_sale(shop):
    receipt(shop, DAY, 10, "100.00")
    sell(shop, DAY + dt.timedelta(days=2), [sale_check(1, 5)])
    report = RetailSalesReport.objects.get()
    assert cost_of(report) == D("-500.00")
    late = receipt(shop, DAY + dt.timedelta(days=1), 10, "130.00")
    assert cost_of(report) == D("-575.00")  # 5 × 115,00
    assert balance(shop) == (D(15), D("1725.00"))
    document_unpost(document=late)
    assert cost_of(report) == D("-500.00") and balance(shop) == (D(5), D("500.00"))


def test_write_off_and_count_shortage_go_out_at_the_average_and_a_surplus_comes_in_at_it(shop):
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    spoiled = write_off(shop, DAY + dt.timedelta(hours=2), 2)
    assert cost_of(spoiled) == D("-230.00")
    count = document(StockCount, shop, DAY + dt.timedelta(hours=3), [{"item": shop.tea, "counted_quantity": D(15)}],
                     StockCountLine, warehouse=shop.main)
    assert count.lines.get().book_quantity == D(18) and cost_of(count) == D("-345.00")
    found = document(StockCount, shop, DAY + dt.timedelta(hours=4), [{"item": shop.tea, "counted_quantity": D(16)}],
                     StockCountLine, warehouse=shop.main)
    assert cost_of(found) == D("115.00") and balance(shop) == (D(16), D("1840.00"))


def test_negative_stock_goes_out_at_the_last_known_average_and_is_flagged(shop):
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    sell(shop, DAY + dt.timedelta(hours=5), [sale_check(1, 22)])
    [out] = rows_of(RetailSalesReport.objects.get())
    assert (out.cost, out.cost_negative, out.balance_quantity) == (D("-2530.00"), True, D(-2))
    sell(shop, DAY + dt.timedelta(hours=6), [sale_check(1, 1)], number="2")
    [out] = rows_of(RetailSalesReport.objects.get(shift_number="2"))
    assert (out.cost, out.cost_negative) == (D("-115.00"), True)
    receipt(shop, DAY + dt.timedelta(hours=7), 10, "120.00")
    assert balance(shop) == (D(7), D("855.00"))  # −345,00 + 1 200,00
    # A receipt dated before the sales takes the flag away.
    receipt(shop, DAY + dt.timedelta(hours=2), 5, "115.00")
    assert not StockMovement.objects.filter(cost_negative=True).exists()


def test_costs_keep_six_places_and_a_sold_out_position_keeps_no_crumbs(shop):
    doc = receipt(shop, DAY, 3, "33.33")
    doc.lines.update(amount=D("100.00"))  # the supplier's sum, not price × quantity
    document_post(document=doc)
    first = write_off(shop, DAY + dt.timedelta(hours=1), 1)
    assert cost_of(first) == D("-33.333333")
    write_off(shop, DAY + dt.timedelta(hours=2), 2)
    assert balance(shop) == (D(0), D(0))


def test_restoring_the_whole_ledger_changes_nothing_that_is_current(shop):
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    transfer(shop, DAY + dt.timedelta(hours=2), 4)
    sell(shop, DAY + dt.timedelta(hours=5), [sale_check(1, 7)])
    before = list(StockMovement.objects.order_by("pk").values_list("cost", "balance_quantity", "balance_cost"))
    StockMovement.objects.update(balance_cost=0, balance_quantity=0, average_cost=0)
    StockMovement.objects.exclude(cost_kind=StockMovement.CostKind.FIXED).update(cost=0)
    out = StringIO()
    call_command("cost_restore", stdout=out)
    assert list(StockMovement.objects.order_by("pk").values_list("cost", "balance_quantity", "balance_cost")) == before
    assert f"изменено движений {len(before)}" in out.getvalue()
    assert cost_restore_all() == 0  # a current ledger: nothing to change


def test_a_return_uploaded_before_the_shift_of_its_sale_takes_that_sales_cost_when_it_comes(shop):
    receipt(shop, DAY, 10, "100.00")
    first = sale_check(1, 2)
    early = within(shift([first], number="1"), DAY + dt.timedelta(hours=9), DAY + dt.timedelta(hours=10))
    receipt(shop, DAY + dt.timedelta(hours=12), 10, "160.00")
    # The day-2 shift with the return arrives first: its sale is unknown, it comes back at the average.
    sell(shop, DAY + dt.timedelta(days=1), [sale_check(1, 1, op=2, ref_uuid=first.uuid, ref_type="Check")],
         number="2")
    returned = returns_of("2")
    assert returned.sale_report is None
    assert cost_of(returned) == D("130.00")  # (1 000 + 1 600) / 20: the sale is not known yet
    assert upload(shop.device, xml(early)).success  # the day-1 shift, uploaded late
    returned = returns_of("2")
    assert returned.sale_report == RetailSalesReport.objects.get(shift_number="1")
    [row] = rows_of(returned)
    assert (row.quantity, row.cost, row.cost_kind) == (D(1), D("100.00"), StockMovement.CostKind.SOURCE)
    assert balance(shop) == (D(19), D("2500.00"))
