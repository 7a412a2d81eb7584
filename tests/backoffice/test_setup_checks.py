"""The set-up guided and checked: the settings open as their form, the rule says what it selects, the
device page says how to connect the phone, the cash register is bound only to a free device of its own
store and organization, payment codes are numbered by themselves."""
from html import unescape

from django.urls import reverse
from django.utils.html import escape

from offline_exchange.models import CashRegister, ExchangeSettings, PaymentMapping
from offline_exchange.services.registers import payment_mappings_number
from tests import factories as f


def test_the_settings_list_opens_the_one_form(db, admin_client):
    response = admin_client.get(reverse("admin:offline_exchange_exchangesettings_changelist"))
    settings = ExchangeSettings.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:offline_exchange_exchangesettings_change", args=[settings.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "Нет связи с кассой: предупреждать через, ч" in page and "Удалить" not in page
    saved = admin_client.post(response["Location"], {
        "offline_exchange_enabled": "on", "weight_sku_min": 1, "weight_sku_max": 99999, "silence_hours": 6})
    assert saved.status_code == 302 and saved["Location"] == reverse("admin:index")
    assert ExchangeSettings.load().silence_hours == 6
    assert ExchangeSettings.objects.count() == 1


def test_the_rule_form_shows_the_warehouses_store_and_price_and_counts_its_goods(db, admin_client):
    price = f.PriceTypeFactory(name="Розничная Воронеж")
    store = f.StoreFactory(name="Магазин на Кольцовской", retail_price_type=price)
    rule = f.ExchangeRuleFactory(warehouse=f.WarehouseFactory(name="Зал", store=store))
    coded, also_coded, bare = f.ItemFactory(), f.ItemFactory(), f.ItemFactory()
    f.SkuCodeFactory(item=coded)
    f.SkuCodeFactory(item=also_coded)
    # A characteristic's code is no code of the item: its Good would still be left out.
    f.SkuCodeFactory(item=bare, characteristic=f.CharacteristicFactory(item=bare))
    rule.filter_items.set([coded, also_coded, bare])
    page = admin_client.get(reverse("admin:offline_exchange_exchangerule_change", args=[rule.pk])).content.decode()
    assert "Зал — магазин «Магазин на Кольцовской», розничная цена: Розничная Воронеж" in page
    assert "Товаров по правилу: 3, без SKU: 1" in page
    f.SkuCodeFactory(item=bare)
    page = admin_client.get(reverse("admin:offline_exchange_exchangerule_change", args=[rule.pk])).content.decode()
    assert "Товаров по правилу: 3, без SKU: 0" in page


def test_the_device_page_says_how_to_connect_the_phone(demo, admin_client):
    device = demo["device"]
    page = admin_client.get(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode()
    assert "Как подключить кассу" in page
    assert "<code>http://testserver/</code>" in page and "<code>rt</code>" in page
    assert f"<code>{device.device_id}</code>" in page and "<code>sync</code>" in page
    assert "http://testserver/rt/ws/EquipmentService?wsdl" in page
    assert "группу «Выполнение синхронизации данных»" in page and "не входит в группу" not in page
    register = reverse("admin:offline_exchange_cashregister_change", args=[demo["cash_register"].pk])
    assert f'Касса ККМ: <a href="{register}">' in page


def test_a_bound_login_outside_the_sync_group_is_warned(demo, admin_client):
    device = demo["device"]
    device.users.add(f.UserFactory(username="no-group"))
    page = admin_client.get(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode()
    assert "<code>no-group</code> — ⚠ пользователь не входит в группу «Выполнение синхронизации данных»" in page


def test_a_device_without_a_register_links_to_creating_it_prefilled(demo, admin_client):
    device = f.OfflineDeviceFactory(name="Касса 3", organization=demo["organization"], rule=demo["rule"])
    page = admin_client.get(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode()
    assert "⚠ К оборудованию не привязан ни один пользователь" in page
    start = page.index('Касса ККМ еще не создана: <a href="') + len('Касса ККМ еще не создана: <a href="')
    link = page[start:page.index('"', start)].replace("&amp;", "&")
    form = admin_client.get(link).content.decode()
    assert f'<option value="{device.pk}" selected>' in form
    assert f'<option value="{demo["organization"].pk}" selected>' in form
    assert f'<option value="{demo["store"].pk}" selected>' in form
    assert 'name="name" value="Касса 3"' in form


def register_data(**fields):
    data = {"name": "ККМ новая", "kind": "offline", "workplace": "",
            "payment_mappings-TOTAL_FORMS": "0", "payment_mappings-INITIAL_FORMS": "0",
            "payment_mappings-MIN_NUM_FORMS": "0", "payment_mappings-MAX_NUM_FORMS": "1000"}
    data.update(fields)
    return data


def device_choices(form: str) -> set[str]:
    import re

    select = form[form.index('name="device"'):]
    select = select[:select.index("</select>")]
    return {unescape(label) for label in re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)}


def test_the_register_form_offers_only_free_devices(demo, admin_client):
    f.OfflineDeviceFactory(name="Свободная касса", organization=demo["organization"], rule=demo["rule"])
    form = admin_client.get(reverse("admin:offline_exchange_cashregister_add")).content.decode()
    assert device_choices(form) == {"Свободная касса"}  # the demo's two devices have their registers
    # Its own register still offers it.
    own = reverse("admin:offline_exchange_cashregister_change", args=[demo["cash_register"].pk])
    assert device_choices(admin_client.get(own).content.decode()) == {"Свободная касса", demo["device"].name}
    taken = admin_client.post(reverse("admin:offline_exchange_cashregister_add"), register_data(
        organization=demo["organization"].pk, store=demo["store"].pk, device=demo["device"].pk))
    assert taken.status_code == 200 and "Выберите корректный вариант" in taken.content.decode()


def test_the_register_must_match_its_devices_store_and_organization(demo, admin_client):
    device = f.OfflineDeviceFactory(name="Касса 4", organization=demo["organization"], rule=demo["rule"])
    other_org, other_store = f.OrganizationFactory(name="ИП Другой"), f.StoreFactory(name="Магазин Другой")
    url = reverse("admin:offline_exchange_cashregister_add")
    before = CashRegister.objects.count()
    page = admin_client.post(url, register_data(organization=other_org.pk, store=other_store.pk,
                                                device=device.pk)).content.decode()
    assert escape(f"Организация кассы ККМ должна совпадать с организацией подключаемого оборудования «Касса 4»: "
                  f"{demo['organization']}.") in page
    assert escape(f"Магазин кассы ККМ должен совпадать с магазином склада «{demo['warehouse']}»") in page
    assert CashRegister.objects.count() == before
    done = admin_client.post(url, register_data(organization=demo["organization"].pk, store=demo["store"].pk,
                                                device=device.pk))
    assert done.status_code == 302 and CashRegister.objects.get(device=device).store == demo["store"]


def test_payment_codes_left_empty_are_numbered(demo, admin_client):
    device = f.OfflineDeviceFactory(organization=demo["organization"], rule=demo["rule"])
    card, credit = f.PaymentKindFactory(name="Карта банка"), f.PaymentKindFactory(name="Кредит", type="credit")
    data = register_data(organization=demo["organization"].pk, store=demo["store"].pk, device=device.pk)
    data.update({"payment_mappings-TOTAL_FORMS": "3",
                 "payment_mappings-0-code": "", "payment_mappings-0-payment_kind": card.pk,
                 "payment_mappings-1-code": "5", "payment_mappings-1-payment_kind": credit.pk,
                 "payment_mappings-2-code": "", "payment_mappings-2-payment_kind": credit.pk})
    response = admin_client.post(reverse("admin:offline_exchange_cashregister_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    register = CashRegister.objects.get(device=device)
    assert sorted(register.payment_mappings.values_list("code", flat=True), key=int) == ["5", "6", "7"]


def test_payment_numbering_skips_codes_in_use_and_words(db):
    register = f.CashRegisterFactory()
    f.PaymentMappingFactory(cash_register=register, code="3")
    f.PaymentMappingFactory(cash_register=register, code="СБП")  # a code typed as a word takes no number
    first, typed, second = (PaymentMapping(cash_register=register, code=code) for code in (None, "4", ""))
    payment_mappings_number(mappings=[first, typed, second])
    assert (first.code, typed.code, second.code) == ("5", "4", "6")
