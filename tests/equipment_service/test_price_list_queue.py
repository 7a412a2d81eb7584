"""The price-list queue end to end through raw envelopes (PROTOCOL §5)."""
import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.models import ExchangeSettings, OfflineDevice, OrderDue, Transfer
from retail.models import Barcode, CustomerOrder, Item, Price, PriceType, Unit
from tests.conftest import FMT_NS, assert_valid, assert_valid_as
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db
N = f"{{{FMT_NS}}}"


def prepare(client, device_id, full=None):
    if full is None:
        return call(client, "PreparePriceList", [("DeviceID", device_id)]).result("PreparePriceList")
    return call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", str(full).lower())]
                ).result("PrepareFullPriceList")


def package(client, device_id, transfer_id, restart=False):
    text = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                ("Restart", str(restart).lower())]).result("GetPriceListPackage")
    return etree.fromstring(text.encode())


def drain(client, device_id, transfer_id, xsd=None):
    packages = []
    while True:
        root = package(client, device_id, transfer_id)
        if xsd is not None:
            assert_valid(xsd, etree.tostring(root))
        if root.findtext("{*}IsFormed") != "true":
            break
        packages.append(root)
        if root.get("PackageNumber") == root.get("PackageTotal"):
            break
    return packages


def goods_of(packages):
    return [g for p in packages for g in p.findall(f"{N}PriceList/{N}Goods/{N}Good")]


@pytest.mark.parametrize("per_package,expected", [(1, 31), (2, 16), (1000, 1)])
def test_full_transfer_in_packages(client, demo, device_id, xsd, per_package, expected):
    demo["device"].items_per_package = per_package
    demo["device"].save()
    tid = prepare(client, device_id, full=True)
    packages = drain(client, device_id, tid, xsd)
    assert len(packages) == expected
    assert [int(p.get("PackageNumber")) for p in packages] == list(range(1, expected + 1))
    assert {p.get("PackageTotal") for p in packages} == {str(expected)}
    for p in packages:
        pl = p.find(N + "PriceList")
        assert pl.get("FullExport") == "true"
        assert pl.find(f"{N}Units/{N}Unit") is not None  # units repeat in every package
    goods = goods_of(packages)
    # One Good per position (PROTOCOL §5.1): 22 items, of them 2 with 3 and 2 characteristics and 3 with a pack.
    assert len(goods) == 28 and len({g.get("UUID") for g in goods}) == 22
    groups = [g for p in packages for g in p.findall(f"{N}PriceList/{N}Groups/{N}Group")]
    assert len(groups) == 9
    # Groups come first: no goods before the last group.
    kinds = [etree.QName(el).localname for p in packages for el in p.iter(N + "Group", N + "Good")]
    assert kinds.index("Good") > max(i for i, k in enumerate(kinds) if k == "Group")
    # The next call after the last package answers "not formed", 1 of 1.
    after = package(client, device_id, tid)
    assert (after.findtext(N + "IsFormed"), after.get("PackageNumber"), after.get("PackageTotal")) == ("false", "1", "1")


def test_good_content(client, demo, device_id):
    packages = drain(client, device_id, prepare(client, device_id, full=True))
    goods = {g.get("Name"): g for g in goods_of(packages)}
    puzzle = goods["СТЕР Пазл 1000 Английский котенок"]
    assert puzzle.get("Price") == "183.00" and puzzle.get("TaxRate") == "none" and puzzle.get("Article") == "79052"
    assert int(puzzle.get("Code")) >= 100000
    assert puzzle.find(f"{N}Barcodes/{N}Barcode").get("Value") == "4607131410042"
    cookies = goods["Печенье детское весовое"]
    # A weighed good: the scale's 5-digit code, no barcodes (the scales print them).
    assert cookies.get("IsWeight") == "true" and len(cookies.get("Code")) == 5 and cookies.get("Code").isdigit()
    assert cookies.find(f"{N}Barcodes") is None
    assert cookies.get("Balance") == "12.500" and cookies.get("UnitCode") == "166"
    diapers = goods["Подгузники размер 3, 1 шт"]
    assert diapers.get("HasPacks") is None and diapers.get("Price") == "25.00"
    in_pack = goods["Подгузники размер 3, 1 шт, Упаковка 52 шт"]
    pack = in_pack.find(f"{N}Packs/{N}Pack")
    assert in_pack.get("HasPacks") == "true" and in_pack.get("Code") is None and in_pack.get("Price") is None
    assert pack.get("Price") == "1300.00" and pack.get("UnitsPerPack") == "52.000"
    assert pack.get("Balance") == "10.000"  # in base units, as 1C writes it
    assert pack.get("Code") != diapers.get("Code") and in_pack.get("UUID") == diapers.get("UUID")
    body = goods["Боди детское хлопок (Рост 62, белый)"]
    assert body.get("HasCharacteristics") == "true" and body.get("Code") is None
    [ch] = body.findall(f"{N}Characteristics/{N}Characteristic")
    assert ch.get("Name") == "Рост 62, белый" and ch.get("Price") == "450.00" and ch.get("Code")
    assert "Боди детское хлопок" not in goods  # an item with characteristics is sold by characteristic
    assert goods["Сигареты «Пример» 20 шт"].get("MarkedGoodTypeCode") == "2"
    assert goods["Вино красное сухое 0,75 л"].find(N + "Alcohol").get("AlcoholStrength") == "12.5"
    assert goods["Шар воздушный"].get("Balance") is None  # zero stock is omitted


def test_good_content_nested_shape(client, demo, device_id, xsd):
    """«Форма выгрузки товаров»: positions inside their item's Good, as 1С:Розница 2.2 writes them."""
    demo["device"].goods_shape = "nested"
    demo["device"].save()
    packages = drain(client, device_id, prepare(client, device_id, full=True), xsd)
    goods = {g.get("Name"): g for g in goods_of(packages)}
    assert len(goods) == 22
    cookies = goods["Печенье детское весовое"]
    assert len(cookies.get("Code")) == 5 and cookies.find(f"{N}Barcodes") is None
    diapers = goods["Подгузники размер 3, 1 шт"]
    pack = diapers.find(f"{N}Packs/{N}Pack")
    assert diapers.get("HasPacks") == "true" and pack.get("Price") == "1300.00" and pack.get("UnitsPerPack") == "52.000"
    assert pack.get("Code") != diapers.get("Code")
    body = goods["Боди детское хлопок"]
    assert body.get("HasCharacteristics") == "true"
    assert len(body.findall(f"{N}Characteristics/{N}Characteristic")) == 3


def test_restart_and_reuse(client, demo, device_id):
    demo["device"].items_per_package = 10
    demo["device"].save()
    tid = prepare(client, device_id, full=True)
    assert prepare(client, device_id, full=True) == tid  # a pending transfer of the same kind is reused
    first = package(client, device_id, tid)
    assert first.get("PackageNumber") == "1"
    assert package(client, device_id, tid).get("PackageNumber") == "2"
    again = package(client, device_id, tid, restart=True)
    assert again.get("PackageNumber") == "1"
    # An incremental request does not reuse a full transfer (1C would).
    drain(client, device_id, tid)
    other = prepare(client, device_id)
    assert other != tid


def test_unknown_transfer_is_not_formed(client, demo, device_id):
    root = package(client, device_id, "00000000-0000-0000-0000-000000000000")
    assert root.findtext(N + "IsFormed") == "false"


def test_watermark_moves_only_after_last_package(client, demo, device_id):
    demo["device"].items_per_package = 5
    demo["device"].save()
    drain(client, device_id, prepare(client, device_id, full=True))
    puzzle = Item.objects.get(article="79052")
    beetle = Item.objects.get(article="П-0780")
    Price.objects.create(price_type=PriceType.objects.get(), item=puzzle, date=dt.date.today(), value=Decimal("199.00"))
    changed = [puzzle.pk] + list(Item.objects.exclude(pk__in=[puzzle.pk, beetle.pk]).values_list("pk", flat=True)[:6])
    Item.objects.filter(pk__in=changed[1:]).update(description="Новое описание")
    before = OfflineDevice.objects.get(pk=demo["device"].pk).price_list_watermark
    tid = prepare(client, device_id)
    first = package(client, device_id, tid)
    assert int(first.get("PackageTotal")) > 1
    # 1C would have dropped the changes here.
    assert OfflineDevice.objects.get(pk=demo["device"].pk).price_list_watermark == before
    # A change made during the transfer arrives in the next one.
    Barcode.objects.create(value="2000000000015", item=beetle)
    rest = drain(client, device_id, tid)
    sent = goods_of([first] + rest)
    assert sorted(set(g.get("UUID") for g in sent)) == sorted(str(i.uuid) for i in Item.objects.filter(pk__in=changed))
    assert next(g for g in sent if g.get("Name") == puzzle.name).get("Price") == "199.00"
    assert OfflineDevice.objects.get(pk=demo["device"].pk).price_list_watermark == Transfer.objects.get(
        pk=tid).feed_watermark > before
    second = goods_of(drain(client, device_id, prepare(client, device_id)))
    assert [g.get("Name") for g in second] == [beetle.name]
    assert "2000000000015" in [b.get("Value") for b in second[0].iter(N + "Barcode")]
    assert goods_of(drain(client, device_id, prepare(client, device_id))) == []


def test_incremental_after_new_item(client, demo, device_id):
    drain(client, device_id, prepare(client, device_id, full=True))
    item = Item.objects.create(name="Новая игрушка", base_unit=Unit.objects.get(okei_code="796"), vat_rate="20")
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("10"))
    goods = goods_of(drain(client, device_id, prepare(client, device_id)))
    assert [g.get("Name") for g in goods] == ["Новая игрушка"]  # the SKU was generated during the build
    assert goods[0].get("Code")


def test_without_auto_generation_goods_without_sku_are_left_out(client, demo, device_id):
    ExchangeSettings.objects.filter(pk=1).update(auto_generate_sku=False)
    Item.objects.create(name="Без SKU", base_unit=Unit.objects.get(okei_code="796"))
    tid = prepare(client, device_id, full=True)
    assert "Без SKU" not in [g.get("Name") for g in goods_of(drain(client, device_id, tid))]
    assert Transfer.objects.get(pk=tid).skipped_without_sku == 1


def test_goods_a_format_cannot_carry_are_left_out_and_named(client, demo, device_id):
    """Never the whole list for some goods: VAT 22 % on a 3.1 register is held back, the rest goes, and the
    journal and the exchange console name what was held back, with the way out (format 3.3)."""
    from offline_exchange.models import ExchangeJournalEntry
    from offline_exchange.services.transfers import LEFT_OUT_OPERATION

    Item.objects.filter(article="79052").update(vat_rate="22")
    tid = prepare(client, device_id, full=True)
    names = [g.get("Name") for g in goods_of(drain(client, device_id, tid))]
    assert "СТЕР Пазл 1000 Английский котенок" not in names and len(names) == 27
    transfer = Transfer.objects.get(pk=tid)
    assert "СТЕР Пазл" in transfer.left_out and "ставку НДС 22%" in transfer.left_out
    entry = ExchangeJournalEntry.objects.get(operation=LEFT_OUT_OPERATION)
    assert entry.device == demo["device"] and "СТЕР Пазл" in entry.note and "3.1" in entry.note
    assert "Переведите кассу на формат обмена 3.3" in entry.note
    # The 3.3 register of the same rule gets it with TaxRate 22 (valid against the 2026 package).
    new = prepare(client, demo["device_33"].device_id, full=True)
    packages = drain(client, demo["device_33"].device_id, new)
    for root in packages:
        assert_valid_as(3003, etree.tostring(root))
    sent = {g.get("Name"): g for p in packages for g in p.iterfind("{*}PriceList/{*}Goods/{*}Good")}
    assert sent["СТЕР Пазл 1000 Английский котенок"].get("TaxRate") == "22" and not Transfer.objects.get(pk=new).left_out


def test_get_price_list_counts_as_delivered(client, demo, device_id, xsd):
    text = call(client, "GetPriceList", [("DeviceID", device_id)]).result("GetPriceList")
    root = assert_valid(xsd, text)
    assert root.get("FullExport") is None and len(root.findall(f"{N}Goods/{N}Good")) == 28
    again = assert_valid(xsd, call(client, "GetPriceList", [("DeviceID", device_id)]).result("GetPriceList"))
    assert again.find(f"{N}Goods") is None


def test_orders_delivered_until_received_and_again_when_changed(client, demo, device_id, xsd):
    text = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    root = assert_valid(xsd, text)
    orders = root.findall(N + "Order")
    assert len(orders) == 1
    order = orders[0]
    assert order.get("Number") == "ТДРТ-000001" and order.get("Status") == "Согласован"
    line = order.find(f"{N}Goods/{N}Good")
    assert (line.get("Quantity"), line.get("Price"), line.get("Sum")) == ("2", "183.00", "366.00")
    # The demo's card prepayment goes as 1C writes it: ElectronicPayment, not PrePayment.
    payment = order.find(f"{N}Payments/{N}Payment")
    assert (payment.get("ElectronicPayment"), payment.get("Cash"), payment.get("PrePayment")) == (
        "100.00", "0.00", "0.00")
    again = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    assert assert_valid(xsd, again).find(N + "Order") is not None  # not yet proven received: at least once
    OrderDue.objects.all().delete()  # as the register's sale of it would prove it has it
    empty = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    assert assert_valid(xsd, empty).find(N + "Order") is None
    db_order = CustomerOrder.objects.get()
    db_order.status = CustomerOrder.Status.NOT_AGREED
    db_order.save()
    text = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    status = assert_valid(xsd, text).find(N + "Order").get("Status")
    assert status == "Не\u0043огласован" and status != "НеСогласован"  # Latin C in 3.1


def test_closed_order_is_not_exported(client, demo, device_id):
    order = CustomerOrder.objects.get()
    order.status = CustomerOrder.Status.CLOSED
    order.save()
    text = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    assert "<Order " not in text


def test_transfer_still_building_is_not_formed_then_served(client, demo, device_id):
    from offline_exchange.services.transfers import transfer_build, transfer_prepare

    transfer = transfer_prepare(device=demo["device"], full=True, build=False)
    root = package(client, device_id, str(transfer.pk))
    assert (root.findtext(N + "IsFormed"), root.get("PackageNumber"), root.get("PackageTotal")) == ("false", "1", "1")
    assert prepare(client, device_id, full=True) == str(transfer.pk)  # still pending: reused, not rebuilt
    transfer_build(transfer_id=transfer.pk)
    assert package(client, device_id, str(transfer.pk)).findtext(N + "IsFormed") == "true"
