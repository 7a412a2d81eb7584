"""The walk a store admin does for every new register, in Debian's chromium (Playwright): the device's «+»
beside «Пользователи синхронизации» makes a login that syncs at once; a shift with a code nobody knows is
taken, and the journal says «Предупреждение», not «Успешно»."""
import pytest

from equipment_service.client import EquipmentServiceClient
from equipment_service.simulator import device_sync
from retail.models import RetailSalesReport
from tests.e2e.conftest import BROWSER
from tests.e2e.test_unposted_report_fix import shift_with_an_unknown_code

pytestmark = BROWSER

PASSWORD = "Касса-2024-пароль"


@pytest.mark.django_db(transaction=True)
def test_device_plus_login_then_sync_and_the_journal_warns(page, live_server, demo):
    device = demo["device"]
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/offline_exchange/offlinedevice/{device.pk}/change/")
    with page.expect_popup() as opened:
        page.click("#add_id_users")
    popup = opened.value
    popup.wait_for_load_state()
    assert "Выполнение синхронизации данных" in popup.inner_text("#content")
    popup.fill("#id_username", "kassir2")
    popup.fill("#id_password1", PASSWORD)
    popup.fill("#id_password2", PASSWORD)
    with popup.expect_event("close"):
        popup.click("input[name=_save]")
    # The new login stands among the chosen ones; the form is written without a refusal.
    assert "kassir2" in page.inner_text("#id_users_to")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert not page.locator(".errorlist").count(), page.inner_text("#content")
    assert device.users.filter(username="kassir2").exists()

    client = EquipmentServiceClient(f"{live_server.url}/rt", "kassir2", PASSWORD)
    try:
        report = device_sync(client, device.device_id, full=True, post=shift_with_an_unknown_code(device))
    finally:
        client.close()
    assert report.ok, [(step.operation, step.note) for step in report.errors]
    assert report.goods > 0 and "не проведен" in report.posted
    assert not RetailSalesReport.objects.get(device=device, shift_number="7").posted

    page.goto(f"{live_server.url}/admin/offline_exchange/exchangejournalentry/?operation__exact=PostDocs")
    row = page.locator("#result_list tbody tr").first
    assert row.locator("td.field-status").inner_text() == "Предупреждение"
    report = RetailSalesReport.objects.get(device=device, shift_number="7")
    assert row.locator("td.field-short_error").inner_text() == f"⚠ Отчет {report.number} не проведен: 1 код не найден"
    assert "Успешно" not in row.inner_text()
    # The report is one click away.
    row.locator("td.field-short_error a").click()
    assert page.inner_text("#report-state").startswith("Не проведен: 1 код не найден")
