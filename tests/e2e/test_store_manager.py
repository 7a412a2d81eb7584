"""A store manager of one store works in the admin in Debian's chromium: sees only the store's registers and
journal, binds the register's sync login on the device page, cannot reach another store's register."""
import pytest
from django.contrib.auth.models import Permission, User

from offline_exchange.models import ExchangeJournalEntry, OfflineDevice
from tests import factories as f
from tests.e2e.conftest import BROWSER, CHROMIUM

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_store_manager_sees_only_the_store(live_server, demo, monkeypatch):
    from playwright.sync_api import sync_playwright

    other = f.StoreFactory(name="Магазин «Другой»")
    other_device = f.OfflineDeviceFactory(name="Касса другого магазина", device_id="OTHER-0001",
                                          rule=f.ExchangeRuleFactory(warehouse=f.WarehouseFactory(store=other)))
    other_register = f.CashRegisterFactory(name="ККМ другого магазина", store=other, device=other_device)
    ExchangeJournalEntry.objects.create(device=other_device, device_ref="OTHER-0001", operation="GetSettings",
                                        status="ok")
    ExchangeJournalEntry.objects.create(device=demo["device"], device_ref=demo["device"].device_id,
                                        operation="GetSettings", status="ok")
    manager = User.objects.create_user("manager", password="manager-pw", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(
        content_type__app_label="offline_exchange",
        codename__in=["view_cashregister", "change_cashregister", "view_offlinedevice", "change_offlinedevice",
                      "view_exchangejournalentry"]))
    demo["store"].staff.add(manager)
    courier = f.UserFactory(username="courier", sync=True)

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page()
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", "manager-pw")
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")

        page.get_by_role("link", name="Кассы ККМ", exact=True).first.click()
        listing = page.inner_text("#result_list")
        assert demo["cash_register"].name in listing and other_register.name not in listing

        page.goto(f"{base}/admin/offline_exchange/exchangejournalentry/")
        rows = page.inner_text("#result_list")
        assert demo["device"].name in rows and other_device.name not in rows

        page.goto(f"{base}/admin/offline_exchange/cashregister/{other_register.pk}/change/")
        assert "не найден" in page.inner_text(".messagelist")

        # The register's own sync login is bound on the device page.
        page.goto(f"{base}/admin/offline_exchange/offlinedevice/{demo['device'].pk}/change/")
        page.select_option("#id_users_from", label="courier")
        page.click("#id_users_add")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist")
        browser.close()
    assert set(OfflineDevice.objects.get(pk=demo["device"].pk).users.values_list("username", flat=True)) == \
        {"sync", "courier"}
    assert not other_device.users.filter(pk=courier.pk).exists()
