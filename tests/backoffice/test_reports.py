"""The store reports: figures equal the documents they come from; the stock statement reconciles."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from openpyxl import load_workbook

from backoffice.demo import demo_base_create, demo_history_create
from common.ru import datetime_text, money_text, quantity_text
from retail.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    RetailSalesReport,
    StockBalance,
    StockCount,
    StockCountLine,
    StockTransfer,
    StockTransferLine,
    Warehouse,
    WriteOff,
    WriteOffLine,
)
from retail.services import reports
from retail.services.numbering import document_number_assign
from retail.services.posting import document_post, document_unpost
from tests.offline_exchange.test_sales_import import check, line, pay, shift, upload, xml
from tests.retail.test_posting import sku

TODAY = dt.date(2024, 6, 10)


def test_russian_formats():
    assert money_text(D("1306.84")) == "1\xa0306,84" and money_text(D("-5")) == "-5,00"
    assert quantity_text(D("1.254")) == "1,254" and quantity_text(D("12000")) == "12\xa0000"
    assert datetime_text(dt.datetime(2020, 7, 13, 16, 31, 53)) == "13.07.2020 16:31:53"


def _statement_rows(report):
    return {row[1]: row[3:] for row in report.rows}


def test_stock_statement_equals_the_week_of_documents(demo):
    history = demo_history_create(today=TODAY)
    week = reports.stock_statement(date_from=TODAY - dt.timedelta(days=7), date_to=TODAY,
                                   warehouse=demo["warehouse"])
    rows = _statement_rows(week)
    ball = rows["Мяч резиновый 15 см"]
    net = sum((line.quantity for r in history["reports"] for line in r.salesreportgoodsline_set.all()
               if line.item.article == "МР-15"), D(0))
    returned = sum((line.quantity for r in history["reports"] for line in r.salesreportreturnedline_set.all()
                    if line.item.article == "МР-15"), D(0))
    received = history["receipt"].lines.get(item__article="МР-15").quantity
    # opening = the seed's 10; in = the receipt and the returns (rows of their own, as issue 23 asks);
    # out = what was sold (the report's net plus its returns) and the write-off.
    assert ball == [D(10), received + returned, net + returned + 1, D(10) + received - net - 1]
    assert ball[3] == StockBalance.objects.get(item__article="МР-15", warehouse=demo["warehouse"]).quantity
    cubes = rows["Кубики деревянные 12 шт"]
    assert cubes[0] + cubes[1] - cubes[2] == cubes[3]
    assert history["count"].lines.get(item__article="КД-12").difference == -1
    # Before the week: nothing moved in the period, so the seed's balance opens and closes it.
    before = _statement_rows(reports.stock_statement(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 2, 2)))
    assert before["Мяч резиновый 15 см"] == [D(10), D(0), D(0), D(10)]


def test_stock_on_date_is_the_ledger_at_that_moment(demo):
    demo_history_create(today=TODAY)
    at_start = reports.stock_on_date(at=dt.datetime(2024, 2, 1), warehouse=demo["warehouse"])
    assert {row[1]: row[3] for row in at_start.rows}["Мяч резиновый 15 см"] == D(10)
    # Kilograms and pieces are totalled apart, never in one sum.
    assert [total[0] for total in [at_start.totals, *at_start.more_totals]] == ["Итого, кг", "Итого, шт"]
    kilograms = sum((row[3] for row in at_start.rows if row[2] == "кг"), D(0))
    assert at_start.totals[3] == kilograms == D("48")
    now = reports.stock_on_date(at=dt.datetime.combine(TODAY, dt.time.max))
    for name, _unit, _x, quantity in [(r[1], r[2], None, r[3]) for r in now.rows]:
        if "," not in name:
            assert quantity == StockBalance.objects.get(item__name=name).quantity


def test_sales_and_shifts_equal_the_posted_reports(demo):
    history = demo_history_create(today=TODAY)
    posted = RetailSalesReport.objects.filter(posted=True)
    period = {"date_from": TODAY - dt.timedelta(days=7), "date_to": TODAY}
    sales = reports.sales(**period)
    revenue, returns, sold = sales.column("Выручка"), sales.column("Возвраты"), sales.column("Продажи")
    assert sales.totals[revenue] == sum((r.total for r in posted), D(0))
    assert sales.totals[returns] == sum((r.returns_total for r in posted), D(0))
    assert sales.totals[sold] == sales.totals[revenue] + sales.totals[returns]
    by_day = {row[0]: row[revenue] for row in sales.rows}
    for report in history["reports"]:
        assert by_day[report.date.date()] == report.total
    # Quantities per unit: the weighed apples apart from the pieces.
    assert [c.label for c in sales.columns if c.kind == "qty"] == ["Количество, кг", "Количество, шт"]
    assert sales.chart.startswith("<svg") and sales.chart.count('class="bar-revenue"') == len(sales.rows)
    assert 'class="legend legend-revenue"' in sales.chart and ">Выручка</text>" in sales.chart
    assert ">Возвраты</text>" in sales.chart and 'class="axis-y"' in sales.chart and ">руб.</text>" in sales.chart
    assert "<script" not in sales.chart and "http" not in sales.chart.replace("http://www.w3.org/2000/svg", "")
    one = reports.sales(**period, item=Item.objects.get(article="МР-15"))
    assert one.totals[one.column("Количество, шт")] == sum((m.quantity for r in history["reports"]
                                                             for m in r.salesreportgoodsline_set.filter(
                                                                 item__article="МР-15")), D(0))
    shifts = reports.cash_shifts(**period)
    assert len(shifts.rows) == len(history["reports"])
    for row, report in zip(shifts.rows, sorted(history["reports"], key=lambda r: r.date)):
        cards = sum((p.amount for p in report.salesreportcardpayment_set.all()), D(0))
        sold = report.checks.filter(operation=1)
        assert row[4:7] == [report.number, sold.count(), report.checks.filter(operation=2).count()]
        assert row[9:] == [report.total + report.returns_total, report.returns_total, report.total,
                           report.cash_total, cards, D(0), D(0), D("2000.00"), D("1500.00")]
    # One word per meaning: the same shift's «Выручка» in both reports, «Продажи» gross in both.
    by_day = {row[0]: row for row in sales.rows}
    for report in history["reports"]:
        day = by_day[report.date.date()]
        assert day[sales.column("Продажи")] == report.total + report.returns_total
        assert day[sales.column("Выручка")] == report.total


def test_an_unposted_report_is_not_in_the_sales(demo):
    doc = shift([check(1, [line(sku("МР-15"), 2, "145.00")], [pay(cash="290.00")])], closed=False)
    upload(demo["device"], xml(doc))
    empty = reports.sales(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 1))
    assert empty.totals[empty.column("Выручка")] == 0


@pytest.mark.parametrize("slug", ["stock-statement", "stock-on-date", "sales", "cash-shifts", "checks"])
def test_report_pages_and_xlsx(demo, admin_client, slug):
    demo_history_create()
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse(f"report-{slug}") in index
    page = admin_client.get(reverse(f"report-{slug}"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-table"' in html and "<script src=" not in html.split('id="content-main"')[1]
    export = admin_client.get(reverse(f"report-{slug}") + "?" + page.context["xlsx_query"])
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet["A1"].value == page.context["report"].title
    assert sheet.max_row >= len(page.context["report"].rows) + 2


def test_sales_page_draws_its_chart_and_speaks_russian(demo, admin_client):
    demo_history_create()
    html = admin_client.get(reverse("report-sales")).content.decode()
    assert "<svg" in html and "Выручка" in html
    bad = admin_client.get(reverse("report-sales"), {"date_from": "10.06.2024", "date_to": "01.06.2024"})
    assert "Начало периода позже его конца." in bad.content.decode()


def test_reports_need_the_right_to_see_their_data(client, demo):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("report-sales")).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_retailsalesreport"))
    assert client.get(reverse("report-sales")).status_code == 200
    assert client.get(reverse("report-stock-statement")).status_code == 403


# --- Generated data: the statement reconciles for every item -----------------------------------

class TestStatementReconciles(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.demo = demo_base_create()

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(["receipt", "write_off", "count", "transfer", "shift"]),
                              st.integers(0, 20), st.integers(1, 9), st.sampled_from(["МР-15", "КД-12", "79052"]),
                              st.booleans()), min_size=1, max_size=8))
    def test_opening_plus_in_minus_out_is_closing(self, operations):
        main = self.demo["warehouse"]
        shop = Warehouse.objects.get(name='Отдел магазина "Детские товары"')
        for n, (kind, day, quantity, article, unpost) in enumerate(operations):
            when = dt.datetime(2024, 6, 1) + dt.timedelta(days=day, minutes=n)
            item = Item.objects.get(article=article)
            if kind == "shift":
                doc = shift([check(1, [line(sku(article), quantity, "100.00")], [pay(cash=str(quantity * 100))])],
                            number=str(n))
                doc.opened_at, doc.closed_at = when, when + dt.timedelta(hours=1)
                upload(self.demo["device"], xml(doc))
                continue
            model, line_model, values, extra = {
                "receipt": (GoodsReceipt, GoodsReceiptLine, {"quantity": quantity, "price": D("80.00")}, {}),
                "write_off": (WriteOff, WriteOffLine, {"quantity": quantity}, {"reason": "Брак"}),
                "count": (StockCount, StockCountLine, {"counted_quantity": quantity}, {}),
                "transfer": (StockTransfer, StockTransferLine, {"quantity": quantity}, {"to_warehouse": shop}),
            }[kind]
            document = model(date=when, organization=self.demo["organization"], warehouse=main, **extra)
            document_number_assign(document=document)
            document.save()
            line_model.objects.create(document=document, item=item, **values)
            document_post(document=document)
            if unpost:
                document_unpost(document=document)
        start, end = dt.date(2024, 6, 5), dt.date(2024, 6, 15)
        for warehouse in (main, shop):
            statement = reports.stock_statement(date_from=start, date_to=end, warehouse=warehouse)
            for name, (opening, income, expense, closing) in _statement_rows(statement).items():
                self.assertEqual(opening + income - expense, closing, name)
            everything = reports.stock_statement(date_from=dt.date(2000, 1, 1), date_to=dt.date(2100, 1, 1),
                                                 warehouse=warehouse)
            closing = {name: values[3] for name, values in _statement_rows(everything).items()}
            for row in StockBalance.objects.filter(warehouse=warehouse).select_related("item", "characteristic"):
                name = row.item.name + (f", {row.characteristic.name}" if row.characteristic_id else "")
                self.assertEqual(closing.get(name, D(0)), row.quantity, name)
