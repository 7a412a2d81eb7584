"""Russian formats everywhere a person reads (13.07.2020 16:31:53, 1 306,84, 20%), one source of truth
(retail/formats/ru/formats.py) for the admin and the filters, inputs that take back what they show, and
nothing machine-readable (SOAP, files) carrying the separators."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.utils import formats, translation
from lxml import html

from common.ru import date_text, datetime_text, money_text, plural, quantity_text, vat_text
from retail.models import Price

NBSP = "\xa0"
MOMENT = dt.datetime(2020, 7, 13, 16, 31, 53)


def test_filters():
    assert money_text(D("1306.84")) == f"1{NBSP}306,84"
    assert money_text(D("-1234567.5")) == f"-1{NBSP}234{NBSP}567,50"
    assert money_text(D("0.005")) == "0,01" and money_text(D("2.994")) == "2,99"  # rounded, not cut
    assert money_text(None) == "" and money_text("") == ""
    assert quantity_text(D("1.254")) == "1,254" and quantity_text(D("12000")) == f"12{NBSP}000"
    assert quantity_text(D("3.500")) == "3,5"
    assert datetime_text(MOMENT) == "13.07.2020 16:31:53" and date_text(MOMENT.date()) == "13.07.2020"
    assert vat_text("20") == "20%" and vat_text("none") == "Без НДС" and vat_text("") == "Без НДС"


def test_filters_follow_the_format_module_whatever_the_language():
    # The admin formats through Django's format module; the filters read the same module.
    assert formats.localize(D("1306.84")) == money_text(D("1306.84"))
    assert formats.date_format(MOMENT, "DATETIME_FORMAT") == datetime_text(MOMENT)
    assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "13.07.2020 16:31:53"
    assert formats.date_format(MOMENT.date(), "DATE_FORMAT") == "13.07.2020"
    with translation.override("en"):  # a note written outside a request still reads in Russian
        assert money_text(D("1306.84")) == f"1{NBSP}306,84" and datetime_text(MOMENT) == "13.07.2020 16:31:53"


def test_templates_render_russian_formats_without_the_filters():
    rendered = Template("{{ money }}|{{ moment }}|{{ day }}|{{ count }}").render(
        Context({"money": D("1306.84"), "moment": MOMENT, "day": MOMENT.date(), "count": 12000}))
    assert rendered == f"1{NBSP}306,84|13.07.2020 16:31:53|13.07.2020|12{NBSP}000"


def _price(demo, value="1306.84"):
    price = Price.objects.order_by("pk").first()
    price.value = D(value)
    price.date = dt.date(2020, 7, 13)
    price.save()
    return price


def _with_class(doc, tag: str, css_class: str) -> list:
    return doc.xpath(f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")


def _visible(response) -> str:
    return " ".join(html.document_fromstring(response.content.decode()).itertext())


@pytest.mark.django_db
def test_change_list_shows_money_and_dates_in_russian_right_aligned(demo, admin_client):
    price = _price(demo)
    page = admin_client.get("/admin/retail/price/", {"q": price.item.name})
    doc = html.document_fromstring(page.content.decode())
    cell = _with_class(doc, "td", "field-value")[0]
    assert cell.text_content() == f"1{NBSP}306,84"
    assert "numeric" in cell.get("class").split()  # right-aligned by static/retail/admin.css
    assert "numeric" in _with_class(doc, "th", "column-value")[0].get("class").split()
    assert _with_class(doc, "td", "field-date")[0].text_content() == "13.07.2020"
    assert "numeric" not in _with_class(doc, "th", "field-item")[0].get("class", "").split()

    journal = _visible(admin_client.get("/admin/retail/customerorder/"))
    assert re.search(r"\b\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d\b", journal), journal[:2000]
    assert " г." not in journal


@pytest.mark.django_db
def test_a_localized_decimal_input_round_trips(demo, admin_client):
    price = _price(demo)
    url = f"/admin/retail/price/{price.pk}/change/"
    form = html.document_fromstring(admin_client.get(url).content.decode()).get_element_by_id("price_form")
    value = form.xpath(".//input[@name='value']")[0]
    assert value.get("value") == f"1{NBSP}306,84" and "vDecimalField" in value.get("class")
    data = dict(form.form_values())
    assert data["date"] == "13.07.2020"
    response = admin_client.post(url, data)  # exactly what the form showed, sent back
    assert response.status_code == 302, _visible(response)[:3000]
    price.refresh_from_db()
    assert price.value == D("1306.84")

    for typed, expected in ((f"2{NBSP}500,5", D("2500.50")), ("2 500,50", D("2500.50")), ("99.90", D("99.90"))):
        assert admin_client.post(url, {**data, "value": typed}).status_code == 302
        price.refresh_from_db()
        assert price.value == expected, typed
    refused = admin_client.post(url, {**data, "value": "12,3,4"})
    assert refused.status_code == 200 and "Введите число" in _visible(refused)
    price.refresh_from_db()
    assert price.value == D("99.90")  # nothing changed


@pytest.mark.django_db
def test_soap_answers_carry_no_separators(client, demo, device_id):
    from tests.equipment_service.soap import call

    Price.objects.update(value=D("1306.84"))
    bodies = [call(client, "GetSettings", [("DeviceID", device_id)]).body]
    tid = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")]
               ).result("PrepareFullPriceList")
    for _ in range(100):
        answer = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", tid),
                                                      ("Restart", "false")])
        bodies.append(answer.body)
        package = html.fromstring(answer.result("GetPriceListPackage").encode())
        if package.findtext("{*}isformed") != "true" or package.get("packagenumber") == package.get("packagetotal"):
            break
    bodies.append(call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).body)
    text = b"".join(bodies).decode()
    assert NBSP not in text and "\u202f" not in text
    assert 'Price="1306.84"' in text.replace("&quot;", '"') or "1306.84" in text
    assert "1306,84" not in text


@pytest.mark.django_db
def test_exported_files_carry_no_thousand_separators(demo):
    from retail.services.catalog import catalog_export

    _price(demo, "1306.84")
    exported = catalog_export(model="prices", file_format="csv").decode()
    assert "1306,84" in exported and NBSP not in exported


@pytest.mark.django_db
def test_journal_notes_write_money_in_russian():
    # The import's notes and reasons write money with the pages' filter.
    from offline_exchange.services.sales import money_text

    assert money_text(D("1306.84")) == f"1{NBSP}306,84"


@pytest.mark.parametrize("count, word", [(1, "позиция"), (2, "позиции"), (4, "позиции"), (5, "позиций"), (11, "позиций"),
                                         (12, "позиций"), (14, "позиций"), (21, "позиция"), (22, "позиции"),
                                         (25, "позиций"), (111, "позиций"), (0, "позиций")])
def test_a_count_takes_the_nouns_form_russian_grammar_asks_for(count, word):
    assert plural(count, "позиция", "позиции", "позиций") == word
