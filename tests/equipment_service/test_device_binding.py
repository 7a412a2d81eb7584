"""A login syncs only the devices bound to it (PROTOCOL §1): to any other login a device does not exist."""
import importlib

import pytest
from django.apps import apps as django_apps

from offline_exchange.models import ExchangeJournalEntry, OfflineDevice, Transfer
from retail.models import CustomerOrder, RetailSalesReport
from tests import factories as f
from tests.conftest import sample
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

UNKNOWN = "не найдено или не использует обмен через Web-сервис"


@pytest.fixture
def stranger(demo):
    """A sync login of another register: it holds the sync permission, but not for the demo device."""
    user = f.UserFactory(username="courier2", password="pass2", sync=True)
    f.OfflineDeviceFactory(device_id="OTHER-0002").users.add(user)
    return user


def as_stranger(client, op, params):
    return call(client, op, params, user="courier2", password="pass2", REMOTE_ADDR="10.1.2.3")


def test_unbound_login_sees_the_device_as_unknown_and_changes_nothing(client, demo, device_id, stranger):
    # The real register has a transfer under way; the stranger must neither see nor take its packages.
    prepared = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")])
    transfer_id = prepared.result("PrepareFullPriceList")
    orders_mark = OfflineDevice.objects.get(device_id=device_id).orders_watermark
    assert Transfer.objects.count() == 1
    journal_before = ExchangeJournalEntry.objects.count()

    assert as_stranger(client, "Connect", [("DeviceID", device_id)]).result("Connect") == "false"
    assert as_stranger(client, "GetVersion", [("DeviceID", device_id)]).result("GetVersion") == "0"
    attempts = [
        ("GetSettings", [("DeviceID", device_id)]),
        ("GetDocs", [("DeviceID", device_id), ("DocType", "Order")]),
        ("GetPriceList", [("DeviceID", device_id)]),
        ("PreparePriceList", [("DeviceID", device_id)]),
        ("GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id), ("Restart", "false")]),
        ("GetGood", [("DeviceID", device_id), ("Barcode", "4607131410042")]),
        ("PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                      ("Document", sample("a_sale_reports_closed_shift.xml").decode())]),
    ]
    for op, params in attempts:
        answer = as_stranger(client, op, params)
        # Word for word what an unknown identifier gets: nothing tells the caller the device exists.
        unknown = as_stranger(client, op, [("DeviceID", "NO-SUCH-0001")] + params[1:])
        assert answer.status == 500 and answer.fault_code().endswith("Client"), op
        assert UNKNOWN in answer.fault and answer.fault.replace(device_id, "X") == unknown.fault.replace(
            "NO-SUCH-0001", "X"), op

    # Nothing written: no report, the orders still wait for the courier, the transfer's packages untouched.
    assert not RetailSalesReport.objects.exists()
    assert OfflineDevice.objects.get(device_id=device_id).orders_watermark == orders_mark
    transfer = Transfer.objects.get()
    assert str(transfer.pk) == transfer_id and not transfer.packages.filter(sent=True).exists()
    assert not ExchangeJournalEntry.objects.exclude(document=None).exists()  # no upload archived

    refused = ExchangeJournalEntry.objects.filter(status="denied", device_ref=device_id).order_by("id")
    assert refused.count() == 2 + len(attempts)
    assert ExchangeJournalEntry.objects.count() == journal_before + 2 * (2 + len(attempts)) - 2
    for entry in refused:
        assert entry.user == stranger and entry.device is None and entry.address == "10.1.2.3"
        assert "«courier2» не привязан к оборудованию" in entry.note and "10.1.2.3" in entry.note
    # The courier's register still gets its order.
    assert "ТДРТ-000001" in call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")


def test_the_bound_login_still_syncs(client, demo, device_id, stranger):
    assert call(client, "Connect", [("DeviceID", device_id)]).result("Connect") == "true"
    assert "<Settings" in call(client, "GetSettings", [("DeviceID", device_id)]).result("GetSettings")
    orders = call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")]).result("GetDocs")
    assert CustomerOrder.objects.get().number in orders
    # The stranger's own device answers it.
    assert as_stranger(client, "Connect", [("DeviceID", "OTHER-0002")]).result("Connect") == "true"


def test_a_superuser_is_not_bound_implicitly(client, demo, device_id):
    f.UserFactory(username="boss", password="boss", is_superuser=True, is_staff=True)
    assert call(client, "Connect", [("DeviceID", device_id)], user="boss", password="boss").result("Connect") == "false"
    demo["device"].users.add(*f.UserFactory._meta.model.objects.filter(username="boss"))
    assert call(client, "Connect", [("DeviceID", device_id)], user="boss", password="boss").result("Connect") == "true"


def test_migration_binds_devices_to_the_logins_that_synced_them_or_to_every_sync_login(db):
    migration = importlib.import_module("offline_exchange.migrations.0020_trust")
    used = f.UserFactory(username="used", sync=True)
    other = f.UserFactory(username="other", sync=True)
    f.UserFactory(username="clerk")  # no sync permission: never bound
    synced = f.OfflineDeviceFactory()
    never = f.OfflineDeviceFactory()
    ExchangeJournalEntry.objects.create(device=synced, operation="GetSettings", user=used, status="ok")
    ExchangeJournalEntry.objects.create(device=synced, operation="GetSettings", user=other, status="denied")
    migration.bind_devices(django_apps, None)
    assert set(OfflineDevice.objects.get(pk=synced.pk).users.values_list("username", flat=True)) == {"used"}
    assert set(OfflineDevice.objects.get(pk=never.pk).users.values_list("username", flat=True)) == {"used", "other"}


def test_demo_binds_sync_to_the_demo_register(demo):
    assert list(demo["device"].users.values_list("username", flat=True)) == ["sync"]
