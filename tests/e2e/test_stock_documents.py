"""A store admin fills a write-off with the scanner and posts it, then opens the reports, in Debian's chromium."""
import pytest

from backoffice.demo import demo_history_create
from retail.models import StockBalance, WriteOff
from tests.e2e.conftest import BROWSER

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_write_off_filled_by_barcode_scan_and_posted(page, live_server, demo):
    page.goto(f"{live_server.url}/admin/retail/writeoff/add/")
    page.fill("#id_date_0", "03.06.2024")
    page.fill("#id_date_1", "12:00:00")
    page.select_option("#id_organization", label=str(demo["organization"]))
    page.select_option("#id_warehouse", label="Общий склад")
    page.fill("#id_reason", "Брак")
    # A scanner types the code and Enter: the line appears in the form (written with the document).
    page.fill("#id_barcode", "4601234500031")
    page.press("#id_barcode", "Enter")
    # Predicates as functions: the pages' CSP forbids the eval Playwright polls a bare expression with.
    page.wait_for_function("() => document.querySelector('#scan-status').textContent.includes('Добавлено')")
    assert "Добавлено: Мяч резиновый 15 см" in page.inner_text("#scan-status")
    page.fill("#id_barcode", "4601234500031")
    page.press("#id_barcode", "Enter")
    page.wait_for_function("() => document.querySelector('#id_lines-0-quantity').value === '2,000'")
    page.click("input[name=_post]")
    page.wait_for_selector("#document-movements")
    assert "проведен" in page.inner_text(".messagelist")
    doc = WriteOff.objects.get()
    assert list(doc.lines.values_list("item__article", "quantity")) == [("МР-15", 2)]
    assert page.input_value("#id_lines-0-quantity") == "2,000"  # a Russian input, as the columns show it
    assert "Мяч резиновый 15 см" in page.inner_text("#document-movements")
    assert StockBalance.objects.get(item__article="МР-15", warehouse=demo["warehouse"]).quantity == 8


@pytest.mark.django_db(transaction=True)
def test_report_pages_from_the_index(page, live_server, demo):
    demo_history_create()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Продажи", exact=True).click()
    page.wait_for_selector("svg.sales-chart")
    assert page.locator("svg.sales-chart rect.bar-revenue").count() == 7
    assert "Итого" in page.inner_text("#report-table")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    for name, marker in (("Ведомость по товарам на складах", "Начальный остаток"), ("Остатки товаров", "Остаток"),
                         ("Кассовые смены", "Платежные карты")):
        page.locator(".report-nav a", has_text=name).click()
        page.wait_for_selector("#report-table")
        assert marker.upper() in page.inner_text("#report-table thead").upper()
        assert page.locator("#report-table tbody tr").count() > 1
