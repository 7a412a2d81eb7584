"""The customer order page: numbered with the organization's prefix, sums and VAT computed from the lines,
the totals under them and the order's way to the courier's register — as the superuser, a store manager of
one store and view-only staff."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.urls import reverse

from common.ru import NBSP
from offline_exchange.models import ExchangeJournalEntry
from offline_exchange.services.exports import orders_export
from offline_exchange.services.order_delivery import order_exchange
from retail.models import CustomerOrder, CustomerOrderLine
from retail.services.orders import OrderError, order_lines_write, order_save, order_totals
from tests import factories as f

pytestmark = pytest.mark.django_db


def new_order(demo, **values) -> CustomerOrder:
    values = {"date": dt.datetime(2024, 6, 1, 9, 30), "store": demo["store"], "organization": demo["organization"],
              **values}
    return order_save(order=CustomerOrder(**values))


def staff(username: str, *codenames: str, store=None) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames,
                                                        content_type__app_label="retail"))
    if store is not None:
        store.staff.add(user)
    browser = Client()
    browser.force_login(user)
    return browser


def change_url(order) -> str:
    return reverse("admin:retail_customerorder_change", args=[order.pk])


# --- Numbers ---------------------------------------------------------------------------------------

def test_an_empty_number_is_the_next_of_the_organization_prefix_in_the_year(demo):
    # The demo's order is ТДРТ-000001 of 2024.
    first, second = new_order(demo), new_order(demo, number="  ")
    assert (first.number, second.number) == ("ТДРТ-000002", "ТДРТ-000003")
    assert (first.number_year, first.number_seq) == (2024, 2)
    next_year = new_order(demo, date=dt.datetime(2025, 1, 3, 10, 0))
    assert (next_year.number, next_year.number_year) == ("ТДРТ-000001", 2025)
    plain = f.OrganizationFactory(number_prefix="")
    assert new_order(demo, organization=plain).number == "00-000001"


def test_a_typed_number_is_kept_counted_and_never_repeated_in_its_year(demo):
    typed = new_order(demo, number="ТДРТ-000010")
    assert (typed.number, typed.number_seq) == ("ТДРТ-000010", 10)
    assert new_order(demo).number == "ТДРТ-000011"
    assert new_order(demo, number="Сайт-77").number_seq is None
    before = CustomerOrder.objects.count()
    with pytest.raises(OrderError, match="Заказ покупателя с номером ТДРТ-000010 уже есть в 2024 году"):
        new_order(demo, number="ТДРТ-000010")
    assert CustomerOrder.objects.count() == before
    # Another year may have the same number, as 1C numbers within the year.
    assert new_order(demo, number="ТДРТ-000010", date=dt.datetime(2025, 2, 1)).number_year == 2025


@pytest.mark.django_db(transaction=True)
def test_orders_saved_at_once_get_different_numbers(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    barrier = threading.Barrier(4)
    numbers, errors = [], []

    def worker():
        from django.db import connections
        try:
            barrier.wait()
            numbers.append(new_order(demo).number)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == ["ТДРТ-000002", "ТДРТ-000003", "ТДРТ-000004", "ТДРТ-000005"]


# --- Sums, VAT, totals -----------------------------------------------------------------------------

def test_line_sum_and_vat_from_quantity_price_and_the_items_rate_rounded_half_up(demo):
    order = new_order(demo)
    vat20 = f.ItemFactory(vat_rate="20")
    no_vat = f.ItemFactory(vat_rate="none")
    lines = [CustomerOrderLine(item=vat20, quantity=D("3"), price=D("10.01")),
             CustomerOrderLine(item=vat20, quantity=D("1"), price=D("50.00"), vat_rate="10"),
             CustomerOrderLine(item=no_vat, quantity=D("0.335"), price=D("15.00"))]
    order_lines_write(order=order, lines=lines)
    first, own_rate, weighed = (CustomerOrderLine.objects.get(pk=line.pk) for line in lines)
    # 30,03 × 20/120 = 5,005: half up gives 5,01 (banker's rounding would give 5,00).
    assert (first.amount, first.vat_rate, first.vat_amount) == (D("30.03"), "20", D("5.01"))
    assert (own_rate.amount, own_rate.vat_rate, own_rate.vat_amount) == (D("50.00"), "10", D("4.55"))
    # 0,335 × 15 = 5,025 → 5,03.
    assert (weighed.amount, weighed.vat_amount) == (D("5.03"), D("0.00"))
    totals = order_totals(order=order)
    assert (totals.total, totals.vat) == (D("85.06"), D("9.56"))
    assert all(isinstance(value, D) for value in (totals.total, totals.vat, first.amount, first.vat_amount))


def test_line_of_another_items_characteristic_is_refused(demo):
    order = new_order(demo)
    item, other = f.ItemFactory(), f.ItemFactory()
    foreign = f.CharacteristicFactory(item=other)
    line = CustomerOrderLine(order=order, item=item, characteristic=foreign, quantity=D("1"), price=D("1"))
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError) as caught:
        line.full_clean(exclude=["amount"])
    assert "не относится к номенклатуре" in str(caught.value)


def add_form(demo, *, number="", lines=(), payments=()) -> dict:
    data = {
        "number": number, "date_0": "01.06.2024", "date_1": "09:30:00", "status": "agreed",
        "organization": demo["organization"].pk, "store": demo["store"].pk, "warehouse": demo["warehouse"].pk,
        "courier_cash_register": demo["cash_register"].pk,
        "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": 0, "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
        "payments-TOTAL_FORMS": len(payments), "payments-INITIAL_FORMS": 0, "payments-MIN_NUM_FORMS": 0,
        "payments-MAX_NUM_FORMS": 1000,
    }
    for n, line in enumerate(lines):
        data.update({f"lines-{n}-{key}": value for key, value in line.items()})
    for n, payment in enumerate(payments):
        data.update({f"payments-{n}-{key}": value for key, value in payment.items()})
    return data


def test_order_written_on_the_page_is_numbered_computed_and_totalled(demo, admin_client):
    item = f.ItemFactory(vat_rate="20")
    response = admin_client.post(reverse("admin:retail_customerorder_add"), add_form(demo, lines=[
        # Typed as the store writes numbers: decimal comma.
        {"item": item.pk, "quantity": "2", "price": "653,42", "vat_rate": ""},
    ], payments=[{"date_0": "01.06.2024", "date_1": "09:40:00", "kind": "cash", "amount": "300,00"}]))
    assert response.status_code == 302, response.content.decode()[:3000]
    order = CustomerOrder.objects.get(number="ТДРТ-000002")
    line = order.lines.get()
    assert (line.amount, line.vat_rate, line.vat_amount) == (D("1306.84"), "20", D("217.81"))
    page = admin_client.get(change_url(order)).content.decode()
    assert f"Всего: 1{NBSP}306,84 | НДС в т.ч.: 217,81 | Предоплата: 300,00 | К оплате: 1{NBSP}006,84" in page
    assert 'value="653,42"' in page
    assert "Заказ покупателя ТДРТ-000002 от 01.06.2024 09:30:00" in page
    assert "object (" not in page and "CustomerOrderLine" not in page
    # The goods and the prepayments are each a narrow table of their own class (the page's styles name them).
    assert page.count('<table class="order-lines compact-lines">') == 1
    assert page.count('<table class="order-payments compact-lines">') == 1


def test_a_duplicate_number_on_the_page_is_a_russian_error_and_writes_nothing(demo, admin_client):
    before = CustomerOrder.objects.count()
    response = admin_client.post(reverse("admin:retail_customerorder_add"), add_form(demo, number="ТДРТ-000001"))
    assert response.status_code == 200
    assert "Заказ покупателя с номером ТДРТ-000001 уже есть в 2024 году" in response.content.decode()
    assert CustomerOrder.objects.count() == before


def test_a_line_with_another_items_pack_is_refused_on_the_page(demo, admin_client):
    item, other = f.ItemFactory(), f.ItemFactory()
    pack = f.PackFactory(item=other)
    before = CustomerOrder.objects.count()
    response = admin_client.post(reverse("admin:retail_customerorder_add"), add_form(demo, lines=[
        {"item": item.pk, "pack": pack.pk, "quantity": "1", "price": "10"}]))
    assert response.status_code == 200
    assert f"Упаковка «{pack}» не относится к номенклатуре «{item}»" in response.content.decode()
    assert CustomerOrder.objects.count() == before


# --- The order's way to the register ---------------------------------------------------------------

def test_exchange_state_follows_the_registers_orders_watermark(demo):
    order = demo["order"]
    register = demo["cash_register"].name
    assert order_exchange(order=order).state == (
        f"Ожидает выгрузки на кассу ККМ «{register}»: касса еще не получала заказы.")
    orders_export(device=demo["device"])
    sent = order_exchange(order=order)
    assert sent.sent and sent.state == f"Выгружен на кассу ККМ «{register}»."
    ExchangeJournalEntry.objects.create(device=demo["device"], operation="GetDocs", status="ok")
    assert "Последнее получение заказов кассой: " in order_exchange(order=order).state
    line = order.lines.get()
    line.quantity = D("3")
    order_lines_write(order=order, lines=[line])
    changed = order_exchange(order=order)
    assert not changed.sent and "изменен после последнего получения заказов кассой" in changed.state
    assert order_exchange(order=new_order(demo)).state == "Не выгружается на кассу: не указана касса курьера."
    order.status = CustomerOrder.Status.CLOSED
    order.save()
    assert order_exchange(order=order).state == f"Закрыт — на кассу ККМ «{register}» больше не выгружается."


def test_order_sold_by_the_register_lists_its_report(demo, admin_client):
    from retail.models import RetailSalesReport
    from tests.offline_exchange.test_sales_import import shift, upload, xml
    from tests.retail.test_orders_follow_sales import courier_check

    order = demo["order"]
    upload(demo["device"], xml(shift([courier_check(order)])))
    report = RetailSalesReport.objects.get()
    assert order_exchange(order=order).received == [(report, True)]
    page = admin_client.get(change_url(order)).content.decode()
    assert "Продан на кассе:" in page and str(report) in page


# --- The page as the people who use it -------------------------------------------------------------

def test_store_manager_sees_totals_and_exchange_of_own_store_only(demo):
    manager = staff("manager", "view_customerorder", "change_customerorder", "view_customerorderline",
                    "add_customerorderline", "change_customerorderline", "delete_customerorderline",
                    store=demo["store"])
    page = manager.get(change_url(demo["order"])).content.decode()
    assert "Всего: 366,00 | НДС в т.ч.: 33,27" in page
    assert "Обмен с кассой" in page and "Ожидает выгрузки на кассу ККМ" in page
    assert 'name="lines-0-quantity"' in page
    other_store = f.StoreFactory()
    foreign = new_order(demo, store=other_store)
    assert manager.get(change_url(foreign)).status_code in (302, 404)
    listing = manager.get(reverse("admin:retail_customerorder_changelist")).content.decode()
    assert demo["order"].number in listing and foreign.number not in listing
    assert "366,00" in listing


def test_view_only_staff_reads_the_page_without_inputs(demo):
    viewer = staff("viewer", "view_customerorder", "view_customerorderline", "view_customerorderpayment",
                   store=demo["store"])
    page = viewer.get(change_url(demo["order"])).content.decode()
    assert "Всего: 366,00 | НДС в т.ч.: 33,27 | Предоплата: 100,00 | К оплате: 266,00" in page
    assert "Ожидает выгрузки на кассу ККМ" in page
    assert 'name="lines-0-quantity"' not in page and 'name="number"' not in page
    assert "СТЕР Пазл 1000 Английский котенок" in page and "object (" not in page
    # Without the lines' own right the totals are still there.
    orders_only = staff("orders-only", "view_customerorder", store=demo["store"])
    assert "Всего: 366,00 | НДС в т.ч.: 33,27" in orders_only.get(change_url(demo["order"])).content.decode()
    before = CustomerOrder.objects.get(pk=demo["order"].pk).number
    viewer.post(change_url(demo["order"]), {"number": "ВЗЛОМ"})
    assert CustomerOrder.objects.get(pk=demo["order"].pk).number == before


def test_staff_without_permissions_cannot_open_the_order(demo):
    nobody = staff("nobody")
    assert nobody.get(change_url(demo["order"])).status_code == 403
