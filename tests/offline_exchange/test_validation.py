import pytest
from django.core.exceptions import ValidationError

from offline_exchange.models import CashRegister, ExchangeRule, OfflineDevice
from tests.factories import CashRegisterFactory, OfflineDeviceFactory, StoreFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_device_id_longer_than_36_is_refused():
    device = OfflineDeviceFactory.build(device_id="x" * 37, rule=OfflineDeviceFactory().rule,
                                        organization=OfflineDeviceFactory().organization)
    with pytest.raises(ValidationError) as info:
        device.full_clean()
    assert "не длиннее 36 символов" in str(info.value)


def test_device_id_unique_trimmed_case_insensitive():
    existing = OfflineDeviceFactory(device_id="ABC-1")
    clash = OfflineDevice(name="Другая", organization=existing.organization, rule=existing.rule, device_id="  abc-1 ")
    with pytest.raises(ValidationError) as info:
        clash.full_clean()
    assert "уже используется" in str(info.value)


def test_one_cash_register_per_device():
    register = CashRegisterFactory()
    second = CashRegister(name="Вторая", organization=register.organization, store=register.store, device=register.device)
    with pytest.raises(ValidationError) as info:
        second.full_clean()
    assert "уже привязана другая касса ККМ" in str(info.value)


def test_rule_needs_retail_price_of_the_store():
    warehouse = WarehouseFactory(store=StoreFactory(retail_price_type=None))
    with pytest.raises(ValidationError) as info:
        ExchangeRule(name="Без цены", warehouse=warehouse).full_clean()
    assert "необходимо заполнить реквизит Розничная цена" in str(info.value)
