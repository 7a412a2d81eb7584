"""End to end over SOAP: the register's next incremental list carries the balances documents moved."""
import datetime as dt
from decimal import Decimal

import pytest

from retail.models import GoodsReceipt, GoodsReceiptLine, StockCount, StockCountLine, WriteOff, WriteOffLine
from retail.services.posting import document_post
from tests.equipment_service.soap import call
from tests.equipment_service.test_price_list_queue import drain, goods_of, prepare
from tests.offline_exchange.test_sales_import import check, line, pay, shift, xml
from tests.retail.test_posting import item, new_document, sku

pytestmark = pytest.mark.django_db


def incremental(client, device_id, xsd):
    tid = prepare(client, device_id)
    return {g.get("Name"): g for g in goods_of(drain(client, device_id, tid, xsd))}


def balance(good):
    return Decimal(good.get("Balance") or "0")


def test_next_incremental_list_carries_balances_after_shift_receipt_write_off_count(client, demo, device_id, xsd):
    drain(client, device_id, prepare(client, device_id, full=True), xsd)
    assert incremental(client, device_id, xsd) == {}

    document = xml(shift([check(1, [line(sku("79052"), 1, "183.00", tax="none"),
                                    line(sku("П-0780"), 1, "250.00", tax="none")], [pay(cash="433.00")])]))
    answer = call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                                       ("Document", document.decode("utf-8"))]).result("PostDocs")
    assert "Данные успешно загружены" in answer
    goods = incremental(client, device_id, xsd)
    assert set(goods) == {"СТЕР Пазл 1000 Английский котенок", 'Автомобиль "Жук"'}
    assert {name: balance(g) for name, g in goods.items()} == {name: Decimal(9) for name in goods}
    # The same shift sent again changes nothing the register sees.
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                              ("Document", document.decode("utf-8"))])
    again = incremental(client, device_id, xsd)
    assert all(balance(g) == 9 for g in again.values())

    when = dt.datetime.now().replace(microsecond=0)
    ball = item("МР-15")
    receipt = new_document(GoodsReceipt, demo, [{"item": ball, "quantity": Decimal(5), "price": Decimal(80),
                                                 "amount": Decimal(400)}], GoodsReceiptLine,
                           warehouse=demo["warehouse"])
    document_post(document=receipt)
    assert balance(incremental(client, device_id, xsd)["Мяч резиновый 15 см"]) == 15

    write_off = new_document(WriteOff, demo, [{"item": ball, "quantity": Decimal(2)}], WriteOffLine,
                             warehouse=demo["warehouse"], reason="Брак")
    document_post(document=write_off)
    assert balance(incremental(client, device_id, xsd)["Мяч резиновый 15 см"]) == 13

    count = StockCount.objects.create(date=when, organization=demo["organization"], warehouse=demo["warehouse"])
    StockCountLine.objects.create(document=count, item=ball, counted_quantity=Decimal(11))
    document_post(document=count)
    assert count.lines.get().book_quantity == Decimal(13)  # the book quantity at the count's moment
    goods = incremental(client, device_id, xsd)
    assert set(goods) == {"Мяч резиновый 15 см"} and balance(goods["Мяч резиновый 15 см"]) == 11
    assert goods["Мяч резиновый 15 см"].get("Balance") == "11.000"
