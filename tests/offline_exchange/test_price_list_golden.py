"""Price lists byte for byte: every format version in both shapes (one Good per position, and the nested
Розница 2.2 shape), full and incremental, as packages (built through the goods cache, partial items built for
their positions), as GetPriceList and from the tree builder, on a catalog with characteristics, packs,
weighed and alcohol goods, groups, balances, barcodes, dated prices and goods a format cannot carry.

The golden files under tests/offline_exchange/golden/ were written by the code as it stood before the
price list's steps were split up (no behaviour change was intended). When a change of the output is
intended, regenerate them and review the diff:

    GOLDEN_REGENERATE=1 /work/main/.venv/bin/python -m pytest -p no:cacheprovider \
        tests/offline_exchange/test_price_list_golden.py

The same files hold on SQLite and PostgreSQL.
"""
import datetime as dt
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from offline_exchange.format.builders import build_price_list
from offline_exchange.format.versions import FORMATS
from offline_exchange.models import OfflineDevice, SkuCode
from offline_exchange.services import price_list
from offline_exchange.services.price_list import device_format, price_list_collect
from offline_exchange.services.transfers import package_next, price_list_deliver, transfer_prepare
from retail.models import (
    Barcode,
    Characteristic,
    Item,
    ItemGroup,
    Pack,
    Price,
    StockBalance,
    Unit,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = bool(os.environ.get("GOLDEN_REGENERATE"))
DAY = dt.date(2025, 3, 10)
NEXT_DAY = DAY + dt.timedelta(days=1)
SHAPES = [OfflineDevice.GoodsShape.POSITIONS, OfflineDevice.GoodsShape.NESTED]
# Every version in both shapes; and one device on a rule without groups, without balances or VAT 22 %,
# its list in one package.
DEVICES = [(code, shape.value, "") for code in sorted(FORMATS) for shape in SHAPES] + [(3001, "positions", "bare")]


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


class Catalog:
    """Every row named and numbered explicitly (UUIDs, codes, SKU numbers): the output depends on nothing
    the database or the factories' counters choose."""

    def __init__(self, warehouse):
        self.warehouse = warehouse
        self.price_type = warehouse.store.retail_price_type
        self.n = 1000

    def next_uuid(self) -> uuid.UUID:
        self.n += 1
        return uid(self.n)

    def unit(self, name, okei):
        return Unit.objects.create(uuid=self.next_uuid(), name=name, okei_code=okei)

    def group(self, code, name, parent=None):
        return ItemGroup.objects.create(uuid=self.next_uuid(), code=code, name=name, parent=parent)

    def item(self, name, unit, *, sku=None, **fields):
        item = Item.objects.create(uuid=self.next_uuid(), name=name, base_unit=unit, **fields)
        if sku is not None:
            self.sku(sku, item)
        return item

    def characteristic(self, item, name, sku=None):
        ch = Characteristic.objects.create(uuid=self.next_uuid(), item=item, name=name)
        if sku is not None:
            self.sku(sku, item, ch)
        return ch

    def pack(self, item, name, coefficient, sku=None):
        pack = Pack.objects.create(uuid=self.next_uuid(), item=item, name=name, coefficient=Decimal(coefficient))
        if sku is not None:
            self.sku(sku, item, None, pack)
        return pack

    @staticmethod
    def sku(number, item, ch=None, pack=None):
        SkuCode.objects.create(number=number, item=item, characteristic=ch, pack=pack,
                               position_key=SkuCode.key_for(item.pk, ch.pk if ch else None, pack.pk if pack else None))

    def price(self, item, value, date, ch=None):
        Price.objects.create(price_type=self.price_type, item=item, characteristic=ch, date=date, value=Decimal(value))

    def balance(self, item, quantity, ch=None):
        StockBalance.objects.create(warehouse=self.warehouse, item=item, characteristic=ch, quantity=Decimal(quantity))

    @staticmethod
    def barcode(value, item, ch=None, pack=None, kind=""):
        Barcode.objects.create(value=value, item=item, characteristic=ch, pack=pack, barcode_type=kind)


def catalog_create(warehouse) -> dict:
    c = Catalog(warehouse)
    pcs, kg, litre = c.unit("шт", "796"), c.unit("кг", "166"), c.unit("л", "112")
    clothes = c.group("Г-01", "Одежда")
    shirts = c.group("Г-02", "Футболки", clothes)
    shoes = c.group("Г-03", "Обувь", clothes)
    food = c.group("Г-04", "Продукты")
    fruit = c.group("Г-05", "Фрукты", food)
    drinks = c.group("Г-06", "Напитки", food)
    old, older, later = dt.date(2024, 1, 1), dt.date(2023, 6, 1), NEXT_DAY

    # Characteristics and packs: a characteristic without an SKU, a pack position without one, prices of
    # the item and of a characteristic (the latest in force, a later one not yet), balances of some
    # characteristics (one negative), barcodes of the item, a characteristic and a characteristic's pack.
    shirt = c.item("Футболка", pcs, sku=100000, vat_rate="20", group=shirts, article="ФТ-01",
                   description="Хлопок 100 %")
    chars = {name: c.characteristic(shirt, name, sku) for name, sku in (("L", 100001), ("M", 100002), ("S", 100003))}
    chars["XL"] = c.characteristic(shirt, "XL")
    two, ten = c.pack(shirt, "Упаковка 2 шт", "2"), c.pack(shirt, "Коробка 10 шт", "10")
    number = 100004
    for name in ("L", "M", "S"):
        for pack in (two, ten):
            if (name, pack) != ("S", ten):
                c.sku(number, shirt, chars[name], pack)
            number += 1
    # XL has no code of its own, its pack position has: sent as a position, left out of the nested shape.
    c.sku(100090, shirt, chars["XL"], two)
    c.balance(shirt, "4", chars["XL"])
    c.price(shirt, "90", older)
    c.price(shirt, "100", old)
    c.price(shirt, "110", old, chars["M"])
    c.price(shirt, "120", dt.date(2024, 6, 1), chars["M"])
    c.price(shirt, "95", later, chars["L"])
    c.balance(shirt, "5", chars["S"])
    c.balance(shirt, "3", chars["L"])
    c.balance(shirt, "-2", chars["M"])
    c.barcode("4600000000011", shirt, chars["S"], kind="EAN13")
    c.barcode("4600000000028", shirt, chars["S"], two)
    c.barcode("4600000000103", shirt)

    # Marked (shoes): carried from 3.1; a size whose SKU is the only position.
    sneakers = c.item("Кроссовки", pcs, sku=100020, vat_rate="20", group=shoes, marking_kind=3)
    sizes = {size: c.characteristic(sneakers, size, 100020 + i) for i, size in enumerate(("41", "42", "43"), start=1)}
    c.price(sneakers, "3500", old)
    c.balance(sneakers, "2", sizes["42"])
    c.barcode("4600000000110", sneakers, sizes["41"])

    # Packs only; the item's balance in two warehouses (only the rule's counts).
    water = c.item("Вода", pcs, sku=100010, vat_rate="10", group=drinks)
    six, twelve = c.pack(water, "Упаковка 6 шт", "6", 100011), c.pack(water, "Упаковка 12 шт", "12", 100012)
    c.price(water, "45", older)
    c.price(water, "50", old)
    c.balance(water, "24")
    StockBalance.objects.create(warehouse=f.WarehouseFactory(store=warehouse.store), item=water, quantity=Decimal(99))
    c.barcode("4600000000035", water)
    c.barcode("4600000000042", water, None, six, kind="EAN13")

    # Weighed: its scale code, no barcodes, a pack of a fraction of a kilogram.
    apples = c.item("Яблоки, вес.", kg, sku=42, vat_rate="10", group=fruit, is_weight=True)
    c.pack(apples, "Лоток 0,3 кг", "0.3", 43)
    c.price(apples, "129.90", old)
    c.balance(apples, "12.5")
    c.barcode("2200042000000", apples)

    # Alcohol with its attributes, classification code and excise (3.2 and 3.3 attributes).
    wine = c.item("Вино красное", litre, sku=100030, vat_rate="20", group=drinks, is_alcohol=True,
                  alcohol_is_excisable=True, alcohol_kind_code="400", alcohol_volume=Decimal("0.75"),
                  alcohol_strength=Decimal("12.5"), alcohol_vendor_inn="7701234566", alcohol_vendor_kpp="770101001",
                  classification_code="2204", is_excisable=True, marking_kind=5, calculation_subject=2)
    c.price(wine, "899.99", old)
    c.balance(wine, "0")

    # VAT rates some formats cannot carry: 5 % (3.1, 3.3) and 22 % (with the device setting).
    juice = c.item("Сок яблочный", pcs, sku=100040, vat_rate="5", group=drinks)
    c.price(juice, "80", old)
    bread = c.item("Хлеб", pcs, sku=100050, vat_rate="22", group=food)
    c.price(bread, "40", old)
    c.balance(bread, "10")

    # No price, no group, a name and an article to escape; a service; an item without an SKU.
    cookies = c.item('Печенье "Юбилейное" <к чаю> & Ко', pcs, sku=100060, vat_rate="none", article="П&К-1",
                     description="Строка 1\nстрока 2")
    c.balance(cookies, "1.25")
    delivery = c.item("Доставка", pcs, sku=100070, vat_rate="20", kind=Item.Kind.SERVICE, calculation_subject=4)
    c.price(delivery, "300", old)
    c.item("Без кода", pcs, vat_rate="20", group=food)
    return dict(c=c, shirt=shirt, chars=chars, two=two, ten=ten, sneakers=sneakers, sizes=sizes, water=water,
                twelve=twelve, apples=apples, wine=wine, fruit=fruit, kg=kg, drinks=drinks)


@pytest.fixture
def shop(monkeypatch):
    monkeypatch.setattr(price_list, "price_day", lambda: DAY)
    warehouse = f.WarehouseFactory()
    rule = f.ExchangeRuleFactory(warehouse=warehouse, export_groups=True)
    bare_rule = f.ExchangeRuleFactory(warehouse=warehouse, export_groups=False)
    catalog = catalog_create(warehouse)
    devices = {}
    for code, shape, kind in DEVICES:
        if kind == "bare":
            devices[(code, shape, kind)] = f.OfflineDeviceFactory(
                rule=bare_rule, format_version=code, goods_shape=shape, export_balances=False,
                items_per_package=0)
        else:
            devices[(code, shape, kind)] = f.OfflineDeviceFactory(rule=rule, format_version=code, goods_shape=shape,
                                                                  items_per_package=4)
    return catalog, devices


def transfer_documents(device, *, full: bool) -> list[bytes]:
    device = OfflineDevice.objects.get(pk=device.pk)
    transfer = transfer_prepare(device=device, full=full)
    assert transfer.state == "ready", transfer.error
    documents = []
    while True:
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
        assert answer.formed
        documents.append(answer.content)
        if answer.transfer_completed:
            return documents


def changes_first(catalog) -> None:
    """A characteristic's price, balance and pack position's SKU, a pack's name and barcode, an item's name,
    a size gone, a group renamed, a new item."""
    c, chars = catalog["c"], catalog["chars"]
    Price.objects.filter(item=catalog["shirt"], characteristic=chars["M"], value=Decimal("120")).update(value=Decimal("130"))
    StockBalance.objects.filter(characteristic=chars["S"]).update(quantity=Decimal(7))
    Pack.objects.filter(pk=catalog["ten"].pk).update(name="Коробка 10 шт.")
    SkuCode.objects.filter(number=100006).update(number=100106)
    c.barcode("4600000000059", catalog["water"], None, catalog["twelve"])
    Item.objects.filter(pk=catalog["wine"].pk).update(name="Вино красное сухое")
    Characteristic.objects.filter(pk=catalog["sizes"]["43"].pk).delete()
    ItemGroup.objects.filter(pk=catalog["fruit"].pk).update(name="Фрукты и ягоды")
    novelty = c.item("Новинка", catalog["kg"], sku=100080, vat_rate="10", group=catalog["drinks"], is_weight=False)
    c.price(novelty, "12.34", dt.date(2025, 3, 1))


def changes_second(catalog, monkeypatch) -> None:
    """The next day (L's dated price comes into force), a unit renamed and a characteristic's barcode."""
    monkeypatch.setattr(price_list, "price_day", lambda: NEXT_DAY)
    Unit.objects.filter(pk=catalog["kg"].pk).update(name="килограмм")
    catalog["c"].barcode("4600000000073", catalog["shirt"], catalog["chars"]["L"])


def golden_text(sections: list[tuple[str, bytes]]) -> bytes:
    return b"".join(f"== {title} ==\n".encode() + content + b"\n" for title, content in sections)


def test_price_lists_are_byte_for_byte_the_golden_ones(shop, monkeypatch):
    catalog, devices = shop
    sections = {key: [] for key in devices}
    for key, device in devices.items():
        collected = price_list_collect(device=device, full=True)
        sections[key].append((f"collected full list (left out: {collected.left_out or '-'}; without SKU "
                              f"{collected.skipped_without_sku}, without price {collected.without_price})",
                              build_price_list(collected.data, device_format(device))))
        for number, document in enumerate(transfer_documents(device, full=True), start=1):
            sections[key].append((f"full transfer, package {number}", document))
    changes_first(catalog)
    for key, device in devices.items():
        for number, document in enumerate(transfer_documents(device, full=False), start=1):
            sections[key].append((f"incremental transfer, package {number}", document))
    changes_second(catalog, monkeypatch)
    for key, device in devices.items():
        sections[key].append(("GetPriceList, the next day", price_list_deliver(device=device)))

    differ = []
    for (code, shape, kind), parts in sections.items():
        path = GOLDEN / f"price_list_{code}_{shape}{'_' + kind if kind else ''}.txt"
        text = golden_text(parts)
        if REGENERATE:
            GOLDEN.mkdir(exist_ok=True)
            path.write_bytes(text)
        elif not path.exists() or path.read_bytes() != text:
            differ.append(path.name)
    assert not differ, f"differ from the golden files: {differ} (the module's docstring says how to regenerate)"
