"""The journal and the transfers in plain words: Russian operation names and statuses, times with seconds,
entries that can be read but neither saved nor deleted, transfers titled by what they are."""
from datetime import datetime

from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from offline_exchange.models import ExchangeJournalEntry, Transfer
from tests.conftest import sample
from tests.equipment_service.soap import call
from tests.equipment_service.test_price_list_queue import drain, prepare

JOURNAL = "/admin/offline_exchange/exchangejournalentry/"
AT = datetime(2020, 7, 13, 16, 31, 53)


def test_the_journal_list_speaks_russian_with_seconds(demo, client, admin_client, device_id):
    call(client, "GetSettings", [("DeviceID", device_id)])
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                              ("Document", sample("a_sale_reports_closed_shift.xml").decode())])
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "Inventory"), ("Document", "<x/>")])
    ExchangeJournalEntry.objects.update(created_at=AT)
    page = admin_client.get(JOURNAL).content.decode()
    for text in ("Получение настроек", "Загрузка документов (отчеты о продажах)", "13.07.2020 16:31:53",
                 "Успешно", "Отклонено сервером"):
        assert text in page, text
    for english in ("GetSettings</td>", "PostDocs</td>", "IsSuccess=false", "SOAP Fault", "Delete selected",
                    "Удалить выбранные"):
        assert english not in page, english
    # The filter names the operations too, and still filters by the SOAP name.
    assert '?operation__exact=GetSettings">Получение настроек</a>' in page
    filtered = admin_client.get(JOURNAL + "?operation__exact=GetSettings").content.decode()
    assert "Получение настроек" in filtered and "Загрузка документов (отчеты о продажах)</td>" not in filtered


def test_an_entry_is_read_only_and_keeps_its_download(demo, client, admin_client, device_id):
    call(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                              ("Document", sample("a_sale_reports_closed_shift.xml").decode())])
    entry = ExchangeJournalEntry.objects.get(operation="PostDocs")
    ExchangeJournalEntry.objects.filter(pk=entry.pk).update(created_at=AT)
    url = reverse("admin:offline_exchange_exchangejournalentry_change", args=[entry.pk])
    page = admin_client.get(url).content.decode()
    assert "13.07.2020 16:31:53" in page and "Загрузка документов (отчеты о продажах)" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page and "deletelink" not in page
    download = reverse("admin:offline_exchange_exchangejournalentry_document", args=[entry.pk])
    assert f"href='{download}'>Скачать XML</a>" in page
    assert admin_client.get(download).content == sample("a_sale_reports_closed_shift.xml")
    # Neither a forged save nor a delete changes it.
    written = entry.error
    assert admin_client.post(url, {"error": "стерто"}).status_code == 403
    assert admin_client.post(reverse("admin:offline_exchange_exchangejournalentry_delete", args=[entry.pk]),
                             {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.error == written and ExchangeJournalEntry.objects.filter(pk=entry.pk).exists()


def test_a_view_only_manager_reads_the_journal_of_the_store_and_reloads_nothing(demo, client, device_id):
    call(client, "GetSettings", [("DeviceID", device_id)])
    manager = User.objects.create_user("viewer", password="pw", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(codename="view_exchangejournalentry"))
    demo["store"].staff.add(manager)
    browser = Client()
    browser.force_login(manager)
    page = browser.get(JOURNAL).content.decode()
    assert "Получение настроек" in page
    entry = ExchangeJournalEntry.objects.get()
    answer = browser.post(JOURNAL, {"action": "reload_from_journal", "_selected_action": [entry.pk]}, follow=True)
    assert "Нет права изменять отчеты о розничных продажах." in answer.content.decode()


def test_transfers_are_titled_by_what_they_are(demo, client, admin_client, device_id):
    transfer_id = prepare(client, device_id, full=True)
    transfer = Transfer.objects.get(pk=transfer_id)
    Transfer.objects.filter(pk=transfer.pk).update(created_at=AT)
    transfer.refresh_from_db()
    assert transfer.package_total == 4
    call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id), ("Restart", "false")])
    assert str(Transfer.objects.get(pk=transfer.pk)) == \
        "Полная выгрузка от 13.07.2020 16:31:53 — передана частично: 1 из 4 пакетов"
    page = admin_client.get("/admin/offline_exchange/transfer/").content.decode()
    assert "Полная выгрузка от 13.07.2020 16:31:53 — передана частично: 1 из 4 пакетов" in page
    drain(client, device_id, transfer_id)
    assert str(Transfer.objects.get(pk=transfer.pk)) == "Полная выгрузка от 13.07.2020 16:31:53 — передана полностью"
    page = admin_client.get("/admin/offline_exchange/transfer/").content.decode()
    assert "Полная выгрузка от 13.07.2020 16:31:53 — передана полностью" in page
    detail = admin_client.get(reverse("admin:offline_exchange_transfer_change", args=[transfer.pk])).content.decode()
    assert "Полная выгрузка от 13.07.2020 16:31:53 — передана полностью" in detail and 'name="_save"' not in detail

    changes = Transfer(device=demo["device"], full=False, state=Transfer.State.READY, package_total=2,
                       created_at=AT)
    assert str(changes) == "Выгрузка изменений от 13.07.2020 16:31:53 — сформирована, не передана"
    building = Transfer(device=demo["device"], state=Transfer.State.BUILDING, package_total=3, built_packages=1,
                        created_at=AT)
    assert str(building).endswith("— формируется: сформировано пакетов 1 из 3")
    assert str(Transfer(device=demo["device"], state=Transfer.State.ERROR, created_at=AT)).endswith(
        "— ошибка формирования")
