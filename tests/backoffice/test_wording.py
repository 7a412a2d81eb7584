"""The wording list of a 1С:Розница user (issue 26, item 9): messages with the right gender and «» quotes,
Russian 403 pages, codes as codes, Russian decimals, no alarm icon for a normal «нет», the index grouped as
1C groups its sections."""
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from lxml import html

from offline_exchange.models import ExchangeJournalEntry, SkuCode
from retail.models import Item, Price, Warehouse
from tests.backoffice.test_russian_pages import english_words, visible_text

pytestmark = pytest.mark.django_db

def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _plain(markup: str) -> str:
    return html.fromstring(f"<p>{markup}</p>").text_content()


def test_messages_read_right_for_every_gender(demo, admin_client):
    store = demo["store"]
    # Feminine (касса ККМ), neuter (подключаемое оборудование), masculine (склад): one phrase fits them all.
    register = demo["cash_register"]
    response = admin_client.post(f"/admin/offline_exchange/cashregister/{register.pk}/change/", {
        "name": register.name, "kind": register.kind, "organization": register.organization_id,
        "store": register.store_id, "device": register.device_id,
        "payment_mappings-TOTAL_FORMS": "0", "payment_mappings-INITIAL_FORMS": "0",
    }, follow=True)
    changed = [_plain(text) for text in _messages(response)]
    assert changed == [f"Изменение: «{register.name}» (Касса ККМ)."], changed

    response = admin_client.post("/admin/retail/warehouse/add/", {"name": "Склад у окна", "store": store.pk},
                                 follow=True)
    assert [_plain(text) for text in _messages(response)] == ["Создание: «Склад у окна» (Склад)."]

    warehouse = Warehouse.objects.get(name="Склад у окна")
    response = admin_client.post(f"/admin/retail/warehouse/{warehouse.pk}/delete/", {"post": "yes"}, follow=True)
    assert [_plain(text) for text in _messages(response)] == ["Удаление: «Склад у окна» (Склад)."]

    page = admin_client.get(f"/admin/offline_exchange/offlinedevice/{demo['device'].pk}/change/")
    history = admin_client.get(f"/admin/offline_exchange/cashregister/{register.pk}/history/")
    for text in (*changed, visible_text(page.content), visible_text(history.content)):
        assert "был успешно" not in text and "“" not in text and "“" not in text, text


def test_the_two_list_chooser_names_its_lists_in_the_plural_lower_case(demo, admin_client):
    device = demo["device"]
    page = html.document_fromstring(
        admin_client.get(f"/admin/offline_exchange/offlinedevice/{device.pk}/change/").content.decode())
    assert page.xpath("string(//select[@name='users']/@data-field-name)") == "пользователи синхронизации"
    rule = html.document_fromstring(
        admin_client.get(f"/admin/offline_exchange/exchangerule/{demo['rule'].pk}/change/").content.decode())
    assert rule.xpath("string(//select[@name='filter_groups']/@data-field-name)") == "группы номенклатуры"
    assert rule.xpath("string(//select[@name='filter_items']/@data-field-name)") == "позиции номенклатуры"
    help_text = " ".join(rule.xpath("//div[@class='help']//text()"))
    assert "«Control»" in help_text and "“" not in help_text

    # The catalog is JSON with the Cyrillic escaped.
    catalog = re.sub(r"\\u([0-9a-f]{4})", lambda match: chr(int(match.group(1), 16)),
                     admin_client.get("/admin/jsi18n/").content.decode("ascii"))
    assert "нажмите кнопку со стрелкой влево" in catalog and "«%s»" in catalog
    assert "и и " not in catalog and '\\"%s\\"' not in catalog


def test_user_form_has_no_misspelled_english(demo, admin_client):
    text = visible_text(admin_client.get("/admin/auth/user/add/").content)
    assert "Sing-On" not in text and "Single" not in text
    assert "единый вход" in text


def test_a_refused_page_is_russian_and_styled(demo, client):
    viewer = User.objects.create_user("зритель", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_retailsalesreport"))
    client.force_login(viewer)
    # A view-only user posting to a report page: refused (403), in Russian, in the admin's look.
    report_url = "/admin/retail/retailsalesreport/positions/"
    response = client.get(report_url)
    assert response.status_code == 403
    text = visible_text(response.content)
    assert "Доступ запрещен" in text and "Forbidden" not in text and english_words(text) == set()
    assert b"admin/css/base.css" in response.content


def test_a_stale_form_is_refused_in_russian(demo):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(username="admin"))
    response = browser.post("/admin/retail/warehouse/add/", {"name": "x"})
    assert response.status_code == 403
    text = visible_text(response.content)
    assert "форма устарела" in text and english_words(text) == set(), english_words(text)


def test_codes_are_shown_as_codes(demo, admin_client):
    item = Item.objects.get(article="79052")
    code = SkuCode.objects.get(item=item, characteristic=None, pack=None)
    code.number = 123456
    code.save()
    doc = html.document_fromstring(admin_client.get("/admin/retail/item/", {"q": "79052"}).content.decode())
    assert doc.xpath("normalize-space(//td[contains(@class, 'field-sku_number')])") == "123456"
    sku_list = html.document_fromstring(admin_client.get("/admin/offline_exchange/skucode/",
                                                         {"q": "123456"}).content.decode())
    assert sku_list.xpath("normalize-space(//tbody//*[contains(@class, 'field-sku')])") == "123456"


def test_decimals_are_russian_in_object_names(demo, admin_client):
    item = Item.objects.get(article="79052")
    price = Price.objects.get(item=item)
    price.value = Decimal("349.90")
    price.save()
    assert str(price) == f"{item} — 349,90"
    card = visible_text(admin_client.get(f"/admin/retail/item/{item.pk}/change/").content)
    assert "349,90" in card and "349.90" not in card
    line = demo["order"].lines.get()
    assert str(line) == f"{item} × 2"
    assert str(demo["order"].payments.get()) == "100,00"


def test_a_normal_no_has_no_alarm_icon(demo, admin_client):
    doc = html.document_fromstring(admin_client.get("/admin/retail/item/").content.decode())
    for column in ("is_weight", "deletion_mark"):
        cells = doc.xpath(f"//td[contains(@class, 'field-{column}')]")
        assert cells, column
        assert not doc.xpath(f"//td[contains(@class, 'field-{column}')]//img"), column
    weighed = {" ".join(row.xpath("string(.//th)").split()): row.xpath("normalize-space(.//td[contains(@class, "
                                                                          "'field-is_weight')])")
               for row in doc.xpath("//table[@id='result_list']/tbody/tr")}
    assert weighed["Яблоки Голден, вес."] == "✔" and weighed["Мяч резиновый 15 см"].strip("\xa0") == ""
    orders = html.document_fromstring(admin_client.get("/admin/retail/customerorder/").content.decode())
    assert not orders.xpath("//td[contains(@class, 'field-is_cancelled')]//img")
    write_offs = admin_client.get("/admin/retail/writeoff/add/")
    assert b"icon-no.svg" not in write_offs.content


def test_the_index_groups_the_store_as_1c_does(demo, admin_client):
    doc = html.document_fromstring(admin_client.get("/admin/").content.decode())
    sections = [" ".join(caption.text_content().split()) for caption in doc.xpath("//div[@id='content-main']"
                                                                                   "//div[contains(@class, 'module')]"
                                                                                   "/table/caption")]
    retail = [name for name in sections if name in ("НСИ", "Закупки", "Склад", "Продажи", "Сервис")]
    assert retail == ["НСИ", "Закупки", "Склад", "Продажи", "Сервис"], sections
    assert "Розница" not in sections

    def models_of(section):
        table = doc.xpath(f"//div[@id='content-main']//table[caption[normalize-space()='{section}']]")[0]
        return [" ".join(link.text_content().split()) for link in table.xpath(".//th[@scope='row']/a")]

    # The register's cash (the shift's «Выемка» and the cash ledger) goes with the sales it comes from.
    assert models_of("Продажи") == ["Заказы покупателей", "Отчеты о розничных продажах",
                                    "Выемки денежных средств из касс ККМ", "Движения денежных средств"]
    assert models_of("Закупки") == ["Поступления товаров"]
    assert "Номенклатура" in models_of("НСИ") and "Остатки товаров" in models_of("Склад")
    assert sum(len(models_of(name)) for name in retail) == len(
        [m for m in doc.xpath("//div[@id='content-main']//tr[contains(@class, 'model-')]")
         if "/admin/retail/" in m.xpath("string(.//a/@href)")])


def test_the_journal_names_document_types_in_russian(demo, admin_client):
    device = demo["device"]
    entry = ExchangeJournalEntry.objects.create(device=device, device_ref=device.device_id, operation="PostDocs",
                                                status=ExchangeJournalEntry.Status.OK, doc_type="SaleReports")
    listing = html.document_fromstring(
        admin_client.get("/admin/offline_exchange/exchangejournalentry/").content.decode())
    choices = [" ".join(a.text_content().split()) for a in listing.xpath("//*[@id='changelist-filter']//a")]
    assert "отчеты о продажах" in choices and "SaleReports" not in choices
    page = visible_text(admin_client.get(
        f"/admin/offline_exchange/exchangejournalentry/{entry.pk}/change/").content)
    assert english_words(page) == set(), english_words(page)
