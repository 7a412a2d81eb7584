"""What a document's form asks while its lines are typed (issue 26, items 2 and 3): a position's price of the
right price type on the document's day and its VAT rate, a scanned barcode's position; new documents dated
now. Rights as the people who hold them."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import html

from retail.models import Characteristic, Item, Pack, Price, PriceType, Store
from retail.selectors import line_defaults, price_on
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 6, 3)


def defaults(browser, admin_name, **params):
    return browser.get(reverse(f"admin:retail_{admin_name}_line_defaults"), params)


def test_the_price_in_force_on_the_day_characteristic_first(demo):
    retail = PriceType.objects.get(name="Розничная цена")
    socks = Item.objects.get(article="НД-02")
    size_14 = Characteristic.objects.get(item=socks, name="Размер 14")
    Price.objects.create(price_type=retail, item=socks, date=dt.date(2024, 6, 1), value=Decimal("99.00"))
    Price.objects.create(price_type=retail, item=socks, characteristic=size_14, date=dt.date(2024, 5, 1),
                         value=Decimal("120.00"))
    Price.objects.create(price_type=retail, item=socks, date=dt.date(2024, 7, 1), value=Decimal("105.00"))
    assert price_on(price_type_id=retail.pk, item_id=socks.pk, on=DAY) == Decimal("99.00")
    assert price_on(price_type_id=retail.pk, item_id=socks.pk, characteristic_id=size_14.pk, on=DAY) == Decimal("120.00")
    assert price_on(price_type_id=retail.pk, item_id=socks.pk, on=dt.date(2023, 12, 31)) is None
    assert price_on(price_type_id=None, item_id=socks.pk, on=DAY) is None
    diapers = Item.objects.get(article="ПГ-3")
    pack = Pack.objects.get(item=diapers)
    found = line_defaults(item=diapers, pack=pack, price_type_id=retail.pk, on=DAY)
    assert (found.price, found.vat_rate, found.unit) == (Decimal("1300.00"), "10", "Упаковка 52 шт")


def test_an_order_line_is_priced_at_its_store_retail_price(demo, admin_client):
    doll = Item.objects.get(article="КМ-30")
    answer = defaults(admin_client, "customerorder", item=doll.pk, store=demo["store"].pk, date="03.06.2024").json()
    assert answer == {"price": "899.00", "price_text": "899,00", "vat_rate": "20", "unit": "шт"}
    # A store without a retail price gives no price, only the VAT rate.
    bare = Store.objects.create(name="Склад-магазин без цен")
    answer = defaults(admin_client, "customerorder", item=doll.pk, store=bare.pk).json()
    assert answer["price"] == "" and answer["vat_rate"] == "20"
    # Another item's characteristic is ignored, an unknown item is refused.
    wrong = Characteristic.objects.exclude(item=doll).first()
    assert defaults(admin_client, "customerorder", item=doll.pk, store=demo["store"].pk,
                    characteristic=wrong.pk).json()["price"] == "899.00"
    assert defaults(admin_client, "customerorder", item=999999).status_code == 404


def test_price_setting_and_receipt_read_their_own_price_type(demo, admin_client):
    retail = PriceType.objects.get(name="Розничная цена")
    ball = Item.objects.get(article="МР-15")
    for name in ("pricesetting", "goodsreceipt"):
        answer = defaults(admin_client, name, item=ball.pk, price_type=retail.pk, date="2024-06-03").json()
        assert answer["price"] == "145.00", name
    assert defaults(admin_client, "writeoff", item=ball.pk).json()["price"] == ""


def test_a_barcode_gives_its_position_and_writes_nothing(demo, admin_client):
    url = reverse("admin:retail_writeoff_barcode")
    ball = Item.objects.get(article="МР-15")
    assert admin_client.get(url, {"code": "4601234500031"}).json() == {
        "item": {"id": str(ball.pk), "text": "Мяч резиновый 15 см"}, "characteristic": None,
        "quantity": "1", "quantity_text": "1", "text": "Мяч резиновый 15 см"}
    pack = admin_client.get(url, {"code": "4601234500123"}).json()  # a pack of 52 diapers
    assert (pack["quantity"], pack["quantity_text"]) == ("52.000", "52") and pack["item"]["text"] == "Подгузники размер 3, 1 шт"
    socks = admin_client.get(url, {"code": "4601234500093"}).json()
    assert socks["characteristic"]["text"] == "Размер 14" and socks["text"] == "Носки детские, Размер 14"
    assert admin_client.get(url, {"code": "000"}).json() == {"error": "Товар со штрихкодом «000» не найден."}
    assert admin_client.get(url, {"code": " "}).json() == {"error": "Штрихкод не указан."}


@pytest.mark.parametrize("name", ["customerorder", "writeoff", "goodsreceipt", "pricesetting", "openingbalance",
                                  "stockcount", "stocktransfer"])
def test_a_new_document_opens_dated_now(demo, admin_client, name):
    page = html.document_fromstring(admin_client.get(reverse(f"admin:retail_{name}_add")).content.decode())
    day = page.xpath("string(//input[@name='date_0']/@value)")
    moment = page.xpath("string(//input[@name='date_1']/@value)")
    assert dt.datetime.strptime(f"{day} {moment}", "%d.%m.%Y %H:%M:%S").date() == dt.date.today()
    assert page.xpath("//script[@id='document-lines-config']")


class TestRights:
    def test_view_only_staff_get_neither_prices_nor_positions(self, demo):
        viewer = f.staff_client("viewer", "view_customerorder", "view_writeoff", store=demo["store"])
        ball = Item.objects.get(article="МР-15")
        assert defaults(viewer, "customerorder", item=ball.pk, store=demo["store"].pk).status_code == 403
        assert viewer.get(reverse("admin:retail_writeoff_barcode"), {"code": "4601234500031"}).status_code == 403

    def test_a_manager_gets_no_price_of_another_store(self, demo):
        retail = PriceType.objects.get(name="Розничная цена")
        other = Store.objects.create(name="Чужой магазин", retail_price_type=retail)
        manager = f.staff_client("manager", "view_customerorder", "add_customerorder", "change_customerorder",
                                 store=demo["store"])
        doll = Item.objects.get(article="КМ-30")
        assert defaults(manager, "customerorder", item=doll.pk, store=demo["store"].pk).json()["price"] == "899.00"
        assert defaults(manager, "customerorder", item=doll.pk, store=other.pk).json()["price"] == ""
