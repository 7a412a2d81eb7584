"""The item card: the SKU of every position, characteristic and pack choices limited to the item's own, and
the registers whose format will not carry it — as the superuser, view-only staff and a store manager."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from backoffice.item_card import FORMAT_33_HINT, item_positions
from offline_exchange.models import SkuCode
from offline_exchange.services.sku import sku_generate_for_items
from retail.models import Barcode, Item, Price
from tests import factories as f

pytestmark = pytest.mark.django_db


def card(item) -> str:
    return reverse("admin:retail_item_change", args=[item.pk])


staff = f.staff_client


def select_options(page: str, name: str) -> set[str]:
    found = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert found, name
    return set(re.findall(r'<option value="(\d+)"', found.group(1)))


@pytest.fixture
def shirt(db):
    item = f.ItemFactory(name="Рубашка", vat_rate="20")
    white, blue = f.CharacteristicFactory(item=item, name="Белая"), f.CharacteristicFactory(item=item, name="Синяя")
    box = f.PackFactory(item=item, name="Коробка 10 шт")
    sku_generate_for_items(item_ids=[item.pk])
    f.BarcodeFactory(item=item, characteristic=blue, value="4600000000017")
    return item, white, blue, box


def test_every_position_is_listed_with_its_sku(shirt, admin_client):
    item, white, blue, box = shirt
    rows = item_positions(item=item)
    keys = [(row.characteristic, row.pack) for row in rows]
    assert keys == [(None, None), (white, None), (blue, None), (white, box), (blue, box)]
    numbers = {SkuCode.key_for(item.pk, ch.pk if ch else None, pk.pk if pk else None): n
               for (ch, pk), n in zip(keys, [row.number for row in rows])}
    assert numbers == dict(SkuCode.objects.filter(item=item).values_list("position_key", "number"))
    assert rows[2].barcodes == ["4600000000017"] and rows[0].barcodes == []
    page = admin_client.get(card(item)).content.decode()
    table = page[page.index('id="item-positions"'):]
    table = table[:table.index("</table>")]
    for row in rows:
        assert f'<td class="sku">{row.number}</td>' in table
    assert "Коробка 10 шт" in table and "4600000000017" in table


def test_a_new_position_shows_it_has_no_sku_and_a_weighed_code_has_five_digits(shirt, admin_client):
    item, *_ = shirt
    f.CharacteristicFactory(item=item, name="Зеленая")
    page = admin_client.get(card(item)).content.decode()
    assert "нет SKU — позиция не выгружается на кассы" in page
    apples = f.ItemFactory(name="Яблоки", is_weight=True)
    sku_generate_for_items(item_ids=[apples.pk])
    number = SkuCode.objects.get(item=apples).number
    [row] = item_positions(item=apples)
    assert row.code == f"{number:05d}" and len(row.code) == 5


def test_barcode_and_price_choices_are_the_items_own(shirt, admin_client):
    item, white, blue, box = shirt
    other = f.ItemFactory(name="Брюки")
    foreign_ch, foreign_pack = f.CharacteristicFactory(item=other), f.PackFactory(item=other)
    page = admin_client.get(card(item)).content.decode()
    assert select_options(page, "barcodes-__prefix__-characteristic") == {str(white.pk), str(blue.pk)}
    assert select_options(page, "barcodes-__prefix__-pack") == {str(box.pk)}
    assert select_options(page, "prices-__prefix__-characteristic") == {str(white.pk), str(blue.pk)}
    assert str(foreign_ch.pk) not in select_options(page, "barcodes-0-characteristic")
    # A new item has no positions of its own yet: nothing to choose.
    add_page = admin_client.get(reverse("admin:retail_item_add")).content.decode()
    assert select_options(add_page, "barcodes-__prefix__-characteristic") == set()

    # A foreign characteristic posted anyway is refused and nothing is written.
    data = card_form(item)
    data.update({"barcodes-TOTAL_FORMS": 2, "barcodes-1-value": "4600000000024",
                 "barcodes-1-characteristic": foreign_ch.pk, "barcodes-1-pack": foreign_pack.pk})
    response = admin_client.post(card(item), data)
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert not Barcode.objects.filter(value="4600000000024").exists()
    # The same card with the item's own characteristic is written.
    data.update({"barcodes-1-characteristic": white.pk, "barcodes-1-pack": box.pk})
    assert admin_client.post(card(item), data).status_code == 302
    assert Barcode.objects.get(value="4600000000024").characteristic == white


def card_form(item) -> dict:
    """The card as the browser posts it unchanged (each inline with its existing rows)."""
    data = {"name": item.name, "article": item.article, "description": "", "kind": item.kind,
            "base_unit": item.base_unit_id, "vat_rate": item.vat_rate, "calculation_subject": item.calculation_subject}
    for prefix, rows in (("characteristics", list(item.characteristics.all())), ("packs", list(item.packs.all())),
                         ("barcodes", list(item.barcodes.all())), ("prices", list(Price.objects.filter(item=item)))):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for n, row in enumerate(rows):
            data[f"{prefix}-{n}-id"] = row.pk
            data[f"{prefix}-{n}-item"] = item.pk
            for name in ("name", "coefficient", "value", "characteristic", "pack", "barcode_type"):
                if hasattr(row, name):
                    value = getattr(row, f"{name}_id", None) if name in ("characteristic", "pack") else getattr(row, name)
                    data[f"{prefix}-{n}-{name}"] = "" if value is None else value
    return data


def test_vat_22_on_a_register_that_does_not_carry_it_is_named_with_the_way_out(demo, admin_client):
    device = demo["device"]
    item = Item.objects.get(article="79052")
    item.vat_rate = "22"
    item.save()
    page = admin_client.get(card(item)).content.decode()
    text = f"Формат обмена кассы «{device.name}» (3.1) не передает ставку НДС 22%: товар на эту кассу не выгружается."
    assert text.lower() in page.lower()
    assert FORMAT_33_HINT.strip() in page
    assert demo["device_33"].name not in page  # the 3.3 register carries it
    device.format_version = 3003
    device.save()
    assert "не передает ставку НДС 22%" not in admin_client.get(card(item)).content.decode()


def test_view_only_staff_and_a_store_manager_read_the_sku_table(shirt, demo):
    item, white, blue, box = shirt
    numbers = SkuCode.objects.filter(item=item).values_list("number", flat=True)
    for browser in (staff("viewer", "view_item", "view_barcode", "view_price"),
                    staff("manager", "view_item", "change_item", "view_barcode", "change_barcode",
                          store=demo["store"])):
        page = browser.get(card(item)).content.decode()
        assert "Коды SKU позиций" in page
        assert all(f'<td class="sku">{n}</td>' in page for n in numbers)
    assert staff("nobody").get(card(item)).status_code == 403
