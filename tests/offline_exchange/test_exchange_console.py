"""«Обмен с офлайн оборудованием»: the admin sees each device's real exchange state and can act on it."""
from django.urls import reverse

from offline_exchange.models import ChangeRegistration, Transfer
from offline_exchange.services.registration import registration_register_items
from retail.models import Item
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
    registration_register_items(item_ids=list(Item.objects.values_list("pk", flat=True)[:3]))
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
    registration_register_items(item_ids=list(Item.objects.values_list("pk", flat=True)[:2]))
    incremental = prepare(client, device_id)
    assert Transfer.objects.get(pk=incremental).full is False

    response = admin_client.post(URL, {"action": "reset_queue", "_selected_action": [device.pk]}, follow=True)
    assert "Удалено выгрузок: 1" in response.content.decode()
    assert not Transfer.objects.filter(device=device).exists()
    assert ChangeRegistration.objects.filter(device=device).count() == 2  # the changes still go next time

    admin_client.post(URL, {"action": "full_next_time", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.price_list_delivered_at is None
    assert Transfer.objects.get(pk=prepare(client, device_id)).full is True
