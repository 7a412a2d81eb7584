"""«Что получила касса» (issue 26, item 7): a transfer's packages rebuilt exactly as the register got them, their
goods read back with codes, prices and balances, changes since the transfer marked, a search, and the orders
on the register."""
from decimal import Decimal

import pytest

from offline_exchange.format.contents import GoodRow, orders_rows, price_list_goods_rows, table_lines
from offline_exchange.models import OfflineDevice, SkuCode, Transfer
from offline_exchange.services.received import register_orders, transfer_goods, transfer_package_document
from retail.models import Item, Price, PriceType, StockBalance
from tests.equipment_service.soap import call
from tests.equipment_service.test_price_list_queue import prepare

pytestmark = pytest.mark.django_db


def received_packages(client, device_id, transfer_id) -> dict[int, bytes]:
    """The packages as the register got them, by number (the answers' text, as it travels)."""
    found = {}
    while True:
        text = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                    ("Restart", "false")]).result("GetPriceListPackage")
        rows = price_list_goods_rows(text)
        number = int(text.split('PackageNumber="')[1].split('"')[0])
        total = int(text.split('PackageTotal="')[1].split('"')[0])
        found[number] = text.encode("utf-8")
        assert rows or number == total
        if number == total:
            return found


@pytest.fixture
def sent(demo, client, device_id):
    transfer_id = prepare(client, device_id, full=True)
    packages = received_packages(client, device_id, transfer_id)
    return Transfer.objects.get(pk=transfer_id), packages


def test_each_package_is_rebuilt_byte_for_byte_as_the_register_got_it(sent):
    transfer, packages = sent
    assert len(packages) == transfer.package_total == 4
    for number, document in packages.items():
        assert transfer_package_document(transfer=transfer, number=number) == document, number


def test_the_goods_read_back_with_their_codes_prices_and_balances(sent):
    transfer, packages = sent
    rows = [row for number, document in sorted(packages.items())
            for row in price_list_goods_rows(document, package=number)]
    ball = Item.objects.get(article="МР-15")
    code = SkuCode.objects.get(item=ball, characteristic=None, pack=None).number
    [row] = [row for row in rows if row.name == "Мяч резиновый 15 см"]
    assert (row.code, row.price, row.balance, row.tax_rate, row.barcodes, row.unit) == (
        f"{code:05d}", Decimal("145.00"), Decimal("10"), "20", ["4601234500031"], "шт")
    assert row.cells()[1:] == [f"{code:05d}", "Мяч резиновый 15 см", "МР-15", "4601234500031", "шт", "145,00", "10",
                               "20%"]
    # A weighed good, in kilograms, with its balance in grams.
    [apples] = [row for row in rows if row.name == "Яблоки Голден, вес."]
    assert (apples.unit, apples.balance, apples.cells()[7]) == ("кг", Decimal("35.5"), "35,5")
    # The first package is what the page opens with.
    goods = transfer_goods(transfer=transfer)
    assert [row.cells() for row in goods.rows] == [
        row.cells() for row in price_list_goods_rows(packages[1], package=1)]
    assert [state.sent for state in goods.packages] == [True] * 4 and not goods.changed


def test_a_search_finds_by_code_barcode_and_name_in_every_package(sent):
    transfer, _packages = sent
    ball = Item.objects.get(article="МР-15")
    code = SkuCode.objects.get(item=ball, characteristic=None, pack=None).number
    for term in (str(code), f"{code:05d}", "4601234500031", "мяч резиновый", "МР-15"):
        found = transfer_goods(transfer=transfer, term=term)
        assert [row.name for row in found.rows] == ["Мяч резиновый 15 см"], term
    socks = transfer_goods(transfer=transfer, term="Размер 14")
    assert [row.name for row in socks.rows] == ["Носки детские (Размер 14)"]
    assert transfer_goods(transfer=transfer, term="нет такого товара").rows == []


def test_the_nested_shape_reads_as_the_same_positions(demo, client, device_id):
    OfflineDevice.objects.filter(pk=demo["device"].pk).update(goods_shape=OfflineDevice.GoodsShape.NESTED)
    transfer_id = prepare(client, device_id, full=True)
    packages = received_packages(client, device_id, transfer_id)
    transfer = Transfer.objects.get(pk=transfer_id)
    rows = {row.name: row for number, document in packages.items()
            for row in price_list_goods_rows(document, package=number)}
    assert {"Носки детские (Размер 12)", "Носки детские (Размер 14)", "Подгузники размер 3, 1 шт, Упаковка 52 шт",
            "Мяч резиновый 15 см"} <= set(rows)
    diapers = rows["Подгузники размер 3, 1 шт, Упаковка 52 шт"]
    assert (diapers.unit, diapers.price, diapers.barcodes) == ("Упаковка 52 шт", Decimal("1300.00"),
                                                                ["4601234500123"])
    for number, document in packages.items():
        assert transfer_package_document(transfer=transfer, number=number) == document


def test_a_change_after_the_transfer_is_marked(sent):
    transfer, packages = sent
    ball = Item.objects.get(article="МР-15")
    retail = PriceType.objects.get(name="Розничная цена")
    Price.objects.create(price_type=retail, item=ball, date=transfer.price_day, value=Decimal("155.00"))
    StockBalance.objects.filter(item=ball).update(quantity=Decimal(3))
    found = transfer_goods(transfer=transfer, term="МР-15")
    assert found.changed == {str(ball.uuid)}
    assert found.rows[0].good_uuid == str(ball.uuid)
    others = transfer_goods(transfer=transfer, term="Кукла")
    assert not others.changed


def test_the_orders_on_the_register(demo):
    orders = register_orders(device=demo["device"])
    assert [entry.row.number for entry in orders] == ["ТДРТ-000001"]
    [entry] = orders
    assert entry.order == demo["order"] and not entry.sent
    assert entry.row.cells() == ["ТДРТ-000001", "15.03.2024 10:05:00", "Согласован", "Петров Иван +7 900 000-00-00",
                                 "1", "366,00"]
    code = SkuCode.objects.get(item__article="79052", characteristic=None, pack=None).number
    assert entry.row.line_cells() == [[f"{code:05d}", "2", "183,00", "366,00"]]


def test_orders_sent_say_so(demo, client, device_id):
    call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")])
    [entry] = register_orders(device=demo["device"])
    assert entry.sent and "Выгружен на кассу ККМ" in entry.state


def test_empty_and_plain_tables():
    assert orders_rows(b"") == [] and orders_rows("  ") == []
    row = GoodRow(code="00042", name="Пазл", article="", barcodes=[], unit="шт", price=None, balance=None,
                  tax_rate="none", good_uuid="", package=2)
    assert row.cells() == ["2", "00042", "Пазл", "", "", "шт", "—", "—", "Без НДС"]
    assert row.matches("42") and row.matches("пАзЛ") and not row.matches("43")
    assert table_lines(["Код", "Цена"], [["1", "5,00"], ["22", "10,00"]]) == [
        "Код   Цена", "---  -----", "1     5,00", "22   10,00"]
