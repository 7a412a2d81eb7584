"""An accountant reviews an unposted Retail Sales Report in Debian's chromium, fixes the SKUs, reloads it."""
import pytest

from offline_exchange.models import SkuCode
from offline_exchange.services.journal import journal_receive
from offline_exchange.services.sales import post_docs
from retail.models import Item, RetailSalesReport
from tests.conftest import sample
from tests.e2e.conftest import BROWSER

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_unposted_report_is_fixed_and_reloaded(page, live_server, demo):
    device = demo["device"]
    # Sample (a) was written against another base: of its codes 00001–00004, 00003 and 00004 are unknown in
    # the demo base (whose weighed goods hold 00001 and 00002, scale codes from 1).
    document = sample("a_sale_reports_closed_shift.xml")
    entry = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                            doc_type="SaleReports", document=document, request_bytes=len(document))
    post_docs(device=device, doc_type="SaleReports", document=document, journal_entry=entry)
    report = RetailSalesReport.objects.get()
    assert not report.posted

    page.goto(f"{live_server.url}/admin/retail/retailsalesreport/?posted__exact=0")
    page.get_by_role("link", name=report.number).click()
    assert page.inner_text("#report-state").startswith("Не проведен: 2 кода не найдены")
    page.click("#report-state summary")  # «Подробнее»: the reasons in full
    reasons = page.inner_text("#report-state")
    assert "не найдены товары по кодам из чеков" in reasons and "код «00004»" in reasons
    assert page.get_by_role("link", name="Скачать XML, присланный кассой").is_visible()

    # The admin gives the sold goods these codes (the register «Коды SKU»), freeing them first, then reloads.
    for code in SkuCode.objects.filter(number__lte=4):
        code.number += 90000
        code.save()
    for number, name in ((1, "Яблоки Голден, вес."), (2, "Кукла «Маша» 30 см"), (3, "Пюре яблочное 90 г"),
                         (4, "Сигареты «Пример» 20 шт")):
        SkuCode.objects.filter(item=Item.objects.get(name=name), characteristic=None, pack=None).update(number=number)
    page.goto(f"{live_server.url}/admin/retail/retailsalesreport/")
    page.check(f"input[name=_selected_action][value='{report.pk}']")
    page.select_option("select[name=action]", "post_selected")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert "Данные успешно загружены" in page.inner_text(".messagelist")
    report.refresh_from_db()
    assert report.posted and report.number == "ТДРТ-000001" and str(report.total) == "1306.84"
