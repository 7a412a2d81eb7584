"""1C as of 2026 in the exchange's core: format 3.3 by default, VAT 22 % in 3.3 only (the setting gone by
migration), the goods a device's format holds back named, check-line rates read as 1C 2026 reads them."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from offline_exchange.format.rates import KNOWN_RATES, check_line_rate
from offline_exchange.models import OfflineDevice
from offline_exchange.services.held_back import device_held_back
from retail.models import Item, VatRate
from tests import factories as f
from tests.migrating import migrate

BEFORE = [("offline_exchange", "0130_admin")]
AFTER = [("offline_exchange", "0140_2026")]


@pytest.mark.django_db
def test_a_new_device_speaks_3_3_as_1c_presets_it(admin_client):
    device = OfflineDevice(name="Новая касса", organization=f.OrganizationFactory(), rule=f.ExchangeRuleFactory(),
                           device_id="NEW-1")
    assert device.format_version == 3003
    page = admin_client.get(reverse("admin:offline_exchange_offlinedevice_add")).content.decode()
    assert '<option value="3003" selected>3.3</option>' in page
    assert "Передавать ставку НДС 22%" not in page


@pytest.mark.parametrize("sent,read", [
    ("22", "22"), ("22/122", "22"), ("5/105", "5"), ("7/107", "7"), ("10/110", "10"), ("20/120", "20"),
    ("18/118", "18"), ("22%", "22"), (" 22 / 122 ", "22"), ("0", "0"), ("none", "none"), ("Без НДС", "none"),
    ("", ""), ("20/110", None), ("22/120", None), ("12", None), ("12/112", None), ("abc", None),
])
def test_check_line_rates_as_1c_2026_reads_them(sent, read):
    assert check_line_rate(sent) == read


def test_the_format_layer_knows_the_catalogs_rates():
    assert KNOWN_RATES == set(VatRate.values)


@pytest.mark.django_db
def test_the_goods_held_back_are_named_per_device(demo):
    puzzle = Item.objects.get(article="79052")
    puzzle.vat_rate = "22"
    puzzle.save()
    device, device_33 = demo["device"], demo["device_33"]
    held = device_held_back(device=device)
    assert (held.count, held.goods, held.can_switch) == (1, [(puzzle.pk, puzzle.name, "ставку НДС 22%")], True)
    assert held.text.startswith(f"Не переданы на кассу (формат обмена 3.1 их не передает): «{puzzle.name}» "
                                "(ставку НДС 22%). Переведите кассу на формат обмена 3.3")
    assert device_held_back(device=device_33).count == 0
    device.format_version = 3000  # and marked goods, and 3.0 has no 5/7 either
    device.save()
    Item.objects.filter(article="КД-12").update(vat_rate="5")
    held = device_held_back(device=device, shown=2)
    reasons = {name: reason for _pk, name, reason in held.goods}
    assert held.count == 4 and held.more == 2 and len(reasons) == 2
    assert held.text.endswith("и еще 2. " + held.advice)
    full = {name: reason for _pk, name, reason in device_held_back(device=device).goods}
    assert full == {"СТЕР Пазл 1000 Английский котенок": "ставку НДС 22%", "Кубики деревянные 12 шт": "ставку НДС 5%",
                    "Сандалии детские кожаные": "маркируемую продукцию",
                    "Сигареты «Пример» 20 шт": "маркируемую продукцию"}


@pytest.fixture
def back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_vat_22_setting_goes_devices_keep_their_format_and_lists_follow(demo, back_to_the_latest):
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Device, Transfer = old.get_model("offline_exchange", "OfflineDevice"), old.get_model("offline_exchange", "Transfer")
    OldItem = old.get_model("retail", "Item")
    Variant = old.get_model("offline_exchange", "GoodsCacheVariant")
    OldItem.objects.filter(article="79052").update(vat_rate="22")
    template = Device.objects.get(pk=demo["device"].pk)
    made = {}
    for name, code, vat22 in (("31 с 22", 3001, True), ("31 без 22", 3001, False), ("33 без 22", 3003, False),
                              ("33 с 22", 3003, True), ("30 с 22", 3000, True)):
        made[name] = Device.objects.create(name=name, organization_id=template.organization_id,
                                           rule_id=template.rule_id, device_id=f"MIG-{len(made)}",
                                           format_version=code, vat22=vat22, price_list_watermark=5)
        Transfer.objects.create(device=made[name], full=False, state="ready", package_total=1)
    Variant.objects.create(key="3001:1::1:p1", format_version=3001, export_groups=True, vat22=True)

    executor = MigrationExecutor(connection)
    migrate(executor, AFTER)
    new = executor.loader.project_state(AFTER).apps
    Device, Transfer = new.get_model("offline_exchange", "OfflineDevice"), new.get_model("offline_exchange", "Transfer")
    after = {device.name: device for device in Device.objects.filter(name__in=made)}
    # Every device keeps its format; the setting is gone from devices and from the goods cache.
    assert {name: d.format_version for name, d in after.items()} == {
        "31 с 22": 3001, "31 без 22": 3001, "33 без 22": 3003, "33 с 22": 3003, "30 с 22": 3000}
    assert "vat22" not in {field.name for field in Device._meta.get_fields()}
    assert not new.get_model("offline_exchange", "GoodsCacheVariant").objects.exists()
    # Those whose list changes with it get a full list next (their pending transfer goes); the others don't.
    full_next = {name for name, d in after.items() if d.price_list_watermark is None}
    assert full_next == {"31 с 22", "33 без 22", "30 с 22"}
    assert set(Transfer.objects.filter(device__name__in=made).values_list("device__name", flat=True)) == {
        "31 без 22", "33 с 22"}
