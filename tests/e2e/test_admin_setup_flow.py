"""A store admin walks the 1С:Розница set-up instruction in Debian's chromium (Playwright)."""
import pytest

from offline_exchange.models import CashRegister, ExchangeRule, OfflineDevice
from retail.models import Warehouse
from tests.e2e.conftest import BROWSER

pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_setup_flow_in_instruction_order(page, live_server):
    base = live_server.url
    # 1. Администрирование: exchange switch and SKU auto-generation.
    # The singleton opens as its form, straight from the index.
    page.get_by_role("link", name="Администрирование: настройки обмена", exact=True).first.click()
    assert page.is_checked("#id_offline_exchange_enabled")
    page.check("#id_auto_generate_sku")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")

    # 2. Правила обмена: a rule on the demo warehouse.
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="Правила обмена", exact=True).first.click()
    page.click(".object-tools a.addlink")
    page.fill("#id_name", "Касса курьера: Общий склад")
    # Each warehouse is offered with its store and that store's retail price type.
    warehouse = Warehouse.objects.select_related("store__retail_price_type").get(name="Общий склад")
    page.select_option("#id_warehouse", label=f"Общий склад — магазин «{warehouse.store}», "
                                              f"розничная цена: {warehouse.store.retail_price_type}")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    rule = ExchangeRule.objects.get(name="Касса курьера: Общий склад")

    # 3. Подключаемое оборудование: format 3.3 (as 1C presets a new device), Web-сервис, device identifier; a
    # 37-character one is refused.
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="Подключаемое оборудование", exact=True).first.click()
    page.click(".object-tools a.addlink")
    page.fill("#id_name", "Мобильная касса курьера")
    page.select_option("#id_organization", index=1)
    page.select_option("#id_rule", label=rule.name)
    assert page.input_value("#id_format_version") == "3003"
    assert page.input_value("#id_exchange_kind") == "web"
    page.fill("#id_device_id", "9" * 37)
    page.click("input[name=_save]")
    assert "не длиннее 36 символов" in page.inner_text(".errorlist")
    page.fill("#id_device_id", "0009999999999999")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    device = OfflineDevice.objects.get(device_id="0009999999999999")

    # 4. Кассы ККМ: type «ККМ офлайн» bound to the device, created from the device page, which also says how
    # to connect the phone.
    page.goto(f"{base}/admin/offline_exchange/offlinedevice/{device.pk}/change/")
    connection = page.inner_text("#device-connection")
    assert "Как подключить кассу" in connection and "0009999999999999" in connection and "rt" in connection
    page.get_by_role("link", name="Создать кассу ККМ для этого оборудования").click()
    assert page.input_value("#id_device") == str(device.pk)
    assert page.input_value("#id_organization") == str(device.organization_id)
    assert page.input_value("#id_store") == str(warehouse.store_id)
    page.fill("#id_name", "Касса курьера")
    assert page.input_value("#id_kind") == "offline"
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert CashRegister.objects.get(name="Касса курьера").device == device
