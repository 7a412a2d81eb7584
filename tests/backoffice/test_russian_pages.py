"""Every page of the admin in Russian: a walker over every registered admin (index, list, creation form,
an object's form and history, import/export) fails on an English word in what a person reads; the
rights read in Russian; titles as 1C's («Касса ККМ (создание)»); a Russian 404; no «Открыть сайт»."""
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from lxml import html

from offline_exchange.models import CashRegister
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

# Latin words a Russian 1C user reads too: protocol and file names, units of 1C's own vocabulary, and the
# demo's logins. Model and field identifiers are not here on purpose.
ALLOWED_WORDS = {
    "SKU", "UUID", "XML", "XSD", "ID", "CSV", "XLSX", "JSON", "SOAP", "HTTP", "HTTPS", "URL", "WSDL", "Web",
    "ERP", "EquipmentService", "GTIN", "EAN", "OK",
    "admin", "sync", "md5",  # the demo's logins; the tests' password hasher in the password summary
    "Control", "Command", "Mac",  # Django's Russian «Удерживайте "Control" (или "Command" на Mac)»
    "LDAP",
    "csv", "xlsx",  # the file formats to choose on the import and export pages
}
# Phrases Django's own Russian translation or the protocol keep in Latin.
ALLOWED_PHRASES = ["IsSuccess=false", "SOAP Fault", "Single Sing-On", "Single Sign-On", "User-Agent"]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*[A-Za-z]|[A-Za-z]")


def visible_text(content: bytes) -> str:
    doc = html.document_fromstring(content.decode())
    # <bdi> holds the password hash's algorithm and salt (random letters); scripts and styles are not read.
    # <code> holds identifiers to type as they are (a catalog file's column names).
    for hidden in doc.xpath("//script|//style|//template|//bdi|//code|//*[@hidden]"):
        hidden.drop_tree()
    body = doc.find("body")
    parts = list(body.itertext())
    parts += body.xpath(".//@title|.//@placeholder|.//input[@type='submit' or @type='button']/@value")
    parts.append(doc.findtext(".//title") or "")
    return " ".join(parts)


def english_words(text: str) -> set[str]:
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    text = re.sub(r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b", " ", text)
    text = re.sub(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", " ", text)  # e-mail addresses of the demo's organizations
    text = re.sub(r"https?://\S+|/[\w/.-]+", " ", text)  # addresses: the server's, the publication's
    words = set()
    for word in LATIN_WORD.findall(text):
        if word in ALLOWED_WORDS or (len(word) <= 3 and word.isupper()):  # codes: SKU-like abbreviations
            continue
        words.add(word)
    return words


def admin_pages(browser: Client) -> list[str]:
    urls = ["/admin/"]
    request = browser.get("/admin/").wsgi_request
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        if not model_admin.has_view_or_change_permission(request):
            continue
        urls.append(reverse("admin:%s_%s_changelist" % info))
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:%s_%s_add" % info))
        obj = model_admin.get_queryset(request).order_by("-pk").first()
        if obj is not None:
            urls.append(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
            urls.append(reverse("admin:%s_%s_history" % info, args=[obj.pk]))
        for tool in ("import", "export"):
            try:
                urls.append(reverse(f"admin:%s_%s_{tool}" % info))
            except NoReverseMatch:
                pass
    return urls


def walk(browser: Client) -> dict[str, set[str]]:
    found = {}
    for url in admin_pages(browser):
        response = browser.get(url, follow=True)  # the settings' list opens the one settings form
        assert response.status_code in (200, 403), (url, response.status_code)
        if response.status_code != 200:
            continue
        text = visible_text(response.content)
        problems = english_words(text)
        if "object (" in text:
            problems.add("«object (»")
        if problems:
            found[url] = problems
    return found


@pytest.fixture
def everything(demo, client, device_id):
    """The demo base with a week of history: reports, store documents, transfers, journal entries."""
    from backoffice.demo import demo_history_create

    demo_history_create()
    call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")])
    call(client, "GetSettings", [("DeviceID", "9990000000000001")])
    return demo


def test_every_admin_page_reads_in_russian_for_the_superuser(everything, admin_client):
    pages = admin_pages(admin_client)
    assert len(pages) > 80
    assert walk(admin_client) == {}


def test_every_page_a_viewer_sees_reads_in_russian(everything):
    viewer = User.objects.create_user("зритель", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    browser = Client()
    browser.force_login(viewer)
    assert walk(browser) == {}
    # A view-only form is titled as the others: «<object> (Касса ККМ)», not «Просмотр касса ККМ».
    register = CashRegister.objects.first()
    page = html.document_fromstring(browser.get(f"/admin/offline_exchange/cashregister/{register.pk}/change/")
                                    .content.decode())
    assert page.findtext(".//h1") == f"{register} ({capfirst(CashRegister._meta.verbose_name)})"


def test_staff_without_rights_sees_a_russian_index(demo):
    nobody = User.objects.create_user("сотрудник", password="x", is_staff=True)
    browser = Client()
    browser.force_login(nobody)
    response = browser.get("/admin/")
    assert response.status_code == 200
    text = visible_text(response.content)
    assert english_words(text) == set() and "У вас недостаточно полномочий" in text


def test_permissions_are_named_in_russian(demo, admin_client):
    names = dict(Permission.objects.values_list("codename", "name"))
    assert not [name for name in names.values() if name.startswith("Can ")]
    assert names["add_logentry"] == "Добавление: запись в журнале"
    assert names["view_cashregister"] == f"Просмотр: {CashRegister._meta.verbose_name}"
    assert names["delete_dbtaskresult"] == "Удаление: фоновое задание"
    assert names["change_historicalretailsalesreport"].startswith("Изменение: история изменений: ")
    assert names["sync_data"] == "Выполнение синхронизации данных"  # custom ones keep theirs
    page = visible_text(admin_client.get("/admin/auth/group/add/").content)
    assert "Добавление: запись в журнале" in page and "Can " not in page and "historical" not in page
    assert "Фоновые задания | фоновое задание" in page


def test_permissions_renamed_again_after_a_flush(demo):
    # A flush (transactional tests, `manage.py flush`) lets Django create them in English again.
    from django.apps import apps

    from retail.apps import permissions_name_russian

    Permission.objects.filter(codename="add_logentry").update(name="Can add log entry")
    permissions_name_russian(apps.get_app_config("admin"))
    assert Permission.objects.get(codename="add_logentry").name == "Добавление: запись в журнале"


def test_titles_read_as_1c_forms(demo, admin_client):
    name = capfirst(CashRegister._meta.verbose_name)
    add = html.document_fromstring(admin_client.get("/admin/offline_exchange/cashregister/add/").content.decode())
    assert add.findtext(".//h1") == f"{name} (создание)"
    assert add.findtext(".//title").startswith(f"{name} (создание) | ")
    assert "Создание" in add.xpath("string(//div[@class='breadcrumbs'])")

    register = CashRegister.objects.first()
    change = html.document_fromstring(
        admin_client.get(f"/admin/offline_exchange/cashregister/{register.pk}/change/").content.decode())
    assert change.findtext(".//h1") == f"{register} ({name})"
    assert not change.xpath("//div[@id='content']/h2")  # the object is in the title already
    # The inline's button: Django's «Добавить еще один Соответствие вида оплаты» has the wrong case and gender.
    import json

    inline = json.loads(change.xpath("string(//div[@data-inline-formset]/@data-inline-formset)"))
    assert inline["options"]["addText"] == "Добавить строку"

    listing = html.document_fromstring(admin_client.get("/admin/offline_exchange/cashregister/").content.decode())
    assert listing.findtext(".//h1") == capfirst(CashRegister._meta.verbose_name_plural)
    assert listing.xpath("normalize-space(//ul[contains(@class, 'object-tools')]//a[@class='addlink'])") == "Создать"


def test_no_link_to_a_site_that_does_not_exist(demo, admin_client):
    text = visible_text(admin_client.get("/admin/").content)
    assert "Открыть сайт" not in text and "View site" not in text
    assert admin.site.site_url is None


def test_the_404_page_is_russian(demo, admin_client, client, settings):
    settings.DEBUG = False
    for browser in (admin_client, client):
        response = browser.get("/no-such-page/")
        assert response.status_code == 404
        text = visible_text(response.content)
        assert "Страница не найдена" in text and "<code>/no-such-page/</code>" in response.content.decode()
        assert english_words(text) == set(), english_words(text)
    inside = admin_client.get("/admin/retail/no-such-model/")
    assert inside.status_code == 404 and "Страница не найдена" in visible_text(inside.content)


def test_the_500_page_is_russian_and_needs_no_context(client, settings):
    from django.template import loader

    text = visible_text(loader.get_template("500.html").render().encode())
    assert "Ошибка сервера" in text and english_words(text) == set()


def test_the_import_preview_names_columns_in_russian(demo, admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from retail.services.catalog import catalog_export

    data = catalog_export(model="prices", file_format="csv")
    response = admin_client.post("/admin/retail/price/import/", {
        "format": "0", "resource": "0", "import_file": SimpleUploadedFile("prices.csv", data, "text/csv")})
    assert response.status_code == 200
    text = visible_text(response.content)
    assert english_words(text) == set(), english_words(text)
    page = html.document_fromstring(response.content.decode())
    headers = [" ".join("".join(th.itertext()).split()) for th in page.xpath("//table//th[code]")]
    assert "Цена value" in headers and "Вид цены price_type" in headers, headers
