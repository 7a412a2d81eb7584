"""The accountant's review of Retail Sales Reports in the admin, and re-import from the journal."""
import uuid

from django.urls import reverse

from offline_exchange.models import ExchangeJournalEntry, SkuCode
from retail.models import Item, RetailSalesReport
from tests import factories as f
from tests.conftest import sample
from tests.equipment_service.soap import call
from tests.offline_exchange.test_sales_import import reasons


def upload(client, name):
    return call(client, "PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "SaleReports"),
                                     ("Document", sample(name).decode())])


def test_list_filters_and_report_layout(client, admin_client, sample_shop):
    upload(client, "a_sale_reports_closed_shift.xml")
    upload(client, "c_sale_reports_open_shift.xml")
    closed, open_ = RetailSalesReport.objects.get(shift_number="12"), RetailSalesReport.objects.get(shift_number="13")
    url = reverse("admin:retail_retailsalesreport_changelist")
    page = admin_client.get(url).content.decode()
    assert closed.number in page and open_.number in page
    for query, shown, hidden in (("?posted__exact=0", open_, closed), ("?posted__exact=1", closed, open_),
                                 ("?date__gte=2024-03-16", open_, closed)):
        page = admin_client.get(url + query).content.decode()
        assert f">{shown.number}<" in page and f">{hidden.number}<" not in page, query
    # The search reaches into the stored reasons: a code that was not found finds its report.
    page = admin_client.get(url + "?q=00005").content.decode()
    assert f">{open_.number}<" in page and f">{closed.number}<" not in page
    for name in ("store__id__exact", "cash_register__id__exact", "device__id__exact"):
        assert admin_client.get(f"{url}?{name}=1").status_code == 200

    page = admin_client.get(reverse("admin:retail_retailsalesreport_change", args=[open_.pk])).content.decode()
    for text in ("Товары", "Возвращенные", "Оплата платежными картами", "Расчеты с клиентами", "смена не закрыта",
                 "00005", "749,00", "Загружено из ККМ Офлайн: Мобильная касса 1", "Скачать XML, присланный кассой"):
        assert text in page, text
    journal = reverse("admin:offline_exchange_exchangejournalentry_change", args=[open_.journal_entry_id])
    assert journal in page
    download = reverse("admin:offline_exchange_exchangejournalentry_document", args=[open_.journal_entry_id])
    response = admin_client.get(download)
    assert response["Content-Type"].startswith("application/xml")
    assert response.content == sample("c_sale_reports_open_shift.xml")
    assert "Скачать XML" in admin_client.get(journal).content.decode()


def test_history_of_a_resent_shift(client, admin_client, sample_shop):
    upload(client, "a_sale_reports_closed_shift.xml")
    upload(client, "b_sale_reports_resent.xml")
    report = RetailSalesReport.objects.get()
    page = admin_client.get(reverse("admin:retail_retailsalesreport_history", args=[report.pk])).content.decode()
    assert "Повторная загрузка смены из ККМ" in page and "Загрузка смены из ККМ" in page
    assert report.history.count() == 2 and report.history.first().history_user.username == "sync"


def test_history_shows_the_reasons_in_russian_not_their_data(client, admin_client, sample_shop):
    SkuCode.objects.filter(number=4).delete()
    Item.objects.filter(pk=sample_shop.cigarettes.pk).update(uuid=uuid.uuid4())
    upload(client, "a_sale_reports_closed_shift.xml")
    f.SkuCodeFactory(number=4, item=sample_shop.cigarettes)
    upload(client, "a_sale_reports_closed_shift.xml")  # resent: posted now, no reasons
    report = RetailSalesReport.objects.get()
    page = admin_client.get(reverse("admin:retail_retailsalesreport_history", args=[report.pk])).content.decode()
    assert "Причины, по которым документ не проведен" in page and "не найдены товары по кодам из чеков" in page
    first = report.history.earliest("history_date")
    version = admin_client.get(reverse("admin:retail_retailsalesreport_simple_history",
                                       args=[report.pk, first.history_id])).content.decode()
    assert reasons(report) == "" and "не найдены товары по кодам из чеков — код «00004»" in version
    for data in (page, version):
        assert "unknown_codes" not in data and "&quot;code&quot;" not in data


def test_reload_from_journal_action_after_the_admin_fixes_the_sku(client, admin_client, sample_shop):
    SkuCode.objects.filter(number=4).delete()
    Item.objects.filter(pk=sample_shop.cigarettes.pk).update(uuid=uuid.uuid4())
    upload(client, "a_sale_reports_closed_shift.xml")
    report = RetailSalesReport.objects.get()
    assert not report.posted and "00004" in reasons(report)

    f.SkuCodeFactory(number=4, item=sample_shop.cigarettes)
    url = reverse("admin:retail_retailsalesreport_changelist")
    response = admin_client.post(url, {"action": "post_selected", "_selected_action": [report.pk]}, follow=True)
    assert "Данные успешно загружены" in response.content.decode()
    report.refresh_from_db()
    assert report.posted and report.number == "ОБ-000001" and report.not_posted_reasons == []
    assert report.history.first().history_user.username == "admin"
    assert RetailSalesReport.objects.count() == 1


def test_reload_from_the_journal_list(client, admin_client, sample_shop):
    upload(client, "a_sale_reports_closed_shift.xml")
    RetailSalesReport.objects.all().delete()  # removed by mistake; the journal still has the upload
    entry = ExchangeJournalEntry.objects.get(operation="PostDocs")
    url = reverse("admin:offline_exchange_exchangejournalentry_changelist")
    response = admin_client.post(url, {"action": "reload_from_journal", "_selected_action": [entry.pk]}, follow=True)
    assert response.status_code == 200
    report = RetailSalesReport.objects.get()
    assert report.posted and report.journal_entry == entry


def test_reports_are_read_only(admin_client, sample_shop, client):
    upload(client, "a_sale_reports_closed_shift.xml")
    report = RetailSalesReport.objects.get()
    assert admin_client.get(reverse("admin:retail_retailsalesreport_add")).status_code == 403
    assert admin_client.post(reverse("admin:retail_retailsalesreport_delete", args=[report.pk]),
                             {"post": "yes"}).status_code == 403
    assert RetailSalesReport.objects.exists()
