"""«Валовая прибыль», «Денежные средства» and the cost beside the item, the price-setting document and the sales
report: the figures, the chart, Excel, and who sees them (the cost right, the store scope)."""
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from retail.models import PriceSetting, PriceSettingLine, PriceType, RetailSalesReport
from retail.services.margin import gross_profit
from retail.services.numbering import document_number_assign
from retail.services.posting import document_post
from tests import factories as f
from tests.offline_exchange.test_cash import a_day, goods_and_card  # noqa: F401
from tests.offline_exchange.test_sales_import import check, line, pay, upload, xml
from tests.retail.test_cost import DAY, receipt, sale_check, sell, shop  # noqa: F401

pytestmark = pytest.mark.django_db
PERIOD = {"date_from": "01.06.2024", "date_to": "30.06.2024"}
VIEWS = ["view_retailsalesreport", "view_item", "view_pricesetting", "view_moneymovement", "view_stockbalance"]


@pytest.fixture
def sold(shop):
    """Tea: 10 at 100,00 and 10 at 130,00, 15 sold at 200,00 without VAT. Coffee (VAT 20%, the organization
    keeps VAT apart): 10 at 120,00 with VAT, 2 sold at 180,00 with VAT."""
    coffee = f.ItemFactory(name="Кофе", vat_rate="20")
    f.SkuCodeFactory(number=102, item=coffee)
    receipt(shop, DAY, 10, "100.00")
    receipt(shop, DAY + dt.timedelta(hours=1), 10, "130.00")
    receipt(shop, DAY, 10, "120.00", item=coffee, vat_rate="20")
    sell(shop, DAY + dt.timedelta(hours=5), [sale_check(1, 15),
                                             check(2, [line("102", 2, "180.00", tax="20")], [pay(cash="360.00")])])
    shop.coffee = coffee
    return shop


def test_gross_profit_by_item_and_by_store(sold):
    report = gross_profit(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 30), by="item", period="day")
    assert report.rows == [
        ["03.06.2024", "Кофе", D("300.00"), D("200.00"), D("100.00"), D("33.33")],
        ["03.06.2024", "Чай", D("3000.00"), D("1725.00"), D("1275.00"), D("42.50")]]
    assert report.totals == ["Итого", "", D("3300.00"), D("1925.00"), D("1375.00"), D("41.67")]
    by_store = gross_profit(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 30), by="store", period="month")
    assert by_store.rows == [["Июнь 2024", "Магазин у дома", D("3300.00"), D("1925.00"), D("1375.00"), D("41.67")]]
    # The chart names its three series and reads its axis in rubles.
    assert all(name in report.chart for name in ("Выручка без НДС", "Себестоимость", "Валовая прибыль"))
    labels = re.findall(r'class="axis-label"[^>]*>([^<]+)</text>', report.chart)
    assert labels == ["0 руб.", "1\xa0000 руб.", "2\xa0000 руб.", "3\xa0000 руб.", "4\xa0000 руб."]
    assert report.chart.count('class="bar-profit"') == 1


def test_negative_stock_is_a_warning_of_the_report(sold):
    sell(sold, DAY + dt.timedelta(hours=6), [sale_check(1, 10)], number="2")
    report = gross_profit(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 30))
    assert report.warnings and "отрицательном остатке" in report.warnings[0] and "«Чай»" in report.warnings[0]


def test_the_cost_right_decides_who_sees_cost_anywhere(sold):
    store = sold.store
    manager = f.staff_client("manager", *VIEWS, store=store)
    accountant = f.staff_client("accountant", *VIEWS, "view_cost", store=store)
    report = RetailSalesReport.objects.get()
    prices = PriceSetting(date=DAY, organization=sold.org, price_type=PriceType.objects.get())
    document_number_assign(document=prices)
    prices.save()
    PriceSettingLine.objects.create(document=prices, line_number=1, item=sold.tea, price=D("230.00"))
    document_post(document=prices)  # the tea's retail price from 03.06.2024
    pages = {
        "report": reverse("admin:retail_retailsalesreport_change", args=[report.pk]),
        "item": reverse("admin:retail_item_change", args=[sold.tea.pk]),
        "prices": reverse("admin:retail_pricesetting_change", args=[prices.pk]),
    }
    profit = reverse("report-gross-profit")
    assert manager.get(profit, PERIOD).status_code == 403
    assert manager.get(profit, {**PERIOD, "format": "xlsx"}).status_code == 403
    assert "Валовая прибыль" not in manager.get("/admin/").content.decode()
    for name, url in pages.items():
        html = manager.get(url).content.decode()
        assert "Себестоимость" not in html and "1\xa0725,00" not in html and "115,00" not in html, name
    seen = {name: accountant.get(url).content.decode() for name, url in pages.items()}
    assert re.search(r"<td>Склад</td><td class=\"num\">5</td><td class=\"num\">575,00</td><td class=\"num\">115,00"
                     r"</td><td class=\"num\">230,00</td><td class=\"num\">50,00 %</td>", seen["item"]), seen["item"]
    assert re.search(r"<td>Чай</td><td class=\"num\">15</td><td class=\"num\">3\xa0000,00</td>"
                     r"<td class=\"num\">1\xa0725,00</td><td class=\"num\">1\xa0275,00</td>"
                     r"<td class=\"num\">42,50 %</td>", seen["report"]), seen["report"]
    assert re.search(r"<td>Чай</td><td class=\"num\">230,00</td><td class=\"num\">115,00</td>"
                     r"<td class=\"num\">50,00 %</td>", seen["prices"]), seen["prices"]
    assert "Валовая прибыль" in accountant.get("/admin/").content.decode()
    book = load_workbook(io.BytesIO(accountant.get(profit, {**PERIOD, "format": "xlsx"}).content))
    values = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert ["03.06.2024", "Чай", 3000, 1725, 1275, 42.5] in values


def test_a_store_manager_sees_the_profit_and_cash_of_the_store_only(sold):
    other = f.StoreFactory(name="Магазин «Другой»")
    warehouse = f.WarehouseFactory(store=other, name="Склад другого")
    device = f.OfflineDeviceFactory(organization=sold.org, rule=f.ExchangeRuleFactory(warehouse=warehouse))
    f.CashRegisterFactory(name="ККМ другого", organization=sold.org, store=other, device=device)
    receipt(sold, DAY, 10, "50.00", warehouse=warehouse)
    doc = a_day(sold)
    doc.checks = [sale_check(1, 4, price="90.00")]
    assert upload(device, xml(doc)).success
    accountant = f.staff_client("accountant", *VIEWS, "view_cost", store=sold.store)
    page = accountant.get(reverse("report-gross-profit"), {**PERIOD, "by": "store", "period": "total"})
    assert [row[0][0] for row in page.context["rows"]] == ["Магазин у дома"]
    assert list(page.context["form"].fields["store"].queryset) == [sold.store]
    cash = accountant.get(reverse("report-cash"), {**PERIOD, "at": "30.06.2024"})
    html = cash.content.decode()
    assert "ККМ другого" not in html and "Магазин «Другой»" not in html
    boss = f.staff_client("boss", *VIEWS, "view_cost", "view_all_stores")  # head office: every store
    assert len(boss.get(reverse("report-gross-profit"), {**PERIOD, "by": "store", "period": "total"})
               .context["rows"]) == 2


def test_cash_report_shows_balances_and_movements_with_their_documents(shop, goods_and_card):
    upload(shop.device, xml(a_day(shop)))
    viewer = f.staff_client("cashier", "view_moneymovement", "view_cashwithdrawal", "view_retailsalesreport",
                            store=shop.store)
    page = viewer.get(reverse("report-cash"), {**PERIOD, "at": "03.06.2024"})
    assert page.status_code == 200
    assert page.context["balances"] == [("Магазин у дома", "Касса магазина", "400,00"),
                                        (shop.store.name, shop.register.name, "0,00")]
    html = page.content.decode()
    report = RetailSalesReport.objects.get()
    withdrawal = report.cash_withdrawals.get()
    assert f'<a href="{reverse("admin:retail_retailsalesreport_change", args=[report.pk])}">' in html
    assert f'<a href="{reverse("admin:retail_cashwithdrawal_change", args=[withdrawal.pk])}">' in html
    kinds = [m["kind"] for m in page.context["movements"]]
    assert kinds.count("Выемка в кассу магазина") == 2 and "Возврат покупателю" in kinds
    # The evening before the shift the register held nothing.
    before = viewer.get(reverse("report-cash"), {**PERIOD, "at": "02.06.2024"})
    assert {value for _s, _p, value in before.context["balances"]} == {"0,00"}
    book = load_workbook(io.BytesIO(viewer.get(reverse("report-cash"), {**PERIOD, "at": "03.06.2024",
                                                                        "format": "xlsx"}).content))
    assert book.sheetnames == ["Остатки денежных средств", "Движения денежных средств"]
    assert f.staff_client("nobody", "view_retailsalesreport").get(reverse("report-cash")).status_code == 403


def test_price_setting_margin_counts_vat_out_of_the_price(sold):
    prices = PriceSetting(date=DAY, organization=sold.org, price_type=PriceType.objects.get())
    document_number_assign(document=prices)
    prices.save()
    PriceSettingLine.objects.create(document=prices, line_number=1, item=sold.coffee, price=D("150.00"))
    document_post(document=prices)
    accountant = f.staff_client("accountant", "view_pricesetting", "view_cost", "view_all_stores")
    html = accountant.get(reverse("admin:retail_pricesetting_change", args=[prices.pk])).content.decode()
    # 150,00 with VAT 20% is 125,00 without it; the coffee costs 100,00: margin 20%.
    assert re.search(r"<td>Кофе</td><td class=\"num\">150,00</td><td class=\"num\">100,00</td>"
                     r"<td class=\"num\">20,00 %</td>", html), html


def test_a_posted_cash_withdrawal_shows_its_movements_and_the_posting_buttons(shop, goods_and_card, admin_client):
    upload(shop.device, xml(a_day(shop)))
    withdrawal = RetailSalesReport.objects.get().cash_withdrawals.get()
    html = admin_client.get(reverse("admin:retail_cashwithdrawal_change", args=[withdrawal.pk])).content.decode()
    assert "Движения документа: денежные средства" in html
    for button in ['value="Провести и закрыть" name="_post_close"', 'value="Провести" name="_post"',
                   'value="Записать" name="_continue"']:
        assert button in html
    assert ('value="Отменить проведение" name="_unpost"' in html) == withdrawal.posted
