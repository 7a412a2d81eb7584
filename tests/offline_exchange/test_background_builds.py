"""Price lists built by the task worker (django-tasks database backend, the real db_worker command)."""
import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from offline_exchange.models import OfflineDevice, Transfer
from offline_exchange.services import price_list, transfers
from tests.equipment_service.test_price_list_queue import N, drain, package, prepare


@pytest.fixture
def background(settings, demo):
    settings.EQUIPMENT_SERVICE_BACKGROUND_BUILDS = True
    demo["device"].items_per_package = 5
    demo["device"].save()
    return demo


def work():
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_prepare_answers_at_once_and_the_worker_builds(client, background, device_id, xsd):
    tid = prepare(client, device_id, full=True)
    transfer = Transfer.objects.get(pk=tid)
    assert transfer.state == "building" and not transfer.packages.exists()
    assert DBTaskResult.objects.filter(task_path__endswith="price_list_build").count() == 1
    assert package(client, device_id, tid).findtext(N + "IsFormed") == "false"
    assert prepare(client, device_id, full=True) == tid  # same transfer while it is being built

    work()
    packages = drain(client, device_id, tid, xsd)
    assert [p.get("PackageNumber") for p in packages] == [str(n) for n in range(1, 8)]
    assert Transfer.objects.get(pk=tid).state == "ready"


@pytest.mark.django_db(transaction=True)
def test_packages_are_served_while_the_rest_is_being_built(client, background, device_id, monkeypatch):
    tid = prepare(client, device_id, full=True)
    seen = []
    real = price_list.price_list_cache_fill

    def goods_then_peek(**kwargs):
        if transfers.Transfer.objects.get(pk=tid).built_packages == 2:
            seen.append(package(client, device_id, tid))  # the device polls mid-build
        return real(**kwargs)

    monkeypatch.setattr(transfers, "price_list_cache_fill", goods_then_peek)
    work()
    [first] = seen
    assert (first.findtext(N + "IsFormed"), first.get("PackageNumber"), first.get("PackageTotal")) == ("true", "1", "7")
    rest = drain(client, device_id, tid)
    assert [p.get("PackageNumber") for p in rest] == [str(n) for n in range(2, 8)]


@pytest.mark.django_db(transaction=True)
def test_worker_dying_mid_build_is_a_fault_then_prepare_recovers(client, background, device_id, monkeypatch,
                                                                 settings):
    tid = prepare(client, device_id, full=True)
    real = price_list.price_list_cache_fill

    def dies_after_two_packages(**kwargs):
        if Transfer.objects.get(pk=tid).built_packages == 2:
            # The build is stopped in the middle, past our error handling, as a killed worker would be.
            raise KeyboardInterrupt
        return real(**kwargs)

    monkeypatch.setattr(transfers, "price_list_cache_fill", dies_after_two_packages)
    work()
    monkeypatch.undo()
    transfer = Transfer.objects.get(pk=tid)
    assert (transfer.state, transfer.built_packages) == ("building", 2)
    first = package(client, device_id, tid)
    assert first.get("PackageNumber") == "1"  # what was built is served

    settings.EQUIPMENT_SERVICE_BUILD_STALE_SECONDS = 0
    from tests.equipment_service.soap import call
    answer = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", tid), ("Restart", "false")])
    assert answer.status == 500 and "обработчик задач остановился" in answer.fault

    settings.EQUIPMENT_SERVICE_BUILD_STALE_SECONDS = 300
    fresh = prepare(client, device_id, full=True)
    assert fresh != tid
    work()
    assert len(drain(client, device_id, fresh)) == 7


@pytest.mark.django_db
def test_without_background_builds_the_call_builds(client, demo, device_id):
    tid = prepare(client, device_id, full=True)
    assert Transfer.objects.get(pk=tid).state == "ready"
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_real_worker_process_killed_mid_build(client, settings, device_id):
    """A `db_worker` process is SIGKILLed while it builds; the device gets a fault, then recovers."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.db import connection

    from bench import exchange as benchmarks

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share; proven on PostgreSQL")
    settings.EQUIPMENT_SERVICE_BACKGROUND_BUILDS = True
    benchmarks.catalog_create(goods=3000, package_size=50)
    from django.contrib.auth.models import Group, Permission, User

    from backoffice.demo import SYNC_GROUP
    group, _ = Group.objects.get_or_create(name=SYNC_GROUP)
    group.permissions.add(Permission.objects.get(codename="sync_data"))
    sync = User.objects.create_user("sync", password="sync")
    sync.groups.add(group)
    device = benchmarks.DEVICE_ID
    OfflineDevice.objects.get(device_id=device).users.add(sync)  # a login syncs only its devices

    tid = prepare(client, device, full=True)
    db = connection.settings_dict
    env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker", "--no-startup-delay",
               "--interval", "0.1"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while Transfer.objects.get(pk=tid).built_packages < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    transfer = Transfer.objects.get(pk=tid)
    assert transfer.state == "building" and 3 <= transfer.built_packages < transfer.package_total

    served = drain(client, device, tid)  # what was built before the kill is served …
    assert len(served) == transfer.built_packages
    settings.EQUIPMENT_SERVICE_BUILD_STALE_SECONDS = 0  # … and once the build is silent too long:
    from tests.equipment_service.soap import call
    answer = call(client, "GetPriceListPackage", [("DeviceID", device), ("TransferID", tid), ("Restart", "false")])
    assert answer.fault_code().endswith("Server") and "обработчик задач остановился" in answer.fault
    settings.EQUIPMENT_SERVICE_BUILD_STALE_SECONDS = 300
    fresh = prepare(client, device, full=True)
    assert fresh != tid
    work()
    assert len(drain(client, device, fresh)) == Transfer.objects.get(pk=fresh).package_total
