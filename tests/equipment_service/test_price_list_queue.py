"""The price-list queue end to end through raw envelopes (PROTOCOL §5)."""
import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.models import ChangeRegistration, ExchangeSettings, Transfer
from offline_exchange.services.registration import registration_register_items, registration_register_order
from retail.models import Barcode, CustomerOrder, Item, Price, PriceType, Unit
from tests.conftest import FMT_NS, assert_valid

from .soap import call

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
        if root.findtext(N + "IsFormed") != "true":
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
    assert len(goods) == 22
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
    assert cookies.get("IsWeight") == "true" and 100 <= int(cookies.get("Code")) <= 99999
    assert cookies.get("Balance") == "12.500" and cookies.get("UnitCode") == "166"
    diapers = goods["Подгузники размер 3, 1 шт"]
    pack = diapers.find(f"{N}Packs/{N}Pack")
    assert diapers.get("HasPacks") == "true" and pack.get("Price") == "1300.00" and pack.get("UnitsPerPack") == "52.000"
    assert pack.get("Code") != diapers.get("Code")
    body = goods["Боди детское хлопок"]
    assert body.get("HasCharacteristics") == "true"
    assert len(body.findall(f"{N}Characteristics/{N}Characteristic")) == 3
    assert goods["Сигареты «Пример» 20 шт"].get("MarkedGoodTypeCode") == "2"
    assert goods["Вино красное сухое 0,75 л"].find(N + "Alcohol").get("AlcoholStrength") == "12.5"
    assert goods["Шар воздушный"].get("Balance") is None  # zero stock is omitted


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


def test_registrations_removed_only_after_last_package(client, demo, device_id):
    demo["device"].items_per_package = 5
    demo["device"].save()
    drain(client, device_id, prepare(client, device_id, full=True))
    puzzle = Item.objects.get(article="79052")
    beetle = Item.objects.get(article="П-0780")
    Price.objects.create(price_type=PriceType.objects.get(), item=puzzle, date=dt.date.today(), value=Decimal("199.00"))
    changed = [puzzle.pk] + list(Item.objects.exclude(pk__in=[puzzle.pk, beetle.pk]).values_list("pk", flat=True)[:6])
    registration_register_items(item_ids=changed)
    tid = prepare(client, device_id)
    first = package(client, device_id, tid)
    assert int(first.get("PackageTotal")) > 1
    assert ChangeRegistration.objects.filter(item=puzzle).exists()  # 1C would have dropped it here
    # A change made during the transfer arrives in the next one.
    Barcode.objects.create(value="2000000000015", item=beetle)
    registration_register_items(item_ids=[beetle.pk])
    rest = drain(client, device_id, tid)
    sent = goods_of([first] + rest)
    assert sorted(g.get("UUID") for g in sent) == sorted(str(i.uuid) for i in Item.objects.filter(pk__in=changed))
    assert next(g for g in sent if g.get("Name") == puzzle.name).get("Price") == "199.00"
    assert list(ChangeRegistration.objects.values_list("item_id", flat=True)) == [beetle.pk]
    second = goods_of(drain(client, device_id, prepare(client, device_id)))
    assert [g.get("Name") for g in second] == [beetle.name]
    assert "2000000000015" in [b.get("Value") for b in second[0].iter(N + "Barcode")]
    assert not ChangeRegistration.objects.exists()


def test_incremental_after_new_item(client, demo, device_id):
    drain(client, device_id, prepare(client, device_id, full=True))
    item = Item.objects.create(name="Новая игрушка", base_unit=Unit.objects.get(okei_code="796"), vat_rate="20")
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("10"))
    registration_register_items(item_ids=[item.pk])
    goods = goods_of(drain(client, device_id, prepare(client, device_id)))
    assert [g.get("Name") for g in goods] == ["Новая игрушка"]  # the SKU was generated during the build
    assert goods[0].get("Code")


def test_without_auto_generation_goods_without_sku_are_left_out(client, demo, device_id):
    ExchangeSettings.objects.filter(pk=1).update(auto_generate_sku=False)
    Item.objects.create(name="Без SKU", base_unit=Unit.objects.get(okei_code="796"))
    tid = prepare(client, device_id, full=True)
    assert "Без SKU" not in [g.get("Name") for g in goods_of(drain(client, device_id, tid))]
    assert Transfer.objects.get(pk=tid).skipped_without_sku == 1


def test_vat_22_fails_the_build_with_item_names(client, demo, device_id):
    Item.objects.filter(article="79052").update(vat_rate="22")
    tid = prepare(client, device_id, full=True)
    for _ in range(2):  # every fetch faults until the next Prepare
        answer = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", tid), ("Restart", "false")])
        assert answer.status == 500 and "Server" in answer.fault_code()
        assert "СТЕР Пазл" in answer.fault and "22" in answer.fault
    Item.objects.filter(article="79052").update(vat_rate="20")
    new = prepare(client, device_id, full=True)
    assert new != tid and len(drain(client, device_id, new)) >= 1


def test_get_price_list_counts_as_delivered(client, demo, device_id, xsd):
    text = call(client, "GetPriceList", [("DeviceID", device_id)]).result("GetPriceList")
    root = assert_valid(xsd, text)
    assert root.get("FullExport") is None and len(root.findall(f"{N}Goods/{N}Good")) == 22
    again = assert_valid(xsd, call(client, "GetPriceList", [("DeviceID", device_id)]).result("GetPriceList"))
    assert again.find(f"{N}Goods") is None


def test_orders_delivered_once_until_changed(client, demo, device_id, xsd):
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
    empty = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    assert assert_valid(xsd, empty).find(N + "Order") is None
    db_order = CustomerOrder.objects.get()
    db_order.status = CustomerOrder.Status.NOT_AGREED
    db_order.save()
    registration_register_order(order=db_order)
    text = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    status = assert_valid(xsd, text).find(N + "Order").get("Status")
    assert status == "Не\u0043огласован" and status != "НеСогласован"  # Latin C in 3.1


def test_closed_order_is_not_exported(client, demo, device_id):
    order = CustomerOrder.objects.get()
    order.status = CustomerOrder.Status.CLOSED
    order.save()
    registration_register_order(order=order)
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
