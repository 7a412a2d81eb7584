"""Customer orders follow their sales: the courier's check ships and pays the order. As in 1C, by default the
order is then «Готов к закрытию» and a person closes it; with the automatic closing set, it closes itself."""
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from offline_exchange.services.exports import orders_export
from retail.models import AccountingSettings, CustomerOrder, RetailSalesReport
from retail.services.orders import READY_TO_CLOSE, order_fulfilment, order_state
from tests.offline_exchange.test_sales_import import check, line, pay, shift, upload, xml
from tests.retail.test_posting import item, sku, stock


def courier_check(order, quantity=2, cash="266.00"):
    return check(1, [line(sku("79052"), quantity, "183.00", tax="10")], [pay(cash=cash, pre="100.00")],
                 ref_uuid=order.uuid, ref_type="Order")


@pytest.fixture
def order(demo):
    return CustomerOrder.objects.get(number="ТДРТ-000001")


def automatic_closing():
    settings = AccountingSettings.load()
    settings.manual_order_closing = False
    settings.save()


def staff(username: str, *codenames: str, store) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames, content_type__app_label="retail"))
    store.staff.add(user)
    browser = Client()
    browser.force_login(user)
    return browser


def close_action(browser: Client, order):
    return browser.post(reverse("admin:retail_customerorder_changelist"),
                        {"action": "close_orders", "_selected_action": [order.pk]})


def test_a_new_installation_closes_orders_by_hand(db):
    # A freshly migrated base has no settings row; the one load() creates is 1C's default.
    assert not AccountingSettings.objects.exists()
    assert AccountingSettings.load().manual_order_closing is True


def test_order_closed_by_its_couriers_check_with_automatic_closing(demo, order):
    automatic_closing()
    assert order.status == CustomerOrder.Status.AGREED and order_state(order=order) == "Ожидается продажа"
    upload(demo["device"], xml(shift([courier_check(order)])))
    report = RetailSalesReport.objects.get()
    order.refresh_from_db()
    assert report.posted and order.status == CustomerOrder.Status.CLOSED
    data = order_fulfilment(order=order)
    assert data.shipped == {(item("79052").pk, None, None): D(2)}
    assert (data.prepaid, data.paid_at_sale, data.paid, data.total) == (D(100), D(266), D(366), D(366))
    assert data.reports == [(report, D("366.00"), D("266.00"))]
    assert stock(item("79052")) == D(8)
    # A closed order is not sent to the register again, though its closing is a change in the feed.
    assert b"\xd0\xa2\xd0\x94\xd0\xa0\xd0\xa2-000001" not in orders_export(device=demo["device"])


def test_by_default_the_sold_order_stays_ready_to_close_until_a_person_closes_it(demo, order):
    AccountingSettings.objects.all().delete()  # as on a new installation: the default decides
    upload(demo["device"], xml(shift([courier_check(order)])))
    order.refresh_from_db()
    assert RetailSalesReport.objects.get().posted
    assert order.status == CustomerOrder.Status.AGREED and order_state(order=order) == READY_TO_CLOSE

    viewer = staff("viewer", "view_customerorder", store=demo["store"])
    listing = viewer.get(reverse("admin:retail_customerorder_changelist")).content.decode()
    assert order.number in listing and "close_orders" not in listing  # sees the order, not the action
    close_action(viewer, order)
    order.refresh_from_db()
    assert order.status == CustomerOrder.Status.AGREED  # view-only staff have no «Закрыть заказ»

    manager = staff("manager", "view_customerorder", "change_customerorder", store=demo["store"])
    assert "close_orders" in manager.get(reverse("admin:retail_customerorder_changelist")).content.decode()
    assert close_action(manager, order).status_code == 302
    order.refresh_from_db()
    assert order.status == CustomerOrder.Status.CLOSED and order_state(order=order) == "Закрыт"
    assert b"\xd0\xa2\xd0\x94\xd0\xa0\xd0\xa2-000001" not in orders_export(device=demo["device"])


def test_partial_sale_or_unpaid_keeps_the_order_open(demo, order):
    automatic_closing()  # even the automatic closing leaves it open
    upload(demo["device"], xml(shift([courier_check(order, quantity=1, cash="83.00")])))
    order.refresh_from_db()
    assert order.status == CustomerOrder.Status.AGREED and order_state(order=order) == "Частично продан"
    upload(demo["device"], xml(shift([courier_check(order, quantity=2, cash="100.00")], number="2")))
    order.refresh_from_db()
    # Shipped 3 of 2 but paid 100 + 83 + 100 of 366: still open.
    assert order.status == CustomerOrder.Status.AGREED


def test_an_unposted_report_ships_nothing(demo, order):
    doc = shift([courier_check(order)], closed=False)  # an open shift is saved unposted
    upload(demo["device"], xml(doc))
    order.refresh_from_db()
    assert not RetailSalesReport.objects.get().posted and order.status == CustomerOrder.Status.AGREED
    assert order_fulfilment(order=order).shipped == {}


def test_order_page_shows_shipped_and_paid_by_report(demo, order, admin_client):
    upload(demo["device"], xml(shift([courier_check(order)])))
    report = RetailSalesReport.objects.get()
    page = admin_client.get(reverse("admin:retail_customerorder_change", args=[order.pk])).content.decode()
    assert "Отгружено и оплачено" in page and READY_TO_CLOSE in page
    assert report.number in page and reverse("admin:retail_retailsalesreport_change", args=[report.pk]) in page
    assert "366,00" in page and "266,00" in page


def test_close_order_action(demo, order, admin_client):
    response = admin_client.post(reverse("admin:retail_customerorder_changelist"),
                                 {"action": "close_orders", "_selected_action": [order.pk]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == CustomerOrder.Status.CLOSED
