"""«Что получила касса» for a demo transfer in Debian's chromium (Playwright): from the device's page to the
goods with their codes, prices and balances as sent, a search, another package, and the orders on the register."""
import pytest

from offline_exchange.models import SkuCode
from tests.e2e.conftest import BROWSER
from tests.equipment_service.test_price_list_queue import drain, prepare

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_what_the_register_got(page, live_server, demo, client, device_id):
    transfer_id = prepare(client, device_id, full=True)
    drain(client, device_id, transfer_id)
    code = SkuCode.objects.get(item__article="МР-15", characteristic=None, pack=None).number

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/offline_exchange/offlinedevice/{demo['device'].pk}/change/")
    page.click("#received-link")
    page.wait_for_selector("#received-goods")
    assert page.inner_text("h1") == f"Что получила касса «{demo['device']}»"
    assert page.locator("#received-goods tbody tr").count() > 0
    assert "(не получен)" not in page.inner_text(".received-packages")

    page.fill("#received-q", f"{code:05d}")
    page.click("#received-search input[type=submit]")
    page.wait_for_selector("#received-goods")
    rows = page.locator("#received-goods tbody tr")
    assert rows.count() == 1
    cells = [text.strip() for text in rows.first.locator("td").all_inner_texts()]
    assert cells[1:] == [f"{code:05d}", "Мяч резиновый 15 см", "МР-15", "4601234500031", "шт", "145,00", "10", "20%"]

    page.fill("#received-q", "яблоки")
    page.click("#received-search input[type=submit]")
    page.wait_for_selector("#received-goods")
    apples = [text.strip() for text in page.locator("#received-goods tbody tr").first.locator("td").all_inner_texts()]
    assert apples[2:] == ["Яблоки Голден, вес.", "ЯГ-В", "", "кг", "129,90", "35,5", "10%"]

    orders = page.inner_text("#register-orders")
    assert "ТДРТ-000001" in orders and "366,00" in orders and "Выгружен на кассу ККМ" not in orders
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
