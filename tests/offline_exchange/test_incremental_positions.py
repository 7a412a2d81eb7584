"""An incremental list carries the changed positions, not every position of a changed item (PROTOCOL §5.2,
issue «formats» item 2): the feed records which positions a write is about, and the per-position shape sends
only those; the nested Розница 2.2 shape, one Good per item, sends the item whole."""
import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.models import ChangeFeedEntry, OfflineDevice, SkuCode, TransferPackage
from offline_exchange.services import price_list
from offline_exchange.services.transfers import package_next, price_list_deliver, transfer_prepare
from retail.models import Barcode, Characteristic, Item, Pack, Price, StockBalance
from tests.conftest import assert_valid_as
from tests.offline_exchange.test_change_feed import transfer_list
from tests.offline_exchange.test_price_list_positions import shop  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def listed(device: OfflineDevice, *, per_package: int = 0) -> OfflineDevice:
    device.items_per_package = per_package
    device.save()
    assert transfer_list(device, full=True)
    return OfflineDevice.objects.get(pk=device.pk)


def names(goods) -> list[str]:
    return [good.get("Name") for good in goods]


def leaf(good):
    pack = good.find(".//{*}Pack")
    ch = good.find("{*}Characteristics/{*}Characteristic")
    return pack if pack is not None else ch if ch is not None else good


def test_a_characteristics_price_sends_that_characteristics_positions_only(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Price.objects.filter(characteristic__name="M").update(value=Decimal("130"))
    goods = transfer_list(device)
    assert names(goods) == ["Футболка (M)", "Футболка (M), Упаковка 2 шт", "Футболка (M), Коробка 10 шт"]
    assert [leaf(g).get("Price") for g in goods] == ["130.00", "260.00", "1300.00"]
    assert {g.get("UUID") for g in goods} == {str(shirt.uuid)}
    assert transfer_list(device) == []


def test_a_barcode_sends_its_own_position_only(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    twelve = Pack.objects.get(item=water, coefficient=12)
    Barcode.objects.create(value="4600000000059", item=water, pack=twelve)
    [good] = transfer_list(device)
    assert good.get("Name") == "Вода, Упаковка 12 шт"
    assert [b.get("Value") for b in leaf(good).findall("{*}Barcodes/{*}Barcode")] == ["4600000000059"]
    # The plain position's barcode is the plain position's: not its packs'.
    Barcode.objects.filter(value="4600000000035").update(value="4600000000066")
    assert names(transfer_list(device)) == ["Вода"]


def test_a_barcode_moved_between_positions_resends_both(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Barcode.objects.filter(value="4600000000028").update(characteristic=Characteristic.objects.get(item=shirt, name="L"))
    goods = transfer_list(device)
    assert names(goods) == ["Футболка (L), Упаковка 2 шт", "Футболка (S), Упаковка 2 шт"]
    assert [[b.get("Value") for b in leaf(g).findall("{*}Barcodes/{*}Barcode")] for g in goods] == [
        ["4600000000028"], []]


def test_a_pack_sends_its_positions_of_every_characteristic(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Pack.objects.filter(item=shirt, coefficient=10).update(name="Коробка 10 шт.")
    assert names(transfer_list(device)) == [
        "Футболка (L), Коробка 10 шт.", "Футболка (M), Коробка 10 шт.", "Футболка (S), Коробка 10 шт."]


def test_a_characteristics_balance_and_sku_send_their_positions(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    StockBalance.objects.filter(characteristic__name="S").update(quantity=Decimal(7))
    goods = transfer_list(device)
    assert names(goods) == ["Футболка (S)", "Футболка (S), Упаковка 2 шт", "Футболка (S), Коробка 10 шт"]
    assert {leaf(g).get("Balance") for g in goods} == {"7.000"}
    # A position's new code is that position's change alone.
    SkuCode.objects.filter(number=100006).update(number=100106)
    [good] = transfer_list(device)
    assert good.get("Name") == "Футболка (M), Упаковка 2 шт" and leaf(good).get("Code") == "100106"


@pytest.mark.parametrize("change", ["item", "base price", "unit"])
def test_what_every_position_shows_sends_every_position(shop, change):
    device, shirt, water, apples = shop
    device = listed(device)
    if change == "item":
        Item.objects.filter(pk=shirt.pk).update(name="Футболка хлопок")
    elif change == "base price":
        Price.objects.filter(item=shirt, characteristic=None).update(value=Decimal("101"))
    else:
        shirt.base_unit.__class__.objects.filter(pk=shirt.base_unit_id).update(name="штука")
    goods = [g for g in transfer_list(device) if g.get("UUID") == str(shirt.uuid)]
    assert len(goods) == 9


def test_a_characteristic_gone_sends_the_item_as_it_now_is(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Characteristic.objects.filter(item=shirt, name="L").delete()
    assert names(transfer_list(device)) == [
        "Футболка (M)", "Футболка (S)", "Футболка (M), Упаковка 2 шт", "Футболка (M), Коробка 10 шт",
        "Футболка (S), Упаковка 2 шт", "Футболка (S), Коробка 10 шт"]


def test_changes_of_several_positions_of_one_item_add_up(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Price.objects.filter(characteristic__name="M").update(value=Decimal("125"))
    Barcode.objects.create(value="4600000000073", item=shirt, characteristic=Characteristic.objects.get(name="L"))
    assert names(transfer_list(device)) == [
        "Футболка (L)", "Футболка (M)", "Футболка (M), Упаковка 2 шт", "Футболка (M), Коробка 10 шт"]


def test_the_nested_shape_sends_a_changed_item_whole(shop):
    device, shirt, water, apples = shop
    device.goods_shape = OfflineDevice.GoodsShape.NESTED
    device = listed(device)
    Price.objects.filter(characteristic__name="M").update(value=Decimal("130"))
    [good] = transfer_list(device)
    assert good.get("Name") == "Футболка"
    assert [c.get("Name") for c in good.findall("{*}Characteristics/{*}Characteristic")] == ["L", "M", "S"]


def test_a_characteristics_dated_price_sends_its_positions_on_its_day(shop, monkeypatch):
    device, shirt, water, apples = shop
    device = listed(device)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    ch = Characteristic.objects.get(item=shirt, name="S")
    Price.objects.create(price_type=device.rule.warehouse.store.retail_price_type, item=shirt, characteristic=ch,
                         date=tomorrow, value=Decimal("90"))
    # Today the write itself goes, with today's price.
    assert [leaf(g).get("Price") for g in transfer_list(device)] == ["100.00", "200.00", "1000.00"]
    monkeypatch.setattr(price_list, "price_day", lambda: tomorrow)
    goods = transfer_list(device)
    assert names(goods) == ["Футболка (S)", "Футболка (S), Упаковка 2 шт", "Футболка (S), Коробка 10 шт"]
    assert [leaf(g).get("Price") for g in goods] == ["90.00", "180.00", "900.00"]


def test_packages_carry_whole_and_partial_items_and_validate(shop):
    """Packages of one item each: the whole item comes from the goods cache (its block), the partial one is
    built for its positions; each package is a valid document of the device's version."""
    device, shirt, water, apples = shop
    device = listed(device, per_package=1)
    Price.objects.filter(characteristic__name="M").update(value=Decimal("135"))
    Item.objects.filter(pk=water.pk).update(name="Вода питьевая")
    device = OfflineDevice.objects.get(pk=device.pk)
    transfer = transfer_prepare(device=device, full=False)
    packages = list(TransferPackage.objects.filter(transfer=transfer).order_by("number"))
    assert len(packages) == 2 and packages[0].positions and not packages[1].positions
    seen = []
    for _number in packages:
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
        root = etree.fromstring(answer.content)
        price_list_element = root.find("{*}PriceList")
        assert_valid_as(device.format_version, etree.tostring(price_list_element))
        seen += names(price_list_element.iter("{*}Good"))
    assert seen == ["Футболка (M)", "Футболка (M), Упаковка 2 шт", "Футболка (M), Коробка 10 шт", "Вода питьевая",
                    "Вода питьевая, Упаковка 6 шт", "Вода питьевая, Упаковка 12 шт"]


def test_get_price_list_carries_the_changed_positions_too(shop):
    device, shirt, water, apples = shop
    device = listed(device)
    Price.objects.filter(characteristic__name="M").update(value=Decimal("140"))
    Item.objects.filter(pk=apples.pk).update(name="Яблоки красные, вес.")
    root = assert_valid_as(device.format_version, price_list_deliver(device=OfflineDevice.objects.get(pk=device.pk)))
    assert names(root.iter("{*}Good")) == [
        "Яблоки красные, вес.", "Футболка (M)", "Футболка (M), Упаковка 2 шт", "Футболка (M), Коробка 10 шт"]


def test_the_feed_records_the_positions_a_write_is_about(shop):
    device, shirt, water, apples = shop
    start = ChangeFeedEntry.objects.order_by("-id").values_list("id", flat=True).first()
    ch = Characteristic.objects.get(item=shirt, name="S")
    pack = Pack.objects.get(item=water, coefficient=6)
    Barcode.objects.create(value="4600000000080", item=shirt, characteristic=ch)
    Barcode.objects.create(value="4600000000097", item=water, pack=pack)
    Pack.objects.filter(pk=pack.pk).update(name="Шесть")
    Item.objects.filter(pk=apples.pk).update(name="Яблоки")
    rows = set(ChangeFeedEntry.objects.filter(id__gt=start).values_list("object_id", "scope_characteristic",
                                                                         "scope_pack"))
    assert rows == {(shirt.pk, ch.pk, 0), (water.pk, 0, pack.pk), (water.pk, None, pack.pk), (apples.pk, None, None)}
