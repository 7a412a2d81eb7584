"""The customer order page fits the screen: no horizontal scrolling at 1400 and 800 px, and the «История»
button stays clear of the title (measured in Debian's chromium)."""
import pytest
from django.urls import reverse

from tests.e2e.conftest import BROWSER

pytestmark = [pytest.mark.django_db(transaction=True), *BROWSER]

WIDTHS = [1400, 800]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("width", WIDTHS)
def test_order_change_page_fits_and_history_clears_the_title(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("admin:retail_customerorder_change", args=[demo["order"].pk]))
    page.wait_for_selector("#lines-0 .select2-container")
    assert horizontal_overflow(page) <= 0
    assert page.inner_text("#order-totals") == "Всего: 366,00 | НДС в т.ч.: 33,27 | Предоплата: 100,00 | К оплате: 266,00"
    history = page.locator(".object-tools a.historylink").bounding_box()
    assert history is not None
    for title in ("#content h1", "#content h2"):
        box = page.locator(title).first.bounding_box()
        assert not overlaps(history, box), (title, history, box)
    # The lines' own table does not hide columns off its right edge either.
    assert page.evaluate("(() => { const g = document.querySelector('#lines-group');"
                         " return g.scrollWidth - g.clientWidth; })()") <= 0


@pytest.mark.parametrize("width", WIDTHS)
def test_order_add_page_with_new_lines_fits(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("admin:retail_customerorder_add"))
    for _ in range(2):
        page.click("#lines-group tr.add-row a")
    page.wait_for_selector("#lines-1 .select2-container")
    assert horizontal_overflow(page) <= 0
    assert page.evaluate("(() => { const g = document.querySelector('#lines-group');"
                         " return g.scrollWidth - g.clientWidth; })()") <= 0
