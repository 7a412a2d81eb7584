"""The stock ledger: every document posts through one service, exactly once, and unposting undoes it."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from offline_exchange.models import SkuCode
from offline_exchange.services.feed import feed_high_water, feed_items_changed
from retail.models import (
    AccountingSettings,
    Counterparty,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    OpeningBalance,
    OpeningBalanceLine,
    Price,
    PriceSetting,
    PriceSettingLine,
    PriceType,
    RetailSalesReport,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    Warehouse,
    WriteOff,
    WriteOffLine,
)
from retail.services.numbering import document_number_assign
from retail.services.posting import PostingError, document_post, document_unpost
from tests.offline_exchange.test_sales_import import check, line, pay, reasons, shift, upload, xml

WHEN = dt.datetime(2024, 6, 3, 12, 0)


def stock(item, warehouse=None, characteristic=None):
    warehouse = warehouse or Warehouse.objects.get(name="Общий склад")
    row = StockBalance.objects.filter(warehouse=warehouse, item=item, characteristic=characteristic).first()
    return row.quantity if row else D(0)


def ledger(item, warehouse=None, characteristic=None):
    warehouse = warehouse or Warehouse.objects.get(name="Общий склад")
    return sum((m.quantity for m in StockMovement.objects.filter(warehouse=warehouse, item=item,
                                                                 characteristic=characteristic)), D(0))


def item(article):
    return Item.objects.get(article=article)


def sku(article):
    return str(SkuCode.objects.get(item__article=article, characteristic=None, pack=None).number)


def new_document(model, demo, lines, line_model, **fields):
    doc = model(date=WHEN, organization=demo["organization"], **fields)
    document_number_assign(document=doc)
    doc.save()
    for n, values in enumerate(lines, 1):
        line_model.objects.create(document=doc, line_number=n, **values)
    return doc


@pytest.fixture
def wh(demo):
    return demo["warehouse"]


def test_demo_opening_balances_are_a_posted_document(demo, wh):
    # The seed's balances come from a posted «Ввод начальных остатков», so the ledger explains them.
    opening = OpeningBalance.objects.get(warehouse=wh)
    assert opening.posted and opening.number.startswith("ТДРТ-")
    for row in StockBalance.objects.all():
        assert ledger(row.item, row.warehouse, row.characteristic) == row.quantity


# --- Retail Sales Report ---------------------------------------------------------------------

def seed_shift(demo, **kw):
    doc = shift([check(1, [line(sku("79052"), 1, "183.00", tax="none"), line(sku("П-0780"), 1, "250.00", tax="none")],
                       [pay(cash="433.00")])], **kw)
    return doc


def test_posted_report_writes_off_its_goods_once_and_a_resent_shift_does_not_double(demo):
    puzzle, beetle = item("79052"), item("П-0780")
    doc = seed_shift(demo)
    upload(demo["device"], xml(doc))
    report = RetailSalesReport.objects.get()
    assert report.posted
    assert (stock(puzzle), stock(beetle)) == (D(9), D(9))
    moves = StockMovement.objects.filter(document_type=ContentType.objects.get_for_model(report), document_id=report.pk)
    assert sorted((m.item_id, m.quantity, m.date) for m in moves) == sorted(
        [(puzzle.pk, D(-1), report.date), (beetle.pk, D(-1), report.date)])
    upload(demo["device"], xml(doc))
    upload(demo["device"], xml(doc))
    assert RetailSalesReport.objects.count() == 1
    assert (stock(puzzle), stock(beetle)) == (D(9), D(9))
    assert (ledger(puzzle), ledger(beetle)) == (D(9), D(9))


def test_resent_shift_with_other_content_replaces_the_movements(demo):
    puzzle = item("79052")
    doc = seed_shift(demo)
    upload(demo["device"], xml(doc))
    doc.checks[0].lines[0] = line(sku("79052"), 3, "183.00", tax="none")
    upload(demo["device"], xml(doc))
    assert stock(puzzle) == D(7) == ledger(puzzle)


def test_a_return_comes_back_to_the_warehouse(demo):
    ball = item("МР-15")
    sale = check(1, [line(sku("МР-15"), 2, "145.00")], [pay(cash="290.00")])
    back = check(2, [line(sku("МР-15"), 1, "145.00")], [pay(cash="145.00")], op=2, ref_uuid=sale.uuid,
                 ref_type="Check")
    upload(demo["device"], xml(shift([sale, back])))
    assert stock(ball) == D(9)
    # A return without its sale in the shift is a net receipt.
    upload(demo["device"], xml(shift([check(1, [line(sku("МР-15"), 2, "145.00")], [pay(cash="290.00")], op=2)],
                                     number="2")))
    assert stock(ball) == D(11) == ledger(ball)


def test_report_that_becomes_unposted_on_reupload_returns_its_goods(demo):
    puzzle = item("79052")
    doc = seed_shift(demo)
    upload(demo["device"], xml(doc))
    assert stock(puzzle) == D(9)
    doc.checks[0].lines.append(line("99999", 1, "10.00", tax="none"))  # a code nobody knows
    upload(demo["device"], xml(doc))
    report = RetailSalesReport.objects.get()
    assert not report.posted and "99999" in reasons(report)
    assert stock(puzzle) == D(10) == ledger(puzzle)
    assert not StockMovement.objects.filter(document_id=report.pk,
                                            document_type=ContentType.objects.get_for_model(report)).exists()


def test_services_move_nothing(demo):
    wrap = item("")  # «Упаковка подарка», a service
    assert wrap.kind == Item.Kind.SERVICE
    before = StockMovement.objects.count()
    upload(demo["device"], xml(shift([check(1, [line(sku(""), 2, "50.00", tax="none")], [pay(cash="100.00")])])))
    assert RetailSalesReport.objects.get().posted
    assert StockMovement.objects.count() == before
    assert not StockBalance.objects.filter(item=wrap).exclude(quantity=0).exists()


def test_negative_stock_is_allowed_by_default(demo):
    ball = item("МР-15")
    upload(demo["device"], xml(shift([check(1, [line(sku("МР-15"), 12, "145.00")], [pay(cash="1740.00")])])))
    assert RetailSalesReport.objects.get().posted and stock(ball) == D(-2)


def test_stock_control_keeps_the_report_unposted_with_the_reason(demo):
    settings = AccountingSettings.load()
    settings.forbid_negative_stock = True
    settings.save()
    ball = item("МР-15")
    doc = shift([check(1, [line(sku("МР-15"), 3, "145.00")], [pay(cash="435.00")])])
    upload(demo["device"], xml(doc))
    assert stock(ball) == D(7)
    doc.checks[0].lines[0] = line(sku("МР-15"), 12, "145.00")
    result = upload(demo["device"], xml(doc))
    report = RetailSalesReport.objects.get()
    assert not report.posted
    assert "недостаточно товара" in reasons(report) and "Мяч резиновый 15 см" in reasons(report)
    assert "не хватает 2" in reasons(report) and "не проведен" in result.description
    # The earlier upload's movements went with the posting: the stock shows no shift at all.
    assert stock(ball) == D(10) == ledger(ball)


def test_posting_puts_the_goods_in_the_change_feed(demo):
    mark = feed_high_water()
    upload(demo["device"], xml(seed_shift(demo)))
    changed = feed_items_changed(after=mark)
    assert set(Item.objects.filter(pk__in=changed).values_list("article", flat=True)) == {"79052", "П-0780"}


# --- The store's documents -------------------------------------------------------------------

def _receipt(demo):
    return new_document(GoodsReceipt, demo, [{"item": item("МР-15"), "quantity": D(5), "price": D(80),
                                              "amount": D(400)}], GoodsReceiptLine, warehouse=demo["warehouse"],
                        supplier=Counterparty.objects.get_or_create(name="ООО «Игрушки оптом»")[0]), {"МР-15": D(5)}


def _write_off(demo):
    return new_document(WriteOff, demo, [{"item": item("МР-15"), "quantity": D(2)}], WriteOffLine,
                        warehouse=demo["warehouse"], reason="Брак"), {"МР-15": D(-2)}


def _count(demo):
    return new_document(StockCount, demo, [
        {"item": item("МР-15"), "book_quantity": D(10), "counted_quantity": D(8)},
        {"item": item("КД-12"), "book_quantity": D(10), "counted_quantity": D(11)},
        {"item": item("КМ-30"), "book_quantity": D(10), "counted_quantity": D(10)},
    ], StockCountLine, warehouse=demo["warehouse"]), {"МР-15": D(-2), "КД-12": D(1)}


def _opening(demo):
    return new_document(OpeningBalance, demo, [{"item": item("МР-15"), "quantity": D(4), "price": D(80)}],
                        OpeningBalanceLine,
                        warehouse=demo["warehouse"]), {"МР-15": D(4)}


def _transfer(demo):
    shop = Warehouse.objects.get(name='Отдел магазина "Детские товары"')
    return new_document(StockTransfer, demo, [{"item": item("МР-15"), "quantity": D(3)}], StockTransferLine,
                        warehouse=demo["warehouse"], to_warehouse=shop), {"МР-15": D(-3)}


@pytest.mark.parametrize("make", [_receipt, _write_off, _count, _opening, _transfer],
                         ids=["receipt", "write_off", "count", "opening", "transfer"])
def test_each_document_moves_stock_exactly_once_and_unposting_removes_it(demo, make):
    doc, change = make(demo)
    before = {article: stock(item(article)) for article in change}
    assert not doc.posted and not StockMovement.objects.filter(document_id=doc.pk, document_type=ContentType
                                                               .objects.get_for_model(doc)).exists()
    document_post(document=doc)
    document_post(document=doc)  # re-posting replaces, never doubles
    doc.refresh_from_db()
    assert doc.posted
    for article, delta in change.items():
        assert stock(item(article)) == before[article] + delta == ledger(item(article))
    if isinstance(doc, StockTransfer):
        assert stock(item("МР-15"), doc.to_warehouse) == D(3) == ledger(item("МР-15"), doc.to_warehouse)
    assert {m.document for m in StockMovement.objects.filter(document_id=doc.pk,
                                                             document_type=ContentType.objects.get_for_model(doc))} == {doc}
    document_unpost(document=doc)
    doc.refresh_from_db()
    assert not doc.posted
    for article in change:
        assert stock(item(article)) == before[article] == ledger(item(article))
    assert doc.history.count() >= 3  # created, posted, unposted


def test_changed_lines_of_a_posted_document_replace_its_movements(demo):
    doc, _ = _write_off(demo)
    document_post(document=doc)
    doc.lines.update(quantity=D(5))
    document_post(document=doc)
    assert stock(item("МР-15")) == D(5) == ledger(item("МР-15"))


def test_stock_control_refuses_a_write_off_and_changes_nothing(demo):
    settings = AccountingSettings.load()
    settings.forbid_negative_stock = True
    settings.save()
    doc = new_document(WriteOff, demo, [{"item": item("МР-15"), "quantity": D(11)}], WriteOffLine,
                       warehouse=demo["warehouse"], reason="Порча")
    with pytest.raises(PostingError, match="не хватает 1"):
        document_post(document=doc)
    doc.refresh_from_db()
    assert not doc.posted and stock(item("МР-15")) == D(10)


def test_price_setting_writes_dated_prices_and_unposting_removes_them(demo):
    retail = PriceType.objects.get(name="Розничная цена")
    ball = item("МР-15")
    doc = new_document(PriceSetting, demo, [{"item": ball, "price": D("155.50")}], PriceSettingLine,
                       price_type=retail)
    mark = feed_high_water()
    document_post(document=doc)
    assert Price.objects.filter(item=ball, date=WHEN.date(), value=D("155.50")).count() == 1
    assert ball.pk in feed_items_changed(after=mark)
    document_post(document=doc)
    assert Price.objects.filter(item=ball, date=WHEN.date()).count() == 1
    document_unpost(document=doc)
    assert not Price.objects.filter(item=ball, date=WHEN.date()).exists()
    assert Price.objects.filter(item=ball, date=dt.date(2024, 1, 1), value=D("145.00")).exists()


def test_receipt_may_set_retail_prices(demo):
    retail = PriceType.objects.get(name="Розничная цена")
    doc = new_document(GoodsReceipt, demo, [{"item": item("МР-15"), "quantity": D(5), "price": D(80),
                                             "amount": D(400), "retail_price": D("149.00")}], GoodsReceiptLine,
                       warehouse=demo["warehouse"], retail_price_type=retail)
    document_post(document=doc)
    assert Price.objects.get(item__article="МР-15", date=WHEN.date()).value == D("149.00")
    document_unpost(document=doc)
    assert not Price.objects.filter(item__article="МР-15", date=WHEN.date()).exists()


def test_numbers_per_organization_prefix_and_year(demo):
    first, _ = _write_off(demo)
    second, _ = _write_off(demo)
    assert (first.number, second.number) == ("ТДРТ-000001", "ТДРТ-000002")
    later = WriteOff(date=dt.datetime(2025, 1, 2), organization=demo["organization"], warehouse=demo["warehouse"],
                     reason="Брак")
    document_number_assign(document=later)
    assert later.number == "ТДРТ-000001" and later.number_year == 2025


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_of_one_item_lose_no_update(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    docs = [_write_off(demo)[0] for _ in range(6)] + [_receipt(demo)[0] for _ in range(2)]
    barrier = threading.Barrier(len(docs))
    errors = []

    def worker(doc):
        from django.db import connections
        try:
            barrier.wait()
            document_post(document=doc)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(doc,)) for doc in docs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stock(item("МР-15")) == D(10) - 6 * 2 + 2 * 5 == ledger(item("МР-15"))
    assert StockBalance.objects.filter(item__article="МР-15", warehouse=demo["warehouse"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_registers_uploading_at_once_write_off_every_sale(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    from offline_exchange.models import CashRegister, OfflineDevice

    devices = [demo["device"]]
    for n in range(2, 5):
        device = OfflineDevice.objects.create(device_id=f"RACE-{n}", name=f"Касса {n}", organization=demo["organization"],
                                              rule=demo["rule"], in_use=True, format_version=3001)
        CashRegister.objects.create(name=f"Касса ККМ {n}", kind=CashRegister.Kind.OFFLINE,
                                    organization=demo["organization"], store=demo["store"], device=device)
        devices.append(device)
    documents = [xml(seed_shift(demo)) for _ in devices]
    barrier = threading.Barrier(len(devices))
    errors = []

    def worker(device, document):
        from django.db import connections
        try:
            barrier.wait()
            assert upload(device, document).success
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=pair) for pair in zip(devices, documents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RetailSalesReport.objects.filter(posted=True).count() == 4
    assert stock(item("79052")) == D(6) == ledger(item("79052"))
