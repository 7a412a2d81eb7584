"""All test factories in one place."""
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from offline_exchange.models import CashRegister, ExchangeRule, OfflineDevice, PaymentKind, PaymentMapping, SkuCode
from retail.models import (
    Barcode,
    Characteristic,
    Item,
    ItemGroup,
    Organization,
    Pack,
    Price,
    PriceType,
    Store,
    Unit,
    Warehouse,
)


class PriceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceType
        django_get_or_create = ["name"]

    name = "Розничная цена"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Организация {n}")
    inn = "7701234566"
    taxation_systems = [0]


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Магазин {n}")
    address = "г. Воронеж"
    retail_price_type = factory.SubFactory(PriceTypeFactory)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    name = factory.Sequence(lambda n: f"Склад {n}")
    store = factory.SubFactory(StoreFactory)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ["okei_code"]

    name = "шт"
    okei_code = "796"


class ItemGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemGroup

    code = factory.Sequence(lambda n: f"G{n}")
    name = factory.Sequence(lambda n: f"Группа {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    name = factory.Sequence(lambda n: f"Товар {n}")
    base_unit = factory.SubFactory(UnitFactory)
    vat_rate = "20"


class CharacteristicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Characteristic

    item = factory.SubFactory(ItemFactory)
    name = factory.Sequence(lambda n: f"Размер {n}")


class PackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pack

    item = factory.SubFactory(ItemFactory)
    name = "Упаковка 6 шт"
    coefficient = Decimal("6")


class BarcodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Barcode

    value = factory.Sequence(lambda n: f"46{n:011d}")
    item = factory.SubFactory(ItemFactory)


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    price_type = factory.SubFactory(PriceTypeFactory)
    item = factory.SubFactory(ItemFactory)
    date = factory.Faker("date_object")
    value = Decimal("100.00")


class ExchangeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRule

    name = factory.Sequence(lambda n: f"Правило {n}")
    warehouse = factory.SubFactory(WarehouseFactory)


class OfflineDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfflineDevice

    name = factory.Sequence(lambda n: f"Касса {n}")
    organization = factory.SubFactory(OrganizationFactory)
    rule = factory.SubFactory(ExchangeRuleFactory)
    device_id = factory.Sequence(lambda n: f"DEV-{n:06d}")
    # The tests' registers speak 3.1, as the reference samples are written; a new device's default (3.3,
    # as 1C presets it) is tested on the model itself (tests/offline_exchange/test_exchange_2026.py).
    format_version = 3001


class PaymentKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentKind

    name = factory.Sequence(lambda n: f"Карта {n}")
    type = PaymentKind.Type.PAYMENT_CARD


class CashRegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashRegister

    name = factory.Sequence(lambda n: f"ККМ {n}")
    organization = factory.SubFactory(OrganizationFactory)
    store = factory.SubFactory(StoreFactory)
    device = factory.SubFactory(OfflineDeviceFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret")

    @factory.post_generation
    def sync(obj, create, extracted, **kwargs):
        if extracted:
            obj.groups.add(Group.objects.get_or_create(name="Выполнение синхронизации данных")[0])
        obj.save()


class PaymentMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMapping

    cash_register = factory.SubFactory(CashRegisterFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    payment_kind = factory.SubFactory(PaymentKindFactory)


class SkuCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkuCode

    number = factory.Sequence(lambda n: 500000 + n)
    item = factory.SubFactory(ItemFactory)
    characteristic = None
    pack = None
    position_key = factory.LazyAttribute(
        lambda o: SkuCode.key_for(o.item.pk, o.characteristic.pk if o.characteristic else None,
                                  o.pack.pk if o.pack else None))


# --- Customer orders (orders work) -------------------------------------------------------------------
from datetime import datetime as _datetime  # noqa: E402 - kept with the factories that use it (merges)


class CustomerOrderFactory(factory.django.DjangoModelFactory):
    """An order written as the admin writes it: through `order_save`, so it is numbered."""

    class Meta:
        model = "retail.CustomerOrder"

    number = ""
    date = _datetime(2024, 6, 1, 9, 30)
    organization = factory.SubFactory(OrganizationFactory)
    store = factory.SubFactory(StoreFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from retail.services.orders import order_save

        return order_save(order=model_class(*args, **kwargs))


class CustomerOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "retail.CustomerOrderLine"

    order = factory.SubFactory(CustomerOrderFactory)
    item = factory.SubFactory(ItemFactory)
    quantity = Decimal("1")
    price = Decimal("100.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from retail.services.orders import order_lines_write

        line = model_class(*args, **kwargs)
        order_lines_write(order=line.order, lines=[line])
        return line


def staff_client(username: str, *codenames: str, store=None):
    """A logged-in test client of a staff user holding exactly these permissions (and bound to `store`):
    rights are tested as the people who have them."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    if store is not None:
        store.staff.add(user)
    browser = Client()
    browser.force_login(user)
    return browser
