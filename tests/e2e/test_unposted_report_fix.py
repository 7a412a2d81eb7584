"""A store admin fixes an unposted Retail Sales Report on its own page in Debian's chromium: maps the register's
unknown code to an item and posts it in one step («Провести»), and the SKU the other registers use stays as it was."""
import datetime as dt
from decimal import Decimal

import pytest

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import get_format
from offline_exchange.models import DeviceCodeAlias, SkuCode
from offline_exchange.services.journal import journal_receive
from offline_exchange.services.sales import post_docs
from retail.models import Item, RetailSalesReport
from tests.e2e.conftest import BROWSER

pytestmark = BROWSER

UNKNOWN = "00042"  # what this register calls the puzzle; nobody's SKU in the demo base


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def shift_with_an_unknown_code(device) -> bytes:
    when = dt.datetime(2024, 7, 13, 16, 31, 53)
    line = CheckLineDoc(line=0, code=UNKNOWN, quantity=Decimal(2), price=Decimal("183.00"), amount=Decimal("366.00"),
                        tax_rate="none", payment_method=4)
    check = CheckDoc(line=0, date=when - dt.timedelta(hours=1), number="1", taxation_system=0, operation_type=1,
                     lines=[line], payments=[PaymentDoc(cash=Decimal("366.00"), electronic=Decimal(0),
                                                        prepayment=Decimal(0), postpayment=Decimal(0),
                                                        barter=Decimal(0))])
    shift = SaleReportDoc(line=0, shift_number="7", opened_at=when - dt.timedelta(hours=8), closed_at=when,
                          shift_state=1, checks=[check])
    return build_sale_reports([shift], get_format(device.format_version))


@pytest.mark.django_db(transaction=True)
def test_an_unknown_code_is_mapped_and_the_report_posted_in_one_step(page, live_server, demo):
    device = demo["device"]
    puzzle = Item.objects.get(article="79052")
    puzzle_sku = SkuCode.objects.get(item=puzzle, characteristic=None, pack=None).number
    assert not SkuCode.objects.filter(number=int(UNKNOWN)).exists()
    document = shift_with_an_unknown_code(device)
    entry = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                            doc_type="SaleReports", document=document, request_bytes=len(document))
    post_docs(device=device, doc_type="SaleReports", document=document, journal_entry=entry)
    report = RetailSalesReport.objects.get(device=device, shift_number="7")
    assert not report.posted

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/retail/retailsalesreport/?posted__exact=0")
    assert no_horizontal_scroll(page), "the report list scrolls sideways at 1400 px"
    page.get_by_role("link", name=report.number).click()
    assert page.inner_text("h1") == f"Отчет о розничных продажах {report.number} от 13.07.2024 16:31:53"
    assert page.inner_text("#report-state").startswith("Не проведен: 1 код не найден")
    assert f"⚠ не найден: код {UNKNOWN}" in page.inner_text("#panel-goods")
    assert no_horizontal_scroll(page), "the report page scrolls sideways at 1400 px"
    page.set_viewport_size({"width": 800, "height": 900})
    assert no_horizontal_scroll(page), "the report page scrolls sideways at 800 px (its tables scroll instead)"
    page.set_viewport_size({"width": 1400, "height": 900})

    # The tabs switch without a reload; the empty ones are dimmed.
    page.get_by_role("tab", name="Оплата наличными").click()
    assert page.is_visible("#panel-cash") and not page.is_visible("#panel-goods")
    assert "empty" in page.get_attribute("#tab-returned", "class")
    page.get_by_role("tab", name="Товары").click()

    # One step, one name: the code's position chosen in its row, then «Провести».
    row = page.locator(f"#unrecognized tr[data-code='{UNKNOWN}']")
    row.locator(".select2-selection").click()
    page.fill(".select2-search__field", "Пазл")
    page.locator(".select2-results__option", has_text="СТЕР Пазл 1000 Английский котенок").first.click()
    assert page.get_by_role("button", name="Провести", exact=True).count() == 1
    page.get_by_role("button", name="Провести", exact=True).click()
    page.wait_for_selector(".messagelist")
    message = page.inner_text(".messagelist")
    assert f"Код {UNKNOWN} кассы «{device}» сопоставлен с позицией «СТЕР Пазл 1000 Английский котенок»." in message
    assert f"{report.number}" in message and "проведен." in message and "не проведен" not in message
    assert page.inner_text("#report-state") == "✔ Проведен"
    assert not page.is_visible("#unrecognized")
    assert "СТЕР Пазл 1000 Английский котенок" in page.inner_text("#panel-goods")
    assert page.inner_text("#report-totals") == "Всего: 366,00 | НДС в т.ч.: 0,00 | Возврат: 0,00"
    assert no_horizontal_scroll(page), "the posted report page scrolls sideways at 1400 px"

    report.refresh_from_db()
    assert report.posted and RetailSalesReport.objects.filter(device=device, shift_number="7").count() == 1
    assert report.salesreportgoodsline_set.get().item == puzzle
    alias = DeviceCodeAlias.objects.get()
    assert (alias.device, alias.code, alias.item) == (device, UNKNOWN, puzzle)
    # The other register (and every other) still sells the puzzle under its SKU.
    assert SkuCode.objects.get(item=puzzle, characteristic=None, pack=None).number == puzzle_sku
    assert not SkuCode.objects.filter(number=int(UNKNOWN)).exists()
    assert demo["device_33"].code_aliases.count() == 0
