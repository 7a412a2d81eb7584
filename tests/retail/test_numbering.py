"""One numbering for every numbered document: a counter per kind, organization prefix and year, locked only
by those taking a number of that kind — store documents, orders and sales reports numbered as before
(ТДРТ-000001), and never waiting for each other."""
import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from retail.models import CustomerOrder, DocumentCounter, GoodsReceipt, RetailSalesReport, WriteOff
from retail.services.numbering import document_number_assign, numbers_take, prefix_of
from retail.services.orders import order_save
from tests import factories as f
from tests.offline_exchange.test_sales_import import upload, xml
from tests.retail.test_posting import _receipt, _write_off, seed_shift

WHEN = dt.datetime(2024, 6, 1, 9, 30)
NOT_ON_SQLITE = "SQLite serializes writers; the counters' own locks are proven on PostgreSQL"


def new_order(demo, **values) -> CustomerOrder:
    return order_save(order=CustomerOrder(date=WHEN, store=demo["store"], organization=demo["organization"],
                                          **values))


def test_every_kind_is_numbered_in_the_organization_form_by_its_own_counter(demo):
    first_off, second_off = _write_off(demo)[0], _write_off(demo)[0]
    receipt = _receipt(demo)[0]
    order = new_order(demo)  # the demo's own order is ТДРТ-000001
    assert upload(demo["device"], xml(seed_shift(demo))).success
    report = RetailSalesReport.objects.get()
    assert [first_off.number, second_off.number, receipt.number, order.number, report.number] == [
        "ТДРТ-000001", "ТДРТ-000002", "ТДРТ-000001", "ТДРТ-000002", "ТДРТ-000001"]
    assert (report.number_year, report.number_seq) == (2024, 1)
    assert sorted(DocumentCounter.objects.values_list("kind", "prefix", "year", "last")) == [
        ("retail.cashwithdrawal", "ТДРТ", 2024, 1),  # the upload's automatic «Выемка»
        ("retail.customerorder", "ТДРТ", 2024, 2), ("retail.goodsreceipt", "ТДРТ", 2024, 1),
        ("retail.openingbalance", "ТДРТ", 2024, 1),  # the demo's opening balances
        ("retail.retailsalesreport", "ТДРТ", 2024, 1), ("retail.writeoff", "ТДРТ", 2024, 2)]


def test_a_document_without_a_prefix_is_numbered_00_and_a_numbered_one_keeps_its_number(demo):
    plain = f.OrganizationFactory(number_prefix="")
    assert prefix_of(plain) == prefix_of(None) == "00"
    document = WriteOff(date=WHEN, organization=plain, warehouse=demo["warehouse"], reason="Брак")
    document_number_assign(document=document)
    assert (document.number, document.number_year, document.number_seq) == ("00-000001", 2024, 1)
    document_number_assign(document=document)
    assert document.number == "00-000001"
    assert DocumentCounter.objects.get(kind="retail.writeoff", prefix="00").last == 1


def test_numbers_are_taken_in_a_block_and_the_next_follows_it(demo):
    assert list(numbers_take(model=GoodsReceipt, prefix="ТДРТ", year=2024, count=3)) == [1, 2, 3]
    assert _receipt(demo)[0].number == "ТДРТ-000004"


def test_a_number_written_by_other_means_is_never_given_again(demo):
    # An order typed in the organization's own form counts in the sequence; the counter never repeats it.
    typed = new_order(demo, number="ТДРТ-000010")
    assert (typed.number_seq, new_order(demo).number) == (10, "ТДРТ-000011")


def _thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_number_of_another_kind_is_taken_while_one_kind_is_locked(demo):
    if connection.vendor != "postgresql":
        pytest.skip(NOT_ON_SQLITE)
    holding, other_done = threading.Event(), threading.Event()
    seen, errors = {}, []

    def write_off_held_open():
        with transaction.atomic():
            seen["write_off"] = numbers_take(model=WriteOff, prefix="ТДРТ", year=2024)[0]
            holding.set()
            # The other kinds finish while this transaction still holds the write-offs' counter (the timeout only
            # keeps a broken build from hanging: a site-wide lock would make it run out and the test fail).
            seen["done_while_held"] = other_done.wait(timeout=60)

    def order_and_report():
        holding.wait(timeout=60)
        seen["order"] = new_order(demo).number
        seen["report"] = upload(demo["device"], xml(seed_shift(demo))).success
        other_done.set()

    threads = [_thread(write_off_held_open, errors), _thread(order_and_report, errors)]
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == {"write_off": 1, "done_while_held": True, "order": "ТДРТ-000002", "report": True}
    assert RetailSalesReport.objects.get().number == "ТДРТ-000001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("earlier", [0, 1], ids=["first-of-the-year", "counter-exists"])
def test_two_takes_of_one_kind_at_once_get_consecutive_numbers_one_after_the_other(demo, earlier):
    if connection.vendor != "postgresql":
        pytest.skip(NOT_ON_SQLITE)
    if earlier:  # committed before: both find the counter row (the other case: both race to create it)
        numbers_take(model=WriteOff, prefix="ТДРТ", year=2024)
    holding, release = threading.Event(), threading.Event()
    pids, numbers, errors = {}, {}, []

    def first():
        with transaction.atomic():
            pids["first"] = _backend_pid()
            numbers["first"] = numbers_take(model=WriteOff, prefix="ТДРТ", year=2024)[0]
            holding.set()
            release.wait(timeout=60)

    def second():
        holding.wait(timeout=60)
        pids["second"] = _backend_pid()
        with transaction.atomic():
            numbers["second"] = numbers_take(model=WriteOff, prefix="ТДРТ", year=2024)[0]

    threads = [_thread(first, errors), _thread(second, errors)]
    # The second waits for the first's counter row (or, first of the year, for its creation): seen in the
    # server's own lock graph, not guessed from time.
    blocked = _blocked_by(lambda: pids.get("second"), lambda: pids.get("first"))
    release.set()
    for thread in threads:
        thread.join()
    assert errors == [] and blocked
    assert (numbers["first"], numbers["second"]) == (earlier + 1, earlier + 2)
    assert DocumentCounter.objects.get(kind="retail.writeoff").last == earlier + 2


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _blocked_by(waiter, holder, tries: int = 1200) -> bool:
    """Whether the waiter's session is seen waiting on the holder's lock (polled; each poll is its own snapshot)."""
    for _ in range(tries):
        if waiter() and holder():
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [holder(), waiter()])
                if cursor.fetchone()[0]:
                    return True
        time.sleep(0.05)
    return False
