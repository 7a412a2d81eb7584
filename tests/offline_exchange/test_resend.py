"""Issue 23: one shift, one report, whatever the UUID; stock moves once; two shifts claiming one number flagged."""
import uuid
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from offline_exchange.models import ExchangeJournalEntry, OrderDue
from offline_exchange.services.exports import CANCELLED_ORDER_SENDS, orders_export
from offline_exchange.services.journal import journal_purge, journal_receive
from offline_exchange.services.sales import sales_reports_reload
from retail.models import AccountingSettings, CustomerOrder, RetailSalesReport
from retail.services.posting import stock_book_quantity
from tests.equipment_service.test_post_docs import post as soap_post
from tests.offline_exchange.test_sales_import import check, line, pay, shift, upload, xml
from tests.retail.test_orders_follow_sales import courier_check


def water_stock(s) -> D:
    return stock_book_quantity(warehouse_id=s.warehouse.pk, item_id=s.water.pk, characteristic_id=None)


def sold(quantity, shift_uuid):
    return xml(shift([check(1, [line("3", quantity, "10.00")], [pay(cash=str(10 * quantity))])],
                     shift_uuid=shift_uuid))


def test_resend_under_another_uuid_replaces_the_report_and_moves_stock_once(sample_shop):
    s = sample_shop
    upload(s.device, sold(2, uuid.uuid4()))
    after_first = water_stock(s)
    second = uuid.uuid4()
    result = upload(s.device, sold(3, second))  # the newer content, under a new UUID
    report = RetailSalesReport.objects.get()
    assert result.success and report.total == D("30.00") and report.shift_uuid == second
    assert water_stock(s) == after_first - 1  # 3 sold in all, not 2 + 3


def test_resend_without_uuid_then_with_one_is_the_same_report(sample_shop):
    s = sample_shop
    upload(s.device, sold(2, uuid.uuid4()))
    after_first = water_stock(s)
    upload(s.device, sold(2, None))
    upload(s.device, sold(2, uuid.uuid4()))
    assert RetailSalesReport.objects.count() == 1
    assert water_stock(s) == after_first


def test_shift_first_without_uuid_then_with_one_takes_the_uuid(sample_shop):
    s = sample_shop
    upload(s.device, sold(1, None))
    later = uuid.uuid4()
    upload(s.device, sold(1, later))
    assert list(RetailSalesReport.objects.values_list("shift_uuid", flat=True)) == [later]


def test_open_shift_resent_closed_under_another_uuid_is_the_same_shift(sample_shop):
    s = sample_shop
    opened = shift([check(1, [line("3", 1, "10.00")], [pay(cash="10")])], closed=False)
    upload(s.device, xml(opened))
    upload(s.device, sold(2, uuid.uuid4()))
    report = RetailSalesReport.objects.get()
    assert report.shift_closed and report.posted and report.total == D("20.00")


def test_two_different_shifts_with_one_number_and_opening_are_flagged_never_booked_twice(sample_shop, client):
    s = sample_shop
    upload(s.device, sold(2, uuid.uuid4()))
    after_first = water_stock(s)
    other = shift([check(1, [line("3", 5, "10.00")], [pay(cash="50")])])
    other.closed_at = datetime(2024, 6, 1, 22)  # closed at another moment: another shift under the same number
    result = upload(s.device, xml(other))
    report = RetailSalesReport.objects.get()
    assert report.total == D("20.00") and water_stock(s) == after_first
    assert result.success and "Смена 1 от 01.06.2024 09:00:00 не загружена" in result.description
    assert "другим идентификатором и временем закрытия" in result.warning


def test_conflict_reaches_the_journal_and_the_console(sample_shop, client):
    """Through the SOAP endpoint: the journal entry carries the warning, the console shows it."""
    soap_post(client, "SAMPLE-0001", sold(2, uuid.uuid4()))
    other = shift([check(1, [line("3", 5, "10.00")], [pay(cash="50")])])
    other.closed_at = datetime(2024, 6, 1, 22)
    soap_post(client, "SAMPLE-0001", xml(other))
    entry = ExchangeJournalEntry.objects.filter(operation="PostDocs").order_by("-pk").first()
    assert "не загружена" in entry.warning and entry.status == ExchangeJournalEntry.Status.OK
    assert RetailSalesReport.objects.count() == 1
    client.force_login(User.objects.create_superuser("boss", password="x"))
    page = client.get("/admin/offline_exchange/exchangeconsole/")
    assert "не загружена" in page.content.decode()


# --- Orders at least once ----------------------------------------------------------------------------

def test_an_order_whose_answer_was_lost_goes_again_until_the_register_sells_it(demo):
    device = demo["device"]
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    number = order.number.encode()
    assert number in orders_export(device=device)  # this answer is lost on the mobile network
    assert number in orders_export(device=device)  # the retry carries the order again
    assert number in orders_export(device=device)  # and again: nothing has proven the register has it
    upload(device, xml(shift([courier_check(order)])))  # the courier's sale: it had the order
    assert number not in orders_export(device=device)
    assert not OrderDue.objects.filter(device=device).exists()


def test_a_sold_order_changed_later_goes_once_more_but_is_not_due(demo):
    settings = AccountingSettings.load()
    settings.manual_order_closing = True
    settings.save()
    device = demo["device"]
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    orders_export(device=device)
    upload(device, xml(shift([courier_check(order, quantity=1, cash="83.00")])))
    CustomerOrder.objects.filter(pk=order.pk).update(comment="Доставить к 18:00")
    CustomerOrder.objects.get(pk=order.pk).save()  # a change the feed sees
    assert order.number.encode() in orders_export(device=device)
    assert order.number.encode() not in orders_export(device=device)


def test_a_cancellation_goes_a_few_times_then_stops(demo):
    device = demo["device"]
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    orders_export(device=device)
    order.is_cancelled = True
    order.save()
    answers = [orders_export(device=device) for _ in range(CANCELLED_ORDER_SENDS + 1)]
    assert [order.number.encode() in answer for answer in answers] == [True] * CANCELLED_ORDER_SENDS + [False]


# --- Reload guard ------------------------------------------------------------------------------------

def test_reload_of_an_older_upload_is_refused_and_the_page_shows_the_upload(sample_shop, client):
    s = sample_shop
    shift_uuid = uuid.uuid4()
    before = water_stock(s)
    soap_post(client, "SAMPLE-0001", sold(15, shift_uuid))  # 150.00, the first upload
    soap_post(client, "SAMPLE-0001", sold(4, shift_uuid))  # 40.00, the newer one
    older, newer = ExchangeJournalEntry.objects.filter(operation="PostDocs").order_by("pk")
    report = RetailSalesReport.objects.get()
    assert report.total == D("40.00") and report.journal_entry == newer
    with pytest.raises(ValueError, match="из более поздней выгрузки смены 1"):
        sales_reports_reload(entry=older)
    report.refresh_from_db()
    assert report.total == D("40.00") and water_stock(s) == before - 4
    assert sales_reports_reload(entry=newer).success  # the report's own upload reloads
    client.force_login(User.objects.create_superuser("boss", password="x"))
    page = client.get(f"/admin/retail/retailsalesreport/{report.pk}/change/").content.decode()
    assert f"запись журнала № {newer.pk}" in page


# --- Hostile quantities ------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, price", [("-5", "10.00"), ("0", "10.00"), ("1", "-10.00")])
def test_non_positive_quantity_or_negative_sum_is_refused_with_its_line_and_nothing_written(sample_shop, quantity,
                                                                                           price):
    s = sample_shop
    before = water_stock(s)
    document = xml(shift([check(1, [line("3", 1, "10.00"), line("3", quantity, price)], [pay(cash="10")])]))
    result = upload(s.device, document)
    row = next(n for n, text in enumerate(document.decode().splitlines(), 1)
               if f'Quantity="{quantity}"' in text and f'Price="{price}"' in text)
    assert not result.success and f"Строка {row}: смена 1, чек 1, товар с кодом «3»" in result.description
    assert not RetailSalesReport.objects.exists() and water_stock(s) == before


# --- Killed uploads ----------------------------------------------------------------------------------

def test_an_upload_left_received_by_a_killed_process_is_marked_failed_by_the_purge(sample_shop):
    s = sample_shop
    document = sold(1, uuid.uuid4())
    killed = journal_receive(device=s.device, device_ref="SAMPLE-0001", operation="PostDocs", user=None,
                             doc_type="SaleReports", document=document, request_bytes=len(document))
    running = journal_receive(device=s.device, device_ref="SAMPLE-0001", operation="PostDocs", user=None,
                              doc_type="SaleReports", document=document, request_bytes=len(document))
    ExchangeJournalEntry.objects.filter(pk=killed.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert journal_purge().stale_uploads == 1
    killed.refresh_from_db()
    running.refresh_from_db()
    assert killed.status == ExchangeJournalEntry.Status.FAULT and "Обработка выгрузки прервана" in killed.error
    assert running.status == ExchangeJournalEntry.Status.RECEIVED  # may still be in work
    assert sales_reports_reload(entry=killed).success and RetailSalesReport.objects.count() == 1
