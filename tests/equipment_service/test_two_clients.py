"""Two phones sharing one device identifier split a price list: the journal and the console warn."""
import pytest
from django.urls import reverse

from offline_exchange.models import ExchangeJournalEntry
from offline_exchange.services.journal import TWO_CLIENTS_WARNING
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

PHONE_A = {"REMOTE_ADDR": "10.0.0.11", "HTTP_USER_AGENT": "1C+Enterprise/8.3"}
PHONE_B = {"REMOTE_ADDR": "10.0.0.12", "HTTP_USER_AGENT": "1C+Enterprise/8.3"}


def package(client, device_id, transfer_id, phone):
    return call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                ("Restart", "false")], **phone)


def test_calls_of_one_transfer_from_two_clients_are_warned(client, demo, device_id, admin_client):
    transfer_id = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")],
                       **PHONE_A).result("PrepareFullPriceList")
    package(client, device_id, transfer_id, PHONE_A)
    assert not ExchangeJournalEntry.objects.exclude(warning="").exists()  # one phone: no warning
    package(client, device_id, transfer_id, PHONE_B)
    warned = ExchangeJournalEntry.objects.exclude(warning="").get()
    assert warned.address == "10.0.0.12" and warned.warning == TWO_CLIENTS_WARNING
    console = admin_client.get(reverse("admin:offline_exchange_exchangeconsole_changelist")).content.decode()
    assert "возможно, двум кассам задан один идентификатор" in console


def test_another_program_at_the_same_address_is_warned_too(client, demo, device_id):
    transfer_id = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")],
                       **PHONE_A).result("PrepareFullPriceList")
    package(client, device_id, transfer_id, {**PHONE_A, "HTTP_USER_AGENT": "okhttp/4.9"})
    assert ExchangeJournalEntry.objects.exclude(warning="").count() == 1


def test_one_phone_over_transfers_is_not_warned(client, demo, device_id):
    from offline_exchange.services.devices import device_queue_reset
    for phone in (PHONE_A, PHONE_B):  # the phone moved to another network between transfers: fine
        device_queue_reset(device=demo["device"])  # the transfer before is over
        transfer_id = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")],
                           **phone).result("PrepareFullPriceList")
        call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                             ("Restart", "true")], **phone)
    assert not ExchangeJournalEntry.objects.exclude(warning="").exists()
