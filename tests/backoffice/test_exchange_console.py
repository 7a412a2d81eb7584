"""«Обмен с офлайн оборудованием»: the admin sees each device's real exchange state and can act on it."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from offline_exchange.models import OfflineDevice, Transfer
from offline_exchange.services.feed import feed_items_changed
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
    assert '<span class="pending">Изменений к выгрузке: 3</span>' in page


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
    assert len(feed_items_changed(after=OfflineDevice.objects.get(pk=device.pk).price_list_watermark)) == 2

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


# --- The health board: «Состояние» first, one state per register, the reasons beside it.

def upload(client, name, device_id="SAMPLE-0001"):
    return call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                                     ("Document", sample(name).decode())])


def line_of(page: str, name: str) -> str:
    """The console's table row that names the register."""
    import re

    from django.utils.html import escape

    for row in re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S):
        if f"- {escape(name)}\"" in row:  # the line's checkbox names its register
            return row
    raise AssertionError(f"no line for {name}")


def test_health_is_the_first_column(demo, admin_client):
    page = admin_client.get(URL).content.decode()
    table = page[page.index('id="result_list"'):]
    headers = table[:table.index("</thead>")]
    assert headers.index("Состояние") < headers.index("Оборудование, касса ККМ, магазин") < headers.index("Последний обмен")
    assert "Получены / загружены" in headers
    for merged in ("Настройки получены", "Прайс-лист получен", "Заказы получены", "Продажи загружены"):
        assert merged not in page


def test_a_register_that_never_called_is_silent(demo, admin_client):
    row = line_of(admin_client.get(URL).content.decode(), demo["device"].name)
    assert "⏱ обменов не было" in row and demo["cash_register"].name in row and escape(demo["store"]) in row


def test_a_working_register_with_relative_times_and_the_exact_time_in_the_title(sample_shop, client, admin_client):
    from offline_exchange.models import ExchangeJournalEntry

    assert call(client, "GetSettings", [("DeviceID", "SAMPLE-0001")]).status == 200
    upload(client, "a_sale_reports_closed_shift.xml")
    five_minutes_ago = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    ExchangeJournalEntry.objects.update(created_at=five_minutes_ago)
    row = line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")
    assert "✔ работает" in row
    exact = five_minutes_ago.strftime("%d.%m.%Y %H:%M:%S")
    assert f'<span class="ago" title="{exact}">5 мин назад</span>' in row
    assert "Настройки:" in row and "Продажи:" in row and "Заказы: —" in row
    assert "Последняя ошибка" not in row and "Касса 1 (офлайн)" in row and "Магазин на Плехановской" in row


def test_an_unposted_shift_says_why_instead_of_an_empty_error(sample_shop, client, admin_client):
    upload(client, "c_sale_reports_open_shift.xml")
    report = RetailSalesReport.objects.get()
    assert not report.posted
    row = line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")
    assert "⚠ не проведено отчетов: 1" in row
    assert reverse("admin:retail_retailsalesreport_change", args=[report.pk]) in row
    assert f"Отчет {report.number} не проведен:" in row and "смена не закрыта" in row
    health = row.split('class="field-health">')[1].split("</td>")[0]
    assert "смена не закрыта" in health and ">—<" not in health
    # The upload was taken (its journal entry is a warning, not an error): «Продажи» says when.
    assert "✖ ошибка" not in row and "Продажи: —" not in row


def test_a_failed_last_call_is_an_error_with_its_text(sample_shop, client, admin_client):
    upload(client, "a_sale_reports_closed_shift.xml")
    call(client, "PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "Inventory"), ("Document", "<x/>")])
    row = line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")
    assert "✖ ошибка" in row and "Тип документа Inventory не поддерживается" in row
    # The next good call clears it: the state is the register's now, not its worst ever.
    call(client, "GetSettings", [("DeviceID", "SAMPLE-0001")])
    assert "✔ работает" in line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")


def test_silence_threshold_is_a_setting(sample_shop, client, admin_client):
    from offline_exchange.models import ExchangeJournalEntry, ExchangeSettings

    call(client, "GetSettings", [("DeviceID", "SAMPLE-0001")])
    ExchangeJournalEntry.objects.update(created_at=timezone.now() - timedelta(hours=30))
    row = line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")
    assert "⏱ нет связи 30 ч" in row and "30 ч назад" in row
    settings = ExchangeSettings.load()
    settings.silence_hours = 48
    settings.save()
    assert "✔ работает" in line_of(admin_client.get(URL).content.decode(), "Мобильная касса 1")


def test_device_health_orders_the_troubles_worst_first():
    from offline_exchange.services.health import State, device_health

    now = timezone.now()
    cases = [
        ({"last_contact": now, "last_status": "ok", "unposted": 0}, State.OK, "✔ работает", ()),
        ({"last_contact": now, "last_status": "ok", "unposted": 2}, State.UNPOSTED, "⚠ не проведено отчетов: 2", ()),
        ({"last_contact": now, "last_status": "fault", "unposted": 1}, State.ERROR, "✖ ошибка",
         ("⚠ не проведено отчетов: 1",)),
        ({"last_contact": now - timedelta(hours=25), "last_status": "ok", "unposted": 0}, State.SILENT,
         "⏱ нет связи 25 ч", ()),
        ({"last_contact": now - timedelta(hours=23, minutes=59), "last_status": "ok", "unposted": 0}, State.OK,
         "✔ работает", ()),
        ({"last_contact": None, "last_status": None, "unposted": 0}, State.SILENT, "⏱ обменов не было", ()),
    ]
    for kwargs, state, label, also in cases:
        health = device_health(now=now, silence_hours=24, **kwargs)
        assert (health.state, health.label, health.also) == (state, label, also), kwargs


def test_relative_times():
    from offline_exchange.services.health import ago_text

    now = timezone.now()
    assert [ago_text(now - delta, now) for delta in (
        timedelta(seconds=20), timedelta(minutes=5, seconds=59), timedelta(hours=3), timedelta(hours=47),
        timedelta(days=3))] == ["только что", "5 мин назад", "3 ч назад", "47 ч назад", "3 дн. назад"]
    assert ago_text(None, now) == ""


def test_a_store_manager_sees_only_the_stores_registers_and_no_unknown_callers(demo, client):
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    from tests import factories as f

    other = f.StoreFactory(name="Магазин «Другой»")
    f.OfflineDeviceFactory(name="Касса другого магазина", device_id="OTHER-0001",
                           rule=f.ExchangeRuleFactory(warehouse=f.WarehouseFactory(store=other)))
    call(client, "GetSettings", [("DeviceID", "NOBODY-42")])  # an unknown identifier
    manager = User.objects.create_user("manager", password="pw", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(codename__in=["view_offlinedevice", "view_exchangeconsole"]))
    demo["store"].staff.add(manager)
    browser = Client()
    browser.force_login(manager)
    page = browser.get(URL).content.decode()
    assert demo["device"].name in page and "Касса другого магазина" not in page
    # Unknown callers are shown to those who may create the device they are looking for.
    assert "Неизвестные подключения" not in page and "NOBODY-42" not in page
    manager.user_permissions.add(Permission.objects.get(codename="add_offlinedevice"))
    browser.force_login(User.objects.get(pk=manager.pk))
    page = browser.get(URL).content.decode()
    assert "Неизвестные подключения" in page and "NOBODY-42" in page and "Касса другого магазина" not in page


def test_staff_without_permissions_does_not_reach_the_console(demo):
    from django.contrib.auth.models import User
    from django.test import Client

    browser = Client()
    browser.force_login(User.objects.create_user("clerk", password="pw", is_staff=True))
    assert browser.get(URL).status_code == 403
