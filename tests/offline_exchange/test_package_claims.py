"""Handing out packages: each package of a transfer goes out once, whoever asks, and the transfer
completes once, after its last package."""
import threading

import pytest
from django.db import connection, connections

from offline_exchange.models import OfflineDevice, Transfer
from offline_exchange.services.transfers import package_next, transfer_prepare


@pytest.mark.django_db(transaction=True)
def test_calls_racing_on_one_transfer_each_get_another_package(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    device = demo["device"]
    device.items_per_package = 1
    device.save()
    transfer = transfer_prepare(device=device, full=True)
    assert transfer.package_total > 20
    got, completed, errors = [], [], []
    start = threading.Barrier(4)

    def drain():
        try:
            mine = OfflineDevice.objects.get(pk=device.pk)
            start.wait(10)
            while True:
                answer = package_next(device=mine, transfer_id=str(transfer.pk), restart=False)
                if not answer.formed:
                    return
                got.append(answer.number)
                if answer.transfer_completed:
                    completed.append(answer.number)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(got) == list(range(1, transfer.package_total + 1))
    assert completed == [transfer.package_total]
    assert Transfer.objects.get(pk=transfer.pk).completed_at is not None
    assert OfflineDevice.objects.get(pk=device.pk).price_list_watermark == transfer.feed_watermark


@pytest.mark.django_db
def test_restart_hands_the_transfer_out_again_from_its_first_package(demo):
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    transfer = transfer_prepare(device=device, full=True)
    first = [package_next(device=device, transfer_id=str(transfer.pk), restart=False) for _ in range(2)]
    again = package_next(device=device, transfer_id=str(transfer.pk), restart=True)
    assert [a.number for a in first] == [1, 2] and again.number == 1 and again.content == first[0].content


@pytest.mark.django_db
def test_another_devices_transfer_is_not_formed_for_this_one(demo):
    device = demo["device"]
    transfer = transfer_prepare(device=device, full=True)
    other = OfflineDevice.objects.create(name="Касса 2", organization=device.organization, rule=device.rule,
                                         device_id="SECOND")
    answer = package_next(device=other, transfer_id=str(transfer.pk), restart=True)
    assert not answer.formed
    assert package_next(device=device, transfer_id=str(transfer.pk), restart=False).number == 1
