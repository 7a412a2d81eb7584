"""The «Что получила касса» page of a transfer (issue 26, item 7): reached from the device and the journal, in
Russian, searchable, and shown only to those who may see the register; `pos_sync -v 2` prints the same rows."""
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from lxml import html

from offline_exchange.format.contents import GOOD_COLUMNS
from offline_exchange.models import ExchangeJournalEntry, Transfer
from offline_exchange.services.received import transfer_goods
from tests import factories as f
from tests.backoffice.test_russian_pages import english_words, visible_text
from tests.equipment_service.test_price_list_queue import drain, prepare


def cells(page, table_id) -> list[list[str]]:
    doc = html.document_fromstring(page.content.decode())
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in doc.xpath(f"//table[@id='{table_id}']/tbody/tr")]


@pytest.fixture
def transfer(demo, client, device_id):
    transfer_id = prepare(client, device_id, full=True)
    drain(client, device_id, transfer_id)
    return Transfer.objects.get(pk=transfer_id)


@pytest.mark.django_db
def test_the_page_from_the_device_and_the_journal(transfer, admin_client, demo):
    device = demo["device"]
    device_page = html.document_fromstring(admin_client.get(
        reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode())
    url = reverse("admin:offline_exchange_transfer_received", args=[transfer.pk])
    assert device_page.xpath("string(//a[@id='received-link']/@href)") == url
    entry = ExchangeJournalEntry.objects.filter(operation="GetPriceListPackage", transfer_id=transfer.pk).first()
    journal = admin_client.get(reverse("admin:offline_exchange_exchangejournalentry_change", args=[entry.pk]))
    assert f'href="{url}">Что получила касса</a>' in journal.content.decode()

    page = admin_client.get(url)
    text = visible_text(page.content)
    assert english_words(text) == set(), english_words(text)
    assert f"Что получила касса «{device}»" in text and "Заказы на кассе" in text
    rows = cells(page, "received-goods")
    assert rows == [row.cells() for row in transfer_goods(transfer=transfer).rows]
    assert rows and {row[0] for row in rows} == {"1"}  # the page opens on the first package
    orders = cells(page, "register-orders")
    assert orders[0][:3] == ["ТДРТ-000001", "15.03.2024 10:05:00", "Согласован"] and orders[0][5] == "366,00"


@pytest.mark.django_db
def test_a_search_and_another_package(transfer, admin_client):
    url = reverse("admin:offline_exchange_transfer_received", args=[transfer.pk])
    found = cells(admin_client.get(url, {"q": "4601234500031"}), "received-goods")
    assert [row[2] for row in found] == ["Мяч резиновый 15 см"] and found[0][6] == "145,00"
    third = cells(admin_client.get(url, {"package": "3"}), "received-goods")
    assert third and {row[0] for row in third} == {"3"}
    nothing = admin_client.get(url, {"q": "нет такого"})
    assert "В передаче ничего не найдено по «нет такого»." in visible_text(nothing.content)


@pytest.mark.django_db
class TestRights:
    def test_a_manager_of_another_store_does_not_see_it(self, transfer):
        other = f.StoreFactory(name="Другой магазин")
        outsider = f.staff_client("outsider", "view_transfer", store=other)
        url = reverse("admin:offline_exchange_transfer_received", args=[transfer.pk])
        assert outsider.get(url).status_code == 404

    def test_without_the_right_to_see_transfers_it_is_refused(self, transfer, demo):
        clerk = f.staff_client("clerk", "view_offlinedevice", store=demo["store"])
        assert clerk.get(reverse("admin:offline_exchange_transfer_received", args=[transfer.pk])).status_code == 403

    def test_the_store_manager_sees_it(self, transfer, demo):
        manager = f.staff_client("manager", "view_transfer", store=demo["store"])
        assert manager.get(reverse("admin:offline_exchange_transfer_received", args=[transfer.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_pos_sync_v2_prints_what_the_page_shows(live_server, demo, device_id, client):
    out = io.StringIO()
    call_command("pos_sync", url=f"{live_server.url}/rt", user="sync", password="sync", device=device_id, full=True,
                 verbosity=2, stdout=out)
    text = out.getvalue()
    assert "Что получила касса: товары (" in text and "Что получила касса: заказы (1)" in text
    header = [line for line in text.splitlines() if line.startswith("Пакет")][0]
    assert header.split() == " ".join(GOOD_COLUMNS).split()
    transfer = Transfer.objects.get(device=demo["device"])
    printed = [" ".join(line.split()) for line in text.splitlines()]
    for number in range(1, transfer.package_total + 1):
        for row in transfer_goods(transfer=transfer, package=number).rows:
            assert " ".join(" ".join(row.cells()).split()) in printed, row.cells()
    assert any(line.startswith("ТДРТ-000001") and line.endswith("366,00") for line in printed)
    # Without -v 2 the command keeps to its summary.
    quiet = io.StringIO()
    call_command("pos_sync", url=f"{live_server.url}/rt", user="sync", password="sync", device=device_id,
                 stdout=quiet)
    assert "Что получила касса" not in quiet.getvalue()
