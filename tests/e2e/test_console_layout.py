"""The exchange console and the journal fit the screen in Debian's chromium: no horizontal scrolling at
1400 px with every kind of line on them (a working register, an error, an unposted shift, a lock-out,
unknown callers), and at 800 px the «Состояние» column is still on screen."""
import pytest
from django.test import Client

from tests.conftest import sample
from tests.e2e.conftest import BROWSER
from tests.equipment_service.soap import call
from tests.equipment_service.test_price_list_queue import drain, prepare

pytestmark = BROWSER

SCROLLS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


def busy_day(demo):
    """Every kind of line the console has, made by real calls of the service."""
    soap = Client()
    first, second = demo["device"].device_id, demo["device_33"].device_id
    call(soap, "GetSettings", [("DeviceID", first)])
    drain(soap, first, prepare(soap, first, full=True))
    call(soap, "GetDocs", [("DeviceID", first), ("DocType", "Order")])
    # Sample (c) is an open shift with codes the demo does not know: an unposted report with long reasons.
    call(soap, "PostDocs", [("DeviceID", first), ("DocType", "SaleReports"),
                            ("Document", sample("c_sale_reports_open_shift.xml").decode())])
    call(soap, "PostDocs", [("DeviceID", second), ("DocType", "Inventory"), ("Document", "<x/>")])
    call(soap, "GetSettings", [("DeviceID", "ДЛИННЫЙ-ИДЕНТИФИКАТОР-НОВОЙ-КАССЫ-01")])
    for _ in range(11):
        call(soap, "GetSettings", [("DeviceID", first)], password="wrong", REMOTE_ADDR="10.20.30.40")


@pytest.mark.django_db(transaction=True)
def test_console_and_journal_fit_1400_and_the_state_shows_at_800(page, live_server, demo):
    busy_day(demo)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/offline_exchange/exchangeconsole/")
    assert "⚠ не проведено отчетов: 1" in page.inner_text("#result_list")
    assert "✖ ошибка" in page.inner_text("#result_list")
    assert "Создать оборудование с этим ID" in page.inner_text("#unknown-connections")
    assert not page.evaluate(SCROLLS), page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    # The table itself does not hide columns in a scrolled box either.
    table, box = page.eval_on_selector("#result_list", "t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert table <= box, (table, box)

    page.goto(f"{live_server.url}/admin/offline_exchange/exchangejournalentry/")
    assert "Получение настроек" in page.inner_text("#result_list")
    assert not page.evaluate(SCROLLS), page.evaluate("[document.documentElement.scrollWidth, innerWidth]")

    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{live_server.url}/admin/offline_exchange/exchangeconsole/")
    header = page.locator("#result_list th.column-health")
    assert header.inner_text().strip().lower() == "состояние" and header.is_visible()  # shown in capitals
    first = page.locator("#result_list tbody tr td.field-health").first.bounding_box()
    assert first is not None and first["x"] >= 0 and first["x"] + first["width"] <= 800, first
