"""Lines filled the way 1С:Розница fills them, before anything is saved (Debian's chromium, Playwright): an
order line takes its price from the store's retail price and its VAT from the item, and its sum and the
totals follow what is typed; a scan on a fresh document adds its line in the form, which no other field
can make fail or lose."""
import datetime as dt
from decimal import Decimal

import pytest

from retail.models import CustomerOrder, Item, PriceSetting, StockBalance, WriteOff
from tests.e2e.conftest import BROWSER

pytestmark = BROWSER

BALL = "4601234500031"  # Мяч резиновый 15 см: 145,00, VAT 20 %


def choose(page, row, field, term, text):
    row.locator(f"td.field-{field} .select2-selection").click()
    page.fill(".select2-search__field", term)
    page.locator(".select2-results__option", has_text=text).first.click()


@pytest.mark.django_db(transaction=True)
def test_an_order_line_fills_price_vat_and_sum_before_saving(page, live_server, demo):
    page.goto(f"{live_server.url}/admin/retail/customerorder/add/")
    # Dated now, as a new document in 1C.
    assert dt.datetime.strptime(page.input_value("#id_date_0"), "%d.%m.%Y").date() == dt.date.today()
    page.select_option("#id_organization", label=str(demo["organization"]))
    page.select_option("#id_store", label=str(demo["store"]))
    page.click("#lines-group tr.add-row a")
    row = page.locator("#lines-0")
    choose(page, row, "item", "Кукла", "Кукла «Маша» 30 см")
    # Predicates as functions: the pages' CSP forbids the eval Playwright polls a bare expression with.
    page.wait_for_function("() => document.querySelector('#id_lines-0-price').value !== ''")
    assert page.input_value("#id_lines-0-price") == "899,00"  # the store's «Розничная цена»
    assert page.input_value("#id_lines-0-vat_rate") == "20"  # the item's rate
    page.fill("#id_lines-0-quantity", "2")
    assert row.locator("td.field-amount_shown").inner_text() == "1\xa0798,00"
    assert row.locator("td.field-vat_shown").inner_text() == "299,67"
    assert page.inner_text("#order-totals") == "Всего: 1\xa0798,00 | НДС в т.ч.: 299,67"
    # A typed price wins, and the sums follow it as it is typed.
    page.fill("#id_lines-0-price", "850,50")
    assert row.locator("td.field-amount_shown").inner_text() == "1\xa0701,00"
    page.click("#lines-group tr.add-row a")
    choose(page, page.locator("#lines-1"), "item", "Пазл", "СТЕР Пазл 1000 Английский котенок")
    page.wait_for_function("() => document.querySelector('#id_lines-1-price').value !== ''")
    assert page.input_value("#id_lines-1-vat_rate") == "none"
    page.fill("#id_lines-1-quantity", "1")
    assert page.inner_text("#order-totals") == "Всего: 1\xa0884,00 | НДС в т.ч.: 283,50"
    # The first save succeeds, with the sums shown.
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert not page.locator(".errorlist").count(), page.inner_text("#content")
    order = CustomerOrder.objects.exclude(pk=demo["order"].pk).get()
    assert sorted(order.lines.values_list("amount", "vat_amount")) == [
        (Decimal("183.00"), Decimal("0.00")), (Decimal("1701.00"), Decimal("283.50"))]
    assert page.inner_text("#order-totals") == "Всего: 1\xa0884,00 | НДС в т.ч.: 283,50"


@pytest.mark.django_db(transaction=True)
def test_a_scan_on_a_fresh_document_is_kept_whatever_the_other_fields(page, live_server, demo):
    page.goto(f"{live_server.url}/admin/retail/writeoff/add/")
    assert page.input_value("#id_date_0") != ""
    # Scanned first, before anything else is filled: the line is in the form, nothing is written yet.
    page.fill("#id_barcode", BALL)
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#scan-status').textContent.includes('Добавлено')")
    assert page.input_value("#id_lines-0-quantity") == "1,000"
    # The same code again: one more to the same line (waited for by its value, the status reads the same).
    page.fill("#id_barcode", BALL)
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#id_lines-0-quantity').value === '2,000'")
    assert page.inner_text("#scan-status").startswith("Добавлено: Мяч резиновый 15 см")
    assert "Мяч резиновый 15 см" in page.inner_text("#lines-0 td.field-item")
    assert not WriteOff.objects.exists()
    # An unknown code says so and adds nothing.
    page.fill("#id_barcode", "0000000000000")
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#scan-status').textContent.includes('не найден')")
    assert page.locator("#lines-group tr.form-row.has_original, #lines-group tr.form-row.dynamic-lines").count() == 1
    # The other fields refuse the document: the line is still there after the refusal.
    page.fill("#id_date_0", "")
    page.click("input[name=_post]")
    page.wait_for_selector(".errorlist")
    assert page.input_value("#id_lines-0-quantity") == "2,000"
    assert "Мяч резиновый 15 см" in page.inner_text("#lines-0 td.field-item")
    page.fill("#id_date_0", "03.06.2024")
    page.fill("#id_date_1", "12:00:00")
    page.select_option("#id_organization", label=str(demo["organization"]))
    page.select_option("#id_warehouse", label="Общий склад")
    page.fill("#id_reason", "Брак")
    page.click("input[name=_post]")
    page.wait_for_selector("#document-movements")
    document = WriteOff.objects.get()
    assert document.posted and list(document.lines.values_list("item__article", "quantity")) == [("МР-15", 2)]
    assert StockBalance.objects.get(item__article="МР-15", warehouse=demo["warehouse"]).quantity == 8


@pytest.mark.django_db(transaction=True)
def test_price_setting_and_receipt_lines_fill_and_sum(page, live_server, demo):
    page.goto(f"{live_server.url}/admin/retail/pricesetting/add/")
    page.select_option("#id_price_type", label="Розничная цена")
    page.fill("#id_barcode", BALL)
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#id_lines-0-price') && "
                           "document.querySelector('#id_lines-0-price').value !== ''")
    assert page.input_value("#id_lines-0-price") == "145,00"  # the price in force, to be changed
    page.fill("#id_lines-0-price", "150,00")
    page.select_option("#id_organization", label=str(demo["organization"]))
    page.click("input[name=_post]")
    page.wait_for_selector(".messagelist")
    assert PriceSetting.objects.get().lines.get().price == Decimal("150.00")

    page.goto(f"{live_server.url}/admin/retail/goodsreceipt/add/")
    page.select_option("#id_retail_price_type", label="Розничная цена")
    page.fill("#id_barcode", BALL)
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#id_lines-0-retail_price') && "
                           "document.querySelector('#id_lines-0-retail_price').value !== ''")
    assert page.input_value("#id_lines-0-retail_price") == "150,00"
    page.fill("#id_lines-0-quantity", "3")
    page.fill("#id_lines-0-price", "80,50")
    assert page.input_value("#id_lines-0-amount") == "241,50"
    assert page.inner_text("#lines-totals") == "Всего: 241,50"
    assert Item.objects.get(barcodes__value=BALL).name == "Мяч резиновый 15 см"
