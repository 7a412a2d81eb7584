"""«Обмен с офлайн оборудованием»: the admin sees each device's real exchange state and can act on it."""
import pytest
from django.urls import reverse

from offline_exchange.feed_sql import ITEM
from offline_exchange.models import OfflineDevice, Transfer
from offline_exchange.services.feed import feed_changed
from retail.models import Item, RetailSalesReport
from tests.conftest import sample
from tests.equipment_service.soap import call
from tests.equipment_service.test_price_list_queue import drain, prepare

URL = "/admin/offline_exchange/exchangeconsole/"


def sync(client, device_id):
    call(client, "GetSettings", [("DeviceID", device_id)])
    drain(client, device_id, prepare(client, device_id, full=True))
    call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")])
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                              ("Document", sample("a_sale_reports_closed_shift.xml").decode())])


def test_console_before_any_exchange(demo, admin_client):
    page = admin_client.get(URL).content.decode()
    assert "Обмен с офлайн оборудованием" in page and "1С:Мобильная касса (Воронеж)" in page
    assert "не было" in page and "нет (следующая — полная)" in page


def test_console_shows_the_state_after_a_sync(demo, client, admin_client, device_id):
    sync(client, device_id)
    call(client, "GetSettings", [("DeviceID", "0001234567890123 ")], password="wrong")  # a refused login
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "Inventory"), ("Document", "<x/>")])
    Item.objects.filter(pk__in=list(Item.objects.values_list("pk", flat=True)[:3])).update(description="Новое")
    page = admin_client.get(URL).content.decode()
    device = demo["device"]
    journal = reverse("admin:offline_exchange_exchangejournalentry_changelist")
    for operation in ("GetSettings", "GetPriceListPackage", "GetDocs", "PostDocs"):
        assert f"{journal}?device__id__exact={device.pk}&amp;operation__exact={operation}" in page, operation
    transfer = Transfer.objects.get(device=device)
    assert f"полная, сформирован: товаров {transfer.goods_count}, пакетов 4 / сформировано 4 / передано 4" in page
    assert "Тип документа Inventory не поддерживается" in page  # the last error, linked to its entry
    assert '<td class="field-pending">3</td>' in page


def test_full_next_time_and_reset_queue(demo, client, admin_client, device_id):
    sync(client, device_id)
    device = demo["device"]
    Item.objects.filter(pk__in=list(Item.objects.values_list("pk", flat=True)[:2])).update(description="Новое")
    incremental = prepare(client, device_id)
    assert Transfer.objects.get(pk=incremental).full is False

    response = admin_client.post(URL, {"action": "reset_queue", "_selected_action": [device.pk]}, follow=True)
    assert "Удалено выгрузок: 1" in response.content.decode()
    assert not Transfer.objects.filter(device=device).exists()
    # The changes still go next time.
    assert len(feed_changed(kind=ITEM, after=OfflineDevice.objects.get(pk=device.pk).price_list_watermark)) == 2

    admin_client.post(URL, {"action": "full_next_time", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.price_list_watermark is None
    assert "следующая выгрузка — полная: запрошена полная выгрузка" in admin_client.get(URL).content.decode()
    assert Transfer.objects.get(pk=prepare(client, device_id)).full is True


@pytest.mark.django_db(transaction=True)
def test_console_after_the_reference_client_run(live_server, demo, admin_client):
    """The shared reference client (1C WSProxy-like) syncs the demo device; the console shows it."""
    import json
    import subprocess
    import sys

    from tests.conftest import SHARED

    tool = SHARED / "tools" / "onec_client.py"
    if not tool.exists():
        pytest.skip("the shared reference client is not present")
    for extra in ([], ["--soap12"]):
        run = subprocess.run([sys.executable, str(tool), "--url", f"{live_server.url}/rt", "--user", "sync",
                              "--password", "sync", "--device", demo["device"].device_id, *extra],
                             capture_output=True, text=True, timeout=300)
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        assert summary["op"] == "SUMMARY" and summary["ok"], run.stdout[-2000:]
    page = admin_client.get(URL).content.decode()
    device = demo["device"]
    journal = reverse("admin:offline_exchange_exchangejournalentry_changelist")
    for operation in ("GetSettings", "GetPriceListPackage", "GetDocs", "PostDocs"):
        assert f"{journal}?device__id__exact={device.pk}&amp;operation__exact={operation}" in page, operation
    assert "пакетов 4 / сформировано 4 / передано 4" in page
    assert RetailSalesReport.objects.count() == 1  # the second run re-sent the same shift
