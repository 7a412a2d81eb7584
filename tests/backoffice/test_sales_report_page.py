"""The Retail Sales Report page as 1С:Розница lays it out, and an unposted report fixed on it."""
import re
import uuid
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from offline_exchange.models import DeviceCodeAlias, ExchangeSettings, SkuCode
from offline_exchange.services.journal import journal_receive
from offline_exchange.services.sales import post_docs
from retail.models import Item, RetailSalesReport
from tests import factories as f
from tests.conftest import sample

pytestmark = pytest.mark.django_db

# Words that are Russian usage on these pages: the file format, the code register, the upload's identifiers.
LATIN_ALLOWED = {"XML", "SKU"}


class _VisibleText(HTMLParser):
    """The text a reader sees inside one element (the page without the admin's menus by default): no scripts, styles or attributes."""

    def __init__(self, root_id="content-start"):
        super().__init__()
        self.root_id, self.depth, self.skip, self.parts = root_id, 0, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            if tag not in ("br", "input", "img", "meta", "link", "hr"):
                self.depth += 1
            self.skip += tag in ("script", "style")
        elif dict(attrs).get("id") == self.root_id:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.skip -= tag in ("script", "style")
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def visible(html: str, root_id="content-start") -> str:
    parser = _VisibleText(root_id)
    parser.feed(html)
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts))  # a no-break space is kept: it is the format


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"(?<![\w-])[A-Za-z]{2,}(?![\w-])", text)} - LATIN_ALLOWED


def received(device, name):
    document = sample(name)
    entry = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                            doc_type="SaleReports", document=document, request_bytes=len(document))
    return post_docs(device=device, doc_type="SaleReports", document=document, journal_entry=entry)


@pytest.fixture
def open_shift(sample_shop):
    """Sample (c): the shift is still open and code 00005 is nobody's."""
    received(sample_shop.device, "c_sale_reports_open_shift.xml")
    return RetailSalesReport.objects.get()


@pytest.fixture
def unknown_cigarettes(sample_shop):
    """Sample (a), closed, with its code 00004 known to nobody."""
    SkuCode.objects.filter(number=4).delete()
    Item.objects.filter(pk=sample_shop.cigarettes.pk).update(uuid=uuid.uuid4())
    received(sample_shop.device, "a_sale_reports_closed_shift.xml")
    report = RetailSalesReport.objects.get()
    assert not report.posted
    return report


def page_of(browser, report) -> str:
    response = browser.get(reverse("admin:retail_retailsalesreport_change", args=[report.pk]))
    assert response.status_code == 200
    return response.content.decode()


staff = f.staff_client


def test_the_report_page_is_laid_out_like_1c(admin_client, open_shift):
    html = page_of(admin_client, open_shift)
    text = visible(html)
    number, date = open_shift.number, open_shift.date.strftime("%d.%m.%Y %H:%M:%S")
    assert f"<h1>Отчет о розничных продажах {number} от {date}</h1>" in html
    for label, value in (("Касса ККМ", "Касса 1 (офлайн)"), ("Магазин", "Магазин на Плехановской"),
                         ("Организация", "ООО «Образец»"), ("Склад", "Торговый зал")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html, label
    tabs = re.findall(r'role="tab"[^>]*?(?: class="(empty)")?>([^<]+)<span class="count">(\d+)</span>', html)
    assert [(title, count, dimmed == "empty") for dimmed, title, count in tabs] == [
        ("Товары", "3", False), ("Возвращенные", "0", True), ("Оплата наличными", "1", False),
        ("Оплата платежными картами", "0", True), ("Оплата банковскими кредитами", "0", True),
        ("Расчеты с клиентами", "0", True), ("Дополнительно", "1", False), ("Комментарий", "1", False)]
    goods = html.split('id="panel-goods"')[1].split("</table>")[0]
    assert re.findall(r'<th class="\w+" scope="col">([^<]+)</th>', goods) == [
        "N", "Артикул", "Номенклатура", "Характеристика", "Количество", "Ед. изм.", "Цена", "Всего", "% НДС", "НДС",
        "Склад"]
    assert '<td class="text unknown">⚠ не найден: код 00005</td>' in goods
    assert '<td class="num">20%</td>' in goods and '<td class="num">899,00</td>' in goods
    # The totals sit right under the goods table, in Russian formats.
    after_goods = html.split('id="panel-goods"')[1].split("</table>", 1)[1]
    assert after_goods.lstrip().removeprefix("</div>").lstrip().startswith('<p class="report-totals" id="report-totals">'
                                           f"Всего: {_money(open_shift.total)} | НДС в т.ч.: "
                                           f"{_money(open_shift.vat_total)} | Возврат: 0,00</p>")
    assert "Не проведен: 2 кода не найдены; смена не закрыта" in text
    assert "Нераспознанные строки" in text and "Позиция номенклатуры" in text
    assert "Провести" in text and "Печать" in text and "Перепровести" not in text
    for absent in ("object (", "Удалить", "Сохранить", "None"):
        assert absent not in text, absent
    assert "object (" not in html
    assert english_words(text) == set(), english_words(text)


def _money(value):
    from common.ru import money_text

    return money_text(value)


def test_thousands_are_spaced_and_vat_reads_as_percent(admin_client, sample_shop):
    received(sample_shop.device, "a_sale_reports_closed_shift.xml")
    report = RetailSalesReport.objects.get()
    assert report.posted and report.total == D("1306.84")
    text = visible(page_of(admin_client, report))
    assert "Всего: 1\xa0306,84 | НДС в т.ч.:" in text and "✔ Проведен" in text
    assert "Нераспознанные строки" not in text and "10%" in text
    listing = admin_client.get(reverse("admin:retail_retailsalesreport_changelist")).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
    assert headers[:2] == ["posted_icon", "number"] and "total_shown" in headers
    assert re.search(r'<td class="[^"]*field-total_shown[^"]*">1\xa0306,84</td>', listing)
    assert 'alt="True"' in listing.split('id="result_list"')[1]  # «Проведен» as the admin's icon


def test_the_printed_form_has_the_header_and_the_goods(open_shift):
    viewer = staff("viewer", "view_retailsalesreport", store=open_shift.store)
    response = viewer.get(reverse("admin:retail_retailsalesreport_print", args=[open_shift.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>Отчет о розничных продажах {open_shift.number} от" in html
    assert "<dt>Касса ККМ</dt><dd>Касса 1 (офлайн)</dd>" in html and "⚠ не найден: код 00005" in html
    assert 'id="report-totals">Всего:' in html and "@media print" in html
    assert english_words(visible(html.replace("<body>", '<body id="print">'), "print")) == set()


def post_page(browser, report, **rows):
    """«Провести» on the report's page with a position (and a way) chosen for some of its codes."""
    data = {}
    for n, (code, (position, mode)) in enumerate(rows.items(), 1):
        data.update({f"code-{n}": code.removeprefix("c"), f"position-{n}": position, f"mode-{n}": mode})
    return browser.post(reverse("admin:retail_retailsalesreport_post", args=[report.pk]), data, follow=True)


def test_mapping_a_code_and_posting_is_one_step(admin_client, sample_shop, unknown_cigarettes):
    report = unknown_cigarettes
    skus_before = list(SkuCode.objects.order_by("number").values_list("number", "item_id"))
    html = page_of(admin_client, report)
    assert html.count(">Провести</button>") == 1 and 'form="post-form"' in html
    response = post_page(admin_client, report, c00004=(f"{sample_shop.cigarettes.pk}::", "alias"))
    text = visible(response.content.decode())
    assert "Код 00004 кассы «Мобильная касса 1» сопоставлен с позицией «Сигареты»." in text
    assert f"{report}: проведен." in text and "✔ Проведен" in text
    alias = DeviceCodeAlias.objects.get()
    assert (alias.device, alias.code, alias.item, alias.created_by.username) == (
        sample_shop.device, "00004", sample_shop.cigarettes, "admin")
    report.refresh_from_db()
    assert report.posted and RetailSalesReport.objects.count() == 1
    assert list(SkuCode.objects.order_by("number").values_list("number", "item_id")) == skus_before
    # The journal's «Предупреждение» of the upload is gone with the fix.
    report.journal_entry.refresh_from_db()
    assert (report.journal_entry.status, report.journal_entry.error) == ("ok", "")


def test_posting_without_a_choice_posts_again_and_says_why_not(admin_client, sample_shop, unknown_cigarettes):
    response = post_page(admin_client, unknown_cigarettes)
    text = visible(response.content.decode())
    assert f"{unknown_cigarettes}: не проведен: 1 код не найден." in text
    unknown_cigarettes.journal_entry.refresh_from_db()
    assert unknown_cigarettes.journal_entry.status == "warning"


def test_a_free_code_can_become_the_sku_of_a_position_without_one(admin_client, sample_shop, unknown_cigarettes):
    ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 1, "weight_sku_max": 3})
    html = page_of(admin_client, unknown_cigarettes)
    assert "сделать кодом SKU позиции для всех касс" in html  # 00004 is nobody's and inside the piece goods' range
    response = post_page(admin_client, unknown_cigarettes,
                         c00004=(f"{sample_shop.shirt.pk}:{sample_shop.size_l.pk}:", "sku"))
    assert "Код SKU 00004 присвоен позиции «Футболка, L»" in response.content.decode()
    assert SkuCode.objects.get(number=4).characteristic == sample_shop.size_l
    assert not DeviceCodeAlias.objects.exists()


@pytest.mark.parametrize("data, error", [
    ({"code": "00004", "position": "abc", "mode": "alias"}, "Выберите номенклатуру из списка."),
    ({"code": "00004", "position": "999999::", "mode": "alias"}, "Выбранная номенклатура не найдена"),
    ({"code": "00001", "position": "{cigarettes}::", "mode": "alias"},
     "Код «00001» не входит в нераспознанные строки этого отчета."),
    ({"code": "00004", "position": "{cigarettes}:{size_m}:", "mode": "alias"},
     "Характеристика «M» не относится к номенклатуре «Сигареты»."),
    ({"code": "00004", "position": "{shirt}::", "mode": "sku"},
     "У позиции «Футболка» уже есть код SKU 2; его используют другие кассы"),
])
def test_bad_mappings_are_refused_in_russian_and_change_nothing(admin_client, sample_shop, unknown_cigarettes,
                                                               data, error):
    ids = {"cigarettes": sample_shop.cigarettes.pk, "size_m": sample_shop.size_m.pk, "shirt": sample_shop.shirt.pk}
    data = {key: value.format(**ids) for key, value in data.items()}
    skus_before = list(SkuCode.objects.values_list("number", "item_id", "characteristic_id", "pack_id"))
    response = post_page(admin_client, unknown_cigarettes, **{"c" + data["code"]: (data["position"], data["mode"])})
    assert error in response.content.decode() and "Отчет не проведен, ничего не изменено." in response.content.decode()
    assert not DeviceCodeAlias.objects.exists()
    assert list(SkuCode.objects.values_list("number", "item_id", "characteristic_id", "pack_id")) == skus_before
    unknown_cigarettes.refresh_from_db()
    assert not unknown_cigarettes.posted


def test_two_codes_are_mapped_all_or_none(admin_client, sample_shop, unknown_cigarettes):
    # The second choice is refused: the first one is not kept either.
    response = post_page(admin_client, unknown_cigarettes, c00004=(f"{sample_shop.cigarettes.pk}::", "alias"),
                         c00001=(f"{sample_shop.cigarettes.pk}::", "alias"))
    assert "Код «00001» не входит в нераспознанные строки" in response.content.decode()
    assert not DeviceCodeAlias.objects.exists()


def test_positions_are_found_by_sku_number_name_and_article(admin_client, sample_shop):
    url = reverse("admin:retail_retailsalesreport_positions")
    found = admin_client.get(url, {"term": "00003"}).json()["results"]
    assert found[0] == {"id": f"{sample_shop.water.pk}::", "text": "Вода 0,5 л (SKU 00003)"}
    assert {"id": f"{sample_shop.water.pk}::{sample_shop.six.pk}", "text": "Вода 0,5 л, Упаковка 6 шт (без SKU)"} \
        in found
    shirts = [row["text"] for row in admin_client.get(url, {"term": "футб"}).json()["results"]]
    assert shirts == ["Футболка (SKU 00002)", "Футболка, L (без SKU)", "Футболка, M (без SKU)"]
    Item.objects.filter(pk=sample_shop.apples.pk).update(article="ЯБ-17")
    assert admin_client.get(url, {"term": "ЯБ-1"}).json()["results"][0]["text"] == "Яблоки, вес. (арт. ЯБ-17, SKU 00001)"


class TestRights:
    def test_view_only_staff_see_the_page_without_its_buttons_and_their_posts_are_refused(self, sample_shop,
                                                                                           unknown_cigarettes):
        viewer = staff("viewer", "view_retailsalesreport", store=sample_shop.store)
        html = page_of(viewer, unknown_cigarettes)
        assert "Нераспознанные строки" in html and "⚠ не найден: код 00004" in html
        for button in (">Провести<", "Позиция номенклатуры", "сделать кодом SKU"):
            assert button not in html, button
        pk, position = unknown_cigarettes.pk, f"{sample_shop.cigarettes.pk}::"
        for name, data in (("post", {"code-1": "00004", "position-1": position, "mode-1": "alias"}),
                           ("post", {"code-1": "00004", "position-1": position, "mode-1": "sku"}),
                           ("post", {}), ("change", {})):
            assert viewer.post(reverse(f"admin:retail_retailsalesreport_{name}", args=[pk]), data).status_code == 403
        assert viewer.get(reverse("admin:retail_retailsalesreport_positions"), {"term": "С"}).status_code == 403
        assert not DeviceCodeAlias.objects.exists()
        unknown_cigarettes.refresh_from_db()
        assert not unknown_cigarettes.posted

    def test_staff_without_permissions_reach_nothing(self, unknown_cigarettes):
        nobody = staff("nobody")
        pk = unknown_cigarettes.pk
        assert nobody.get(reverse("admin:retail_retailsalesreport_change", args=[pk])).status_code == 403
        assert nobody.get(reverse("admin:retail_retailsalesreport_print", args=[pk])).status_code == 403
        assert nobody.post(reverse("admin:retail_retailsalesreport_post", args=[pk])).status_code == 403
        unknown_cigarettes.refresh_from_db()
        assert not unknown_cigarettes.posted

    def test_a_store_manager_fixes_reports_of_the_own_store_only(self, sample_shop, unknown_cigarettes):
        rights = ("view_retailsalesreport", "change_retailsalesreport")
        other_store = f.StoreFactory(name="Другой магазин")
        outsider = staff("outsider", *rights, store=other_store)
        pk, data = unknown_cigarettes.pk, {"code-1": "00004", "position-1": f"{sample_shop.cigarettes.pk}::"}
        assert outsider.post(reverse("admin:retail_retailsalesreport_post", args=[pk]), data).status_code == 404
        assert outsider.get(reverse("admin:retail_retailsalesreport_print", args=[pk])).status_code == 404
        assert not DeviceCodeAlias.objects.exists()

        manager = staff("manager", *rights, store=sample_shop.store)
        html = page_of(manager, unknown_cigarettes)
        assert "Позиция номенклатуры" in html and ">Провести</button>" in html
        # Giving a number to a position changes the SKU register of every register: a right of its own.
        assert "сделать кодом SKU" not in html
        data["mode-1"] = "sku"
        assert manager.post(reverse("admin:retail_retailsalesreport_post", args=[pk]), data).status_code == 403
        assert not DeviceCodeAlias.objects.exists()
        data["mode-1"] = "alias"
        manager.post(reverse("admin:retail_retailsalesreport_post", args=[pk]), data)
        unknown_cigarettes.refresh_from_db()
        assert unknown_cigarettes.posted and DeviceCodeAlias.objects.get().created_by.username == "manager"


def test_report_lines_name_themselves_in_russian(open_shift):
    from retail.models import SalesReportCashMovement, SalesReportGoodsLine

    assert str(SalesReportGoodsLine.objects.get(report=open_shift, line_number=1)) == "Товар, строка 1"
    assert str(SalesReportCashMovement.objects.filter(report=open_shift).first()) == "Внесение/выемка, строка 1"
