"""One Good per position (PROTOCOL §5.1): the four shapes, composed names, price and balance at the leaf,
the item's UUID on each; weighed goods by their 5-digit scale code; goods a format cannot carry left out."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.format.builders import build_price_list, build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import get_format
from offline_exchange.models import CachedGood, OfflineDevice
from offline_exchange.services.exports import orders_export
from offline_exchange.services.goods_cache import goods_cache_key
from offline_exchange.services.price_list import device_format, price_list_collect, price_list_goods_serialized
from offline_exchange.services.sales import SUCCESS, post_docs
from retail.models import (
    Barcode,
    CustomerOrder,
    CustomerOrderLine,
    Price,
    SalesReportGoodsLine,
    StockBalance,
)
from tests import factories as f
from tests.conftest import assert_valid_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    warehouse = f.WarehouseFactory()
    price_type = warehouse.store.retail_price_type
    device = f.OfflineDeviceFactory(rule=f.ExchangeRuleFactory(warehouse=warehouse, export_groups=False))
    kg = f.UnitFactory(name="кг", okei_code="166")

    shirt = f.ItemFactory(name="Футболка", vat_rate="20")
    chars = {name: f.CharacteristicFactory(item=shirt, name=name) for name in ("S", "M", "L")}
    packs = [f.PackFactory(item=shirt, name="Упаковка 2 шт", coefficient=Decimal(2)),
             f.PackFactory(item=shirt, name="Коробка 10 шт", coefficient=Decimal(10))]
    f.SkuCodeFactory(number=100000, item=shirt)
    for number, name in ((100001, "L"), (100002, "M"), (100003, "S")):
        f.SkuCodeFactory(number=number, item=shirt, characteristic=chars[name])
    number = 100004
    for name in ("L", "M", "S"):
        for pack in packs:
            f.SkuCodeFactory(number=number, item=shirt, characteristic=chars[name], pack=pack)
            number += 1
    Price.objects.create(price_type=price_type, item=shirt, date=dt.date(2024, 1, 1), value=Decimal("100"))
    Price.objects.create(price_type=price_type, item=shirt, characteristic=chars["M"], date=dt.date(2024, 1, 1),
                         value=Decimal("120"))
    StockBalance.objects.create(warehouse=warehouse, item=shirt, characteristic=chars["S"], quantity=Decimal(5))
    StockBalance.objects.create(warehouse=warehouse, item=shirt, characteristic=chars["L"], quantity=Decimal(3))
    Barcode.objects.create(value="4600000000011", item=shirt, characteristic=chars["S"])
    Barcode.objects.create(value="4600000000028", item=shirt, characteristic=chars["S"], pack=packs[0])

    water = f.ItemFactory(name="Вода", vat_rate="10")
    six = f.PackFactory(item=water, name="Упаковка 6 шт", coefficient=Decimal(6))
    twelve = f.PackFactory(item=water, name="Упаковка 12 шт", coefficient=Decimal(12))
    f.SkuCodeFactory(number=100010, item=water)
    f.SkuCodeFactory(number=100011, item=water, pack=six)
    f.SkuCodeFactory(number=100012, item=water, pack=twelve)
    Price.objects.create(price_type=price_type, item=water, date=dt.date(2024, 1, 1), value=Decimal("50"))
    StockBalance.objects.create(warehouse=warehouse, item=water, quantity=Decimal(24))
    Barcode.objects.create(value="4600000000035", item=water)
    Barcode.objects.create(value="4600000000042", item=water, pack=six)

    apples = f.ItemFactory(name="Яблоки, вес.", vat_rate="10", is_weight=True, base_unit=kg)
    f.SkuCodeFactory(number=42, item=apples)
    Price.objects.create(price_type=price_type, item=apples, date=dt.date(2024, 1, 1), value=Decimal("129.90"))
    StockBalance.objects.create(warehouse=warehouse, item=apples, quantity=Decimal("12.5"))
    Barcode.objects.create(value="2200042000000", item=apples)  # printed by the scales: not sent
    return device, shirt, water, apples


def describe(good):
    """(name, Good@Code, flags, then the leaf: code, price, balance, units per pack, barcodes)."""
    ch = good.find("{*}Characteristics/{*}Characteristic")
    pack = good.find(".//{*}Pack")
    leaf = pack if pack is not None else ch if ch is not None else good
    assert len(good.findall(".//{*}Characteristic")) <= 1 and len(good.findall(".//{*}Pack")) <= 1
    assert not (good.get("HasPacks") and good.get("HasCharacteristics"))  # never both on one Good
    if leaf is not good:
        assert good.get("Code") is None and good.get("Price") is None and good.get("Balance") is None
    if ch is not None and pack is not None:
        assert ch.get("HasPacks") == "true" and ch.get("Code") is None and ch.get("Price") is None
    return (good.get("Name"), good.get("HasCharacteristics"), good.get("HasPacks"),
            ch.get("Name") if ch is not None else None, pack.get("Name") if pack is not None else None,
            leaf.get("Code"), leaf.get("Price"), leaf.get("Balance"),
            pack.get("UnitsPerPack") if pack is not None else None,
            [b.get("Value") for b in leaf.findall("{*}Barcodes/{*}Barcode")])


T = "true"
EXPECTED = [
    ("Футболка (L)", T, None, "L", None, "100001", "100.00", "3.000", None, []),
    ("Футболка (M)", T, None, "M", None, "100002", "120.00", None, None, []),
    ("Футболка (S)", T, None, "S", None, "100003", "100.00", "5.000", None, ["4600000000011"]),
    ("Футболка (L), Упаковка 2 шт", T, None, "L", "Упаковка 2 шт", "100004", "200.00", "3.000", "2.000", []),
    ("Футболка (L), Коробка 10 шт", T, None, "L", "Коробка 10 шт", "100005", "1000.00", "3.000", "10.000", []),
    ("Футболка (M), Упаковка 2 шт", T, None, "M", "Упаковка 2 шт", "100006", "240.00", None, "2.000", []),
    ("Футболка (M), Коробка 10 шт", T, None, "M", "Коробка 10 шт", "100007", "1200.00", None, "10.000", []),
    ("Футболка (S), Упаковка 2 шт", T, None, "S", "Упаковка 2 шт", "100008", "200.00", "5.000", "2.000",
     ["4600000000028"]),
    ("Футболка (S), Коробка 10 шт", T, None, "S", "Коробка 10 шт", "100009", "1000.00", "5.000", "10.000", []),
    ("Вода", None, None, None, None, "100010", "50.00", "24.000", None, ["4600000000035"]),
    ("Вода, Упаковка 6 шт", None, T, None, "Упаковка 6 шт", "100011", "300.00", "24.000", "6.000", ["4600000000042"]),
    ("Вода, Упаковка 12 шт", None, T, None, "Упаковка 12 шт", "100012", "600.00", "24.000", "12.000", []),
    ("Яблоки, вес.", None, None, None, None, "00042", "129.90", "12.500", None, []),
]


def listed(device):
    data = price_list_collect(device=device, full=True).data
    return assert_valid_as(3001, build_price_list(data, device_format(device)))


def test_one_good_per_position_exactly_as_protocol_5_1(shop):
    device, shirt, water, apples = shop
    root = listed(device)
    goods = root.findall("{*}Goods/{*}Good")
    assert [describe(g) for g in goods] == EXPECTED
    # The item's UUID on every one of its positions.
    assert [g.get("UUID") for g in goods] == [str(shirt.uuid)] * 9 + [str(water.uuid)] * 3 + [str(apples.uuid)]
    weighed = goods[-1]
    assert weighed.get("IsWeight") == "true" and weighed.find("{*}Barcodes") is None


def test_the_cache_holds_all_positions_of_an_item_in_one_row(shop):
    device, shirt, water, apples = shop
    served = price_list_goods_serialized(device=device, ids=[shirt.pk, water.pk, apples.pk])
    assert len(served) == 3 and served[0].count(b"<Good ") == 9 and served[1].count(b"<Good ") == 3
    rows = CachedGood.objects.filter(variant_id=goods_cache_key(device=device))
    assert rows.count() == 3
    # Byte for byte the Goods the tree builder writes for the same items.
    whole = build_price_list(price_list_collect(device=device, full=True).data, device_format(device))
    assert b"<Goods>" + b"".join(served) + b"</Goods>" in whole
    # The shape and the format are part of the variant: a nested device, a 3.3 one read other rows.
    nested = f.OfflineDeviceFactory(rule=device.rule, goods_shape=OfflineDevice.GoodsShape.NESTED)
    assert goods_cache_key(device=nested) != goods_cache_key(device=device)
    newest = f.OfflineDeviceFactory(rule=device.rule, format_version=3003)
    assert goods_cache_key(device=newest) not in {goods_cache_key(device=device), goods_cache_key(device=nested)}


def test_the_nested_shape_keeps_positions_inside_the_item(shop):
    device, shirt, water, apples = shop
    device.goods_shape = OfflineDevice.GoodsShape.NESTED
    device.save()
    goods = listed(device).findall("{*}Goods/{*}Good")
    assert [g.get("Name") for g in goods] == ["Футболка", "Вода", "Яблоки, вес."]
    chars = goods[0].findall("{*}Characteristics/{*}Characteristic")
    assert [(c.get("Name"), c.get("Code"), len(c.findall("{*}Packs/{*}Pack"))) for c in chars] == [
        ("L", "100001", 2), ("M", "100002", 2), ("S", "100003", 2)]
    assert [p.get("Code") for p in goods[1].findall("{*}Packs/{*}Pack")] == ["100011", "100012"]
    assert goods[2].get("Code") == "00042" and goods[2].find("{*}Barcodes") is None


def test_weighed_codes_round_trip_through_an_order_and_a_sale(shop):
    device, shirt, water, apples = shop
    register = f.CashRegisterFactory(device=device)
    order = CustomerOrder.objects.create(number="З-1", date=dt.datetime(2024, 6, 1, 9), courier_cash_register=register,
                                         status=CustomerOrder.Status.AGREED, store=register.store,
                                         organization=register.organization)
    CustomerOrderLine.objects.create(order=order, item=apples, quantity=Decimal("1.5"), price=Decimal("129.90"),
                                     amount=Decimal("194.85"))
    line = assert_valid_as(3001, orders_export(device=device)).find(".//{*}Order/{*}Goods/{*}Good")
    assert line.get("Code") == "00042"

    # The register names the position by the code it received; "42" (a register that trims zeros) is the same SKU.
    lines = [CheckLineDoc(line=0, code=code, quantity=Decimal("1"), price=Decimal("129.90"), amount=Decimal("129.90"),
                          tax_rate="10", payment_method=4) for code in ("00042", "42")]
    # A piece position's code with leading zeros names its SKU too.
    lines.append(CheckLineDoc(line=0, code="0100011", quantity=Decimal("1"), price=Decimal("300.00"),
                              amount=Decimal("300.00"), tax_rate="10", payment_method=4))
    shift = SaleReportDoc(line=0, shift_number="1", opened_at=dt.datetime(2024, 6, 1, 9),
                          closed_at=dt.datetime(2024, 6, 1, 21), shift_state=1, uuid=uuid.uuid4(), checks=[CheckDoc(
                              line=0, date=dt.datetime(2024, 6, 1, 10), number="1", taxation_system=0,
                              operation_type=1, uuid=uuid.uuid4(), lines=lines,
                              payments=[PaymentDoc(Decimal("559.80"), *[Decimal(0)] * 4)])])
    result = post_docs(device=device, doc_type="SaleReports", document=build_sale_reports([shift], get_format(3001)))
    assert (result.success, result.description) == (True, SUCCESS)
    weighed, pack = SalesReportGoodsLine.objects.order_by("line_number")
    assert (weighed.item, weighed.pack, weighed.quantity, weighed.amount) == (apples, None, Decimal("2.000"),
                                                                               Decimal("259.80"))
    assert (pack.item, pack.pack.name, pack.quantity, pack.amount) == (water, "Упаковка 6 шт", Decimal("6.000"),
                                                                       Decimal("300.00"))
    assert result.reports[0].posted


def test_vat_22_uploads_count_vat_as_22_of_122(shop):
    device, shirt, water, apples = shop
    f.CashRegisterFactory(device=device)
    lines = [CheckLineDoc(line=0, code="100010", quantity=Decimal("2"), price=Decimal("61.00"),
                          amount=Decimal("122.00"), tax_rate="22", payment_method=4)]
    shift = SaleReportDoc(line=0, shift_number="1", opened_at=dt.datetime(2026, 1, 5, 9),
                          closed_at=dt.datetime(2026, 1, 5, 21), shift_state=1, uuid=uuid.uuid4(), checks=[CheckDoc(
                              line=0, date=dt.datetime(2026, 1, 5, 10), number="1", taxation_system=0,
                              operation_type=1, uuid=uuid.uuid4(), lines=lines,
                              payments=[PaymentDoc(Decimal("122.00"), *[Decimal(0)] * 4)])])
    result = post_docs(device=device, doc_type="SaleReports", document=build_sale_reports([shift], get_format(3001)))
    assert (result.success, result.description) == (True, SUCCESS)
    [row] = SalesReportGoodsLine.objects.all()
    assert (row.vat_rate, row.vat_amount) == ("22", Decimal("22.00"))  # 122 × 22 / 122
    assert result.reports[0].vat_total == Decimal("22.00")


@pytest.mark.parametrize("code", [3000, 3001, 3002, 3003])
def test_vat_22_goods_go_to_3_3_and_are_held_back_below(shop, code):
    device, shirt, water, apples = shop
    water.vat_rate = "22"
    water.save()
    device.format_version = code
    device.save()
    data = price_list_collect(device=device, full=True)
    root = assert_valid_as(code, build_price_list(data.data, device_format(device)))  # the 2026 schema
    names = [g.get("Name") for g in root.findall("{*}Goods/{*}Good")]
    if code == 3003:
        assert {g.get("TaxRate") for g in root.findall("{*}Goods/{*}Good") if g.get("Name").startswith("Вода")} == {"22"}
        assert not data.left_out
    else:  # held back and named, with the way out; the other goods go
        assert not any(name.startswith("Вода") for name in names) and len(names) == 10
        assert data.left_out.startswith(
            f"Не переданы на кассу (формат обмена {device_format(device).label} их не передает): «Вода» (ставку НДС 22%). "
            "Переведите кассу на формат обмена 3.3")


def test_goods_a_format_cannot_carry_are_named_on_the_item_page(shop, admin_client):
    from django.urls import reverse

    device, shirt, water, apples = shop
    device.format_version = 3002
    device.save()
    water.vat_rate = "5"
    water.save()
    page = admin_client.get(reverse("admin:retail_item_change", args=[water.pk])).content.decode()
    assert f"Формат обмена кассы «{device.name}» (3.2) не передает ставку НДС 5%" in page
    page = admin_client.get(reverse("admin:retail_item_change", args=[shirt.pk])).content.decode()
    assert "не передает" not in page


def test_the_console_warns_on_the_devices_line(shop, admin_client):
    from django.urls import reverse

    from offline_exchange.services.transfers import transfer_prepare

    device, shirt, water, apples = shop
    water.vat_rate = "22"
    water.save()
    transfer = transfer_prepare(device=device, full=True)
    assert transfer.goods_count == 2 and "«Вода» (ставку НДС 22%)" in transfer.left_out
    page = admin_client.get(reverse("admin:offline_exchange_exchangeconsole_changelist")).content.decode()
    assert "⚠ Не переданы на кассу (формат обмена 3.1 их не передает): «Вода» (ставку НДС 22%)" in page


def test_switching_to_3_3_in_the_admin_sends_the_goods_held_back(shop, admin_client):
    """Goods held back (VAT 22 % on 3.1) were never sent: the device page names them and switches the
    register to 3.3 in one click; the next list is full and carries them."""
    from django.urls import reverse

    from offline_exchange.services.transfers import package_next, transfer_prepare

    device, shirt, water, apples = shop
    water.vat_rate = "22"
    water.save()

    def delivered(full):
        transfer = transfer_prepare(device=device, full=full)
        names = []
        while True:
            answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
            assert_valid_as(device.format_version, answer.content)
            names += [g.get("Name") for g in etree.fromstring(answer.content).iter("{*}Good")]
            if answer.transfer_completed:
                return transfer, names

    _transfer, names = delivered(full=True)
    assert "Вода" not in names
    page_url = reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])
    page = admin_client.get(page_url).content.decode()
    assert "Товары, которые не выгружаются на кассу: 1" in page and "«Вода» — ставку НДС 22%" in page
    assert "Перевести кассу на формат 3.3" in page
    response = admin_client.post(reverse("admin:offline_exchange_offlinedevice_format_switch", args=[device.pk]))
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.format_version == 3003 and device.price_list_watermark is None  # the next list is full
    transfer, names = delivered(full=False)  # the register asks for changes; it gets the whole list
    assert transfer.full and "Вода" in names and len(names) == 13
    assert "не выгружаются на кассу" not in admin_client.get(page_url).content.decode()
