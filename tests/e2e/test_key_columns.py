"""Lists and documents at 1400 and 800 px, measured in Debian's chromium (Playwright): the key columns a 1C user
expects in sight (number, date, amount, posted state) lie inside the window, the lesser ones give way and are
named, and only a document's lines table scrolls sideways, never the page."""
import pytest

from backoffice.demo import demo_history_create
from retail.models import GoodsReceipt
from tests.e2e.conftest import BROWSER
from tests.equipment_service.soap import call

pytestmark = [pytest.mark.django_db(transaction=True), *BROWSER]

WIDTHS = [1400, 800]
KEY_COLUMNS = {
    "/admin/retail/retailsalesreport/": ["posted_icon", "number", "date_shown", "shift_number", "total_shown",
                                         "returns_shown"],
    "/admin/offline_exchange/exchangejournalentry/": ["created_text", "operation_text", "status", "device",
                                                      "short_error"],
    "/admin/retail/goodsreceipt/": ["number", "date_shown", "warehouse", "total_shown", "posted"],
    "/admin/retail/customerorder/": ["number", "date_shown", "status", "total_shown"],
    "/admin/retail/writeoff/": ["number", "date_shown", "warehouse", "posted"],
}


def page_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def history(demo, client, device_id):
    demo_history_create()
    call(client, "GetSettings", [("DeviceID", device_id)])
    return demo


@pytest.mark.parametrize("width", WIDTHS)
def test_key_columns_of_the_lists_are_in_sight(page, live_server, history, width):
    page.set_viewport_size({"width": width, "height": 900})
    for url, keys in KEY_COLUMNS.items():
        page.goto(live_server.url + url)
        page.wait_for_selector("#result_list tbody tr")
        assert page_overflow(page) <= 0, (url, "the page scrolls sideways")
        for name in keys:
            header = page.locator(f"#result_list thead th.column-{name}")
            box = header.bounding_box()
            assert box is not None and box["width"] > 0, (url, name, "hidden")
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, (url, name, box)
            cell = page.locator("#result_list tbody tr").first.locator(f".field-{name}").bounding_box()
            assert cell is not None and cell["x"] + cell["width"] <= width, (url, name, cell)
        # What gave way is said above the table (at 800 px something always does).
        hidden = page.locator("#result_list thead th.column-hidden")
        note = page.inner_text("#hidden-columns") if page.locator("#hidden-columns").count() else ""
        if width == 800:
            assert hidden.count() > 0 and note.startswith("Не помещаются на экране и скрыты:"), url
        for n in range(hidden.count()):
            assert hidden.nth(n).inner_text().strip() in note or hidden.nth(n).text_content().strip() in note


@pytest.mark.parametrize("width", WIDTHS)
def test_the_receipt_form_fits_and_only_its_lines_scroll(page, live_server, history, width):
    receipt = GoodsReceipt.objects.first()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/retail/goodsreceipt/{receipt.pk}/change/")
    page.wait_for_selector("#lines-0 .select2-container")
    assert page_overflow(page) <= 0
    for selector in ("#id_date_0", "#id_warehouse", "#lines-totals", "input[name=_post]"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, (selector, box)
    lines = page.locator("#lines-group .tabular")
    # The lines' own box keeps them: it scrolls when they are wider than the window, never the page.
    assert lines.evaluate("box => getComputedStyle(box).overflowX") == "auto"
    if width == 1400:
        assert lines.evaluate("box => box.scrollWidth - box.clientWidth") <= 0
