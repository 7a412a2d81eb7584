"""Returns from another shift as their own document (issue 24, item 5): «Отчет о розничных возвратах», linked to
the shift it was made in and to the sale's shift and report; stock back on the return's date; the sale day's
report and revenue unchanged; the reports show the return on the day it happened; re-sends replace it."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from django.urls import reverse

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import get_format
from offline_exchange.services.checks import checks_purge
from offline_exchange.services.sales import SUCCESS, post_docs
from retail.models import (
    CashWithdrawal,
    Check,
    GoodsReceipt,
    GoodsReceiptLine,
    MoneyMovement,
    OpeningBalance,
    OpeningBalanceLine,
    RetailReturnsReport,
    RetailSalesReport,
    SalesReportGoodsLine,
    StockMovement,
)
from retail.services import reports
from retail.services.margin import gross_profit
from retail.services.numbering import document_number_assign
from retail.services.posting import document_post, stock_book_quantity
from retail.services.reasons import UNKNOWN_CODES, reason_text
from tests import factories as f

pytestmark = pytest.mark.django_db

MONDAY, WEDNESDAY = dt.date(2026, 2, 2), dt.date(2026, 2, 4)
SOLD = uuid.UUID("5a1e0000-0000-4000-8000-00000000a001")
RETURNED = uuid.UUID("5a1e0000-0000-4000-8000-00000000b002")
CODE = "0104600266011725215Abc123493dGVz"


def line(code, quantity, price, stamps=()):
    quantity, price = D(quantity), D(price)
    return CheckLineDoc(line=0, code=code, quantity=quantity, price=price, amount=quantity * price, tax_rate="20",
                        payment_method=4, excise_stamps=list(stamps))


def paid(cash="0", card="0"):
    return PaymentDoc(cash=D(cash), electronic=D(card), prepayment=D(0), postpayment=D(0), barter=D(0),
                      option_code="1" if D(card) else "")


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute))


def monday():
    """Sold on Monday: water 2×50 for cash, a marked pack of cigarettes 180 by card."""
    return SaleReportDoc(line=0, shift_number="1", opened_at=at(MONDAY, 9), closed_at=at(MONDAY, 21), shift_state=1,
                         uuid=uuid.UUID("5a1e0000-0000-4000-8000-0000000000d1"), checks=[
        CheckDoc(line=0, date=at(MONDAY, 12), number="7", taxation_system=0, operation_type=1, uuid=SOLD,
                 lines=[line("3", 2, "50.00"), line("4", 1, "180.00", [CODE])],
                 payments=[paid(cash="100.00"), paid(card="180.00")])])


def wednesday(*, with_return=True):
    """Wednesday: a sale of one water for cash, and (at 15:30) Monday's cigarettes brought back, refunded to the card."""
    checks = [CheckDoc(line=0, date=at(WEDNESDAY, 10), number="1", taxation_system=0, operation_type=1,
                       uuid=uuid.uuid4(), lines=[line("3", 1, "50.00")], payments=[paid(cash="50.00")])]
    if with_return:
        checks.append(CheckDoc(line=0, date=at(WEDNESDAY, 15, 30), number="2", taxation_system=0, operation_type=2,
                               uuid=RETURNED, ref_uuid=SOLD, ref_type="Check",
                               lines=[line("4", 1, "180.00", [CODE])], payments=[paid(card="180.00")]))
    return SaleReportDoc(line=0, shift_number="3", opened_at=at(WEDNESDAY, 9), closed_at=at(WEDNESDAY, 21),
                         shift_state=1, uuid=uuid.UUID("5a1e0000-0000-4000-8000-0000000000d3"), checks=checks)


def upload(shop, *shifts):
    result = post_docs(device=shop.device, doc_type="SaleReports",
                       document=build_sale_reports(list(shifts), get_format(3001)))
    assert (result.success, result.description) == (True, SUCCESS)
    return result.reports


def snapshot(report):
    report = RetailSalesReport.objects.get(pk=report.pk)
    lines = list(SalesReportGoodsLine.objects.filter(report=report).order_by("line_number")
                 .values_list("item_id", "quantity", "amount"))
    return (report.number, report.date, report.total, report.returns_total, report.cash_total, report.posted, lines)


def test_a_return_from_another_shift_is_its_own_document(sample_shop):
    [sale_report] = upload(sample_shop, monday())
    before = snapshot(sale_report)
    warehouse, cigarettes = sample_shop.warehouse.pk, sample_shop.cigarettes.pk
    [shift_report] = upload(sample_shop, wednesday())

    # The sale day's report is as it was.
    assert snapshot(sale_report) == before
    # Wednesday's report holds Wednesday's sale only: the return is not netted into it.
    shift_report.refresh_from_db()
    assert (shift_report.total, shift_report.returns_total, shift_report.cash_total) == (D("50.00"), D(0), D("50.00"))
    assert not shift_report.salesreportcardpayment_set.exists()

    document = RetailReturnsReport.objects.get()
    assert (document.shift_report, document.sale_report) == (shift_report, sale_report)
    assert (document.check_uuid, document.check_number, document.sale_check_uuid, document.sale_check_number) == (
        RETURNED, "2", SOLD, "7")
    assert (document.date, document.sale_date) == (at(WEDNESDAY, 15, 30), at(MONDAY, 12))
    assert (document.number, document.posted, document.total, document.vat_total) == ("ОБ-000001", True,
                                                                                   D("180.00"), D("30.00"))
    assert (document.cash_total, document.electronic_total) == (D(0), D("180.00"))
    assert [(p.payment_kind, p.amount) for p in document.payments.all()] == [(sample_shop.card, D("180.00"))]
    assert [(ln.item, ln.quantity, ln.amount) for ln in document.lines.all()] == [
        (sample_shop.cigarettes, D("1.000"), D("180.00"))]
    # The return check itself is kept with the shift it was made in, and names its document.
    returned = Check.objects.get(uuid=RETURNED)
    assert returned.report == shift_report and returned.returns_report == document

    # Stock: sold on Monday, back on Wednesday at 15:30, not before.
    moves = StockMovement.objects.filter(item_id=cigarettes, warehouse_id=warehouse).order_by("date")
    assert [(m.date, m.quantity) for m in moves] == [(at(MONDAY, 21), D(-1)), (at(WEDNESDAY, 15, 30), D(1))]
    assert stock_book_quantity(warehouse_id=warehouse, item_id=cigarettes, characteristic_id=None,
                               at=at(WEDNESDAY, 15, 29)) == D(-1)
    assert stock_book_quantity(warehouse_id=warehouse, item_id=cigarettes, characteristic_id=None) == D(0)


def test_the_reports_show_the_return_on_the_day_it_happened(sample_shop):
    upload(sample_shop, monday(), wednesday())
    days = {day.day: day for day in reports.sales_by_day(date_from=MONDAY, date_to=WEDNESDAY)}
    assert (days[MONDAY].revenue, days[MONDAY].returns) == (D("280.00"), D(0))  # Monday's revenue unchanged
    assert (days[WEDNESDAY].revenue, days[WEDNESDAY].returns, days[WEDNESDAY].sales, days[WEDNESDAY].quantities) == (
        D("-130.00"), D("180.00"), D("50.00"), {"Количество, шт": D("0.000")})  # one water out, one pack in
    shifts = {row[1]: dict(zip([c.label for c in reports.cash_shifts(date_from=MONDAY, date_to=WEDNESDAY).columns],
                               row))
              for row in reports.cash_shifts(date_from=MONDAY, date_to=WEDNESDAY).rows}
    assert (shifts["1"]["Продажи"], shifts["1"]["Возвраты"], shifts["1"]["Выручка"], shifts["1"]["Платежные карты"]) == (
        D("280.00"), D(0), D("280.00"), D("180.00"))
    # Wednesday's drawer and terminal: 50 in cash, 180 given back to the card.
    assert (shifts["3"]["Продажи"], shifts["3"]["Возвраты"], shifts["3"]["Выручка"], shifts["3"]["Наличные"],
            shifts["3"]["Платежные карты"]) == (D("50.00"), D("180.00"), D("-130.00"), D("50.00"), D("-180.00"))
    # «Продажи» shows the same day's figures: sold 50, back 180, revenue their difference.
    sales = reports.sales(date_from=MONDAY, date_to=WEDNESDAY)
    [wednesday_row] = [row for row in sales.rows if row[0] == WEDNESDAY]
    assert [wednesday_row[sales.column(label)] for label in ("Количество, шт", "Продажи", "Возвраты", "Выручка")] == [
        D("0.000"), D("50.00"), D("180.00"), D("-130.00")]
    by_day = {row[0]: row for row in reports.checks_report(date_from=MONDAY, date_to=WEDNESDAY, grouping="day").rows}
    assert (by_day[WEDNESDAY][1], by_day[WEDNESDAY][2], by_day[WEDNESDAY][6]) == (1, 1, D("180.00"))


def test_re_sending_the_shift_replaces_the_document_and_a_withdrawn_return_goes(sample_shop):
    upload(sample_shop, monday())
    upload(sample_shop, wednesday())
    first = RetailReturnsReport.objects.get()
    upload(sample_shop, wednesday())
    again = RetailReturnsReport.objects.get()
    assert (again.pk, again.number) == (first.pk, first.number)
    cigarettes = sample_shop.cigarettes
    assert StockMovement.objects.filter(item=cigarettes, quantity__gt=0).count() == 1  # back once, not twice
    upload(sample_shop, wednesday(with_return=False))
    assert not RetailReturnsReport.objects.exists()
    assert not StockMovement.objects.filter(item=cigarettes, quantity__gt=0).exists()


def test_a_return_that_arrives_before_its_sale_is_linked_when_the_sale_comes(sample_shop):
    [shift_report] = upload(sample_shop, wednesday())
    document = RetailReturnsReport.objects.get()
    assert document.sale_report is None and document.sale_check_uuid == SOLD and document.posted
    [sale_report] = upload(sample_shop, monday())
    document.refresh_from_db()
    assert document.sale_report == sale_report and document.shift_report == shift_report


def test_a_return_of_an_unknown_code_waits_unposted_with_the_reason(sample_shop):
    doc = wednesday()
    doc.checks[1].lines[0].code = "99999"
    upload(sample_shop, doc)
    document = RetailReturnsReport.objects.get()
    # The reason is data, as the sales report's; its Russian is written in one place.
    [reason] = document.not_posted_reasons
    assert not document.posted and reason["code"] == UNKNOWN_CODES and reason["codes"][0]["code"] == "99999"
    assert "«99999»" in reason_text(reason)
    assert not StockMovement.objects.filter(quantity__gt=0).exists()


def test_the_returns_pages_in_the_users_stores(sample_shop, admin_client):
    [sale_report] = upload(sample_shop, monday())
    [shift_report] = upload(sample_shop, wednesday())
    document = RetailReturnsReport.objects.get()
    page_url = reverse("admin:retail_retailreturnsreport_change", args=[document.pk])
    page = admin_client.get(page_url).content.decode()
    for report in (sale_report, shift_report):
        assert reverse("admin:retail_retailsalesreport_change", args=[report.pk]) in page
    assert reverse("admin:retail_check_change", args=[Check.objects.get(uuid=SOLD).pk]) in page
    assert 'name="_save"' not in page and "180,00" in page
    # Both shifts' report pages name the document.
    for report in (sale_report, shift_report):
        report_page = admin_client.get(reverse("admin:retail_retailsalesreport_change", args=[report.pk])).content
        assert page_url in report_page.decode()
    listing = reverse("admin:retail_retailreturnsreport_changelist")
    assert document.number in admin_client.get(listing).content.decode()
    manager = f.staff_client("manager", "view_retailreturnsreport", store=sample_shop.store)
    assert document.number in manager.get(listing).content.decode() and manager.get(page_url).status_code == 200
    stranger = f.staff_client("stranger", "view_retailreturnsreport", store=f.StoreFactory())
    assert document.number not in stranger.get(listing).content.decode()
    assert stranger.get(page_url).status_code == 302
    assert f.staff_client("nobody").get(listing).status_code == 403


# --- Booked once: the cost and the cash of a returns document (issue 25's ledger) ----------------------

def _costed(shop):
    """Cigarettes in stock before Monday at 100.00 a pack; a receipt on Tuesday at 130.00 moves the average."""
    for model, line_model, when, price in ((OpeningBalance, OpeningBalanceLine, at(MONDAY, 8), "100.00"),
                                           (GoodsReceipt, GoodsReceiptLine, at(MONDAY + dt.timedelta(days=1), 12),
                                            "130.00")):
        doc = model(date=when, organization=shop.org, warehouse=shop.warehouse)
        document_number_assign(document=doc)
        doc.save()
        line_model.objects.create(document=doc, line_number=1, item=shop.cigarettes, quantity=D(10), price=D(price),
                                  **({"amount": D(price) * 10, "vat_rate": "none"} if model is GoodsReceipt else {}))
        document_post(document=doc)


def _returned_cost(document):
    [row] = StockMovement.objects.filter(document_id=document.pk, quantity__gt=0,
                                         document_type__model="retailreturnsreport")
    return row.cost


def test_a_return_comes_back_at_its_sales_cost_and_its_cash_leaves_the_register_once(sample_shop):
    _costed(sample_shop)
    sample_shop.store.cash_withdrawal_after_upload = True
    sample_shop.store.save()
    upload(sample_shop, monday())
    doc = wednesday()
    doc.checks[1].payments = [paid(cash="180.00")]  # Monday's card sale refunded in cash on Wednesday
    [shift_report] = upload(sample_shop, doc)
    document = RetailReturnsReport.objects.get()
    # At the 100.00 Monday's shift took the pack out at, not at Wednesday's average (115.79).
    assert _returned_cost(document) == D("100.000000")
    # The cash paid back is the document's row of the register's cash, and only its: the shift's report
    # books Wednesday's sale alone, and its withdrawal takes what was left in the drawer.
    shift_report.refresh_from_db()
    assert (shift_report.cash_total, shift_report.cash_returns_total) == (D("50.00"), D(0))
    assert list(MoneyMovement.objects.filter(document_id=document.pk, document_type__model="retailreturnsreport")
                .values_list("kind", "amount", "cash_register")) == [
        (MoneyMovement.Kind.RETURN, D("-180.00"), sample_shop.register.pk)]
    returns = MoneyMovement.objects.filter(kind=MoneyMovement.Kind.RETURN)
    assert sum(returns.values_list("amount", flat=True)) == D("-180.00")
    # 50.00 in, 180.00 out: nothing to take to the store's desk; Monday's 100.00 was taken.
    assert not CashWithdrawal.objects.filter(sales_report=shift_report, posted=True).exists()
    # Sent again: still one row of each.
    upload(sample_shop, doc)
    assert returns.count() == 1 and StockMovement.objects.filter(
        item=sample_shop.cigarettes, quantity__gt=0, document_type__model="retailreturnsreport").count() == 1
    # «Валовая прибыль» takes the return's revenue and cost back on Wednesday: 150.00 without VAT, 100.00.
    profit = gross_profit(date_from=WEDNESDAY, date_to=WEDNESDAY, by="item", period="total")
    rows = {row[0]: row[1:3] for row in profit.rows}
    assert rows[sample_shop.cigarettes.name] == [D("-150.00"), D("-100.00")]


def test_the_withdrawal_takes_the_shifts_cash_less_its_returns_documents(sample_shop):
    sample_shop.store.cash_withdrawal_after_upload = True
    sample_shop.store.save()
    upload(sample_shop, monday())
    doc = wednesday()
    doc.checks[0].lines, doc.checks[0].payments = [line("3", 6, "50.00")], [paid(cash="300.00")]
    doc.checks[1].payments = [paid(cash="180.00")]
    [shift_report] = upload(sample_shop, doc)
    withdrawal = CashWithdrawal.objects.get(sales_report=shift_report)
    assert (withdrawal.posted, withdrawal.amount) == (True, D("120.00"))
    # The register ends the week empty: every cash row of it, the report's, the return's, the withdrawals'.
    register_rows = MoneyMovement.objects.filter(cash_register=sample_shop.register)
    assert sum(register_rows.values_list("amount", flat=True)) == D(0)


def test_a_return_booked_before_its_sale_takes_the_sales_cost_when_the_sale_comes(sample_shop):
    _costed(sample_shop)
    upload(sample_shop, wednesday())
    document = RetailReturnsReport.objects.get()
    # The sale is not known yet: back at Wednesday's average of the 20 packs (100.00 and 130.00).
    assert document.sale_report is None and _returned_cost(document) == D("115.000000")
    [sale_report] = upload(sample_shop, monday())
    document.refresh_from_db()
    assert document.sale_report == sale_report and document.posted
    assert _returned_cost(document) == D("100.000000")


def test_a_return_finds_its_sale_after_the_sales_kept_checks_were_purged(sample_shop):
    # The shift's sale check UUIDs are written in bulk (retail.services.costing.rows_insert, as the field stores
    # them): once the retention dropped the kept checks, they alone lead a later return to its sale's report.
    [sale_report] = upload(sample_shop, monday())
    assert list(sale_report.sale_checks.values_list("uuid", flat=True)) == [SOLD]
    assert checks_purge(before=dt.datetime(2100, 1, 1)) == 1 and not Check.objects.filter(uuid=SOLD).exists()
    upload(sample_shop, wednesday())
    document = RetailReturnsReport.objects.get()
    assert document.sale_check_uuid == SOLD and document.sale_report == sale_report
