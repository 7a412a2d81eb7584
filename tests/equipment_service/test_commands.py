"""pos_sync and load_devices against a live server."""
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from retail.models import RetailSalesReport
from tests.conftest import SAMPLES


@pytest.mark.django_db(transaction=True)
def test_pos_sync_runs_a_whole_sync_and_reports_it(live_server, demo, device_id):
    out = io.StringIO()
    call_command("pos_sync", url=f"{live_server.url}/rt", user="sync", password="sync", device=device_id, full=True,
                 post=str(SAMPLES / "valid" / "a_sale_reports_closed_shift.xml"), stdout=out)
    text = out.getvalue()
    for fragment in ("GetVersion", "формат 3001", "GetSettings", "PrepareFullPriceList", "пакетов получено: 4",
                     "GetDocs", "PostDocs", "Итог: обмен выполнен; пакетов 4, товаров 28, заказов 1",
                     "Ответ на выгрузку смены: Данные загружены, но не все отчеты проведены"):
        assert fragment in text, (fragment, text)
    assert RetailSalesReport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kwargs, message", [
    ({"password": "wrong"}, "неверный пользователь или пароль"),
    ({"device": "NO-SUCH"}, "не найдено"),
])
def test_pos_sync_says_what_is_wrong(live_server, demo, device_id, kwargs, message):
    params = {"url": f"{live_server.url}/rt", "user": "sync", "password": "sync", "device": device_id, **kwargs}
    with pytest.raises(CommandError, match=message):
        call_command("pos_sync", stdout=io.StringIO(), **params)


def test_load_devices_refuses_a_remote_server(db):
    with pytest.raises(CommandError, match="только против сервера на этой машине"):
        call_command("load_devices", url="http://192.0.2.10/rt", devices=1, duration=1)
    with pytest.raises(CommandError, match="Допустимо"):
        call_command("load_devices", url="http://127.0.0.1:1/rt", devices=100000, duration=1)


@pytest.mark.django_db(transaction=True)
def test_load_devices_syncs_and_reports_percentiles(live_server, demo):
    # In-memory SQLite shares one connection between the live server's threads: one device there.
    devices = 3 if connection.vendor == "postgresql" else 1
    out = io.StringIO()
    call_command("load_devices", url=f"{live_server.url}/rt", devices=devices, duration=2, checks=3, stdout=out)
    text = out.getvalue()
    assert f"{devices} devices" in text and "errors: 0" in text, text
    assert "GetPriceListPackage" in text and "p95 ms" in text
    assert RetailSalesReport.objects.filter(device__device_id__startswith="LOAD-").exists()


@pytest.mark.django_db(transaction=True)
def test_soak_reports_errors_and_server_memory(live_server, demo):
    import os
    out = io.StringIO()
    devices = 2 if connection.vendor == "postgresql" else 1
    call_command("soak", url=f"{live_server.url}/rt", server_pid=[os.getpid()], devices=devices, minutes=0.05,
                 stdout=out)
    text = out.getvalue()
    assert "errors: 0" in text and "server memory (RSS of 1 process trees, MB): after warm-up" in text, text


def test_load_chain_refuses_a_remote_server_and_unbounded_runs(db):
    with pytest.raises(CommandError, match="только против сервера на этой машине"):
        call_command("load_chain", url="http://192.0.2.10/rt", devices=1, minutes=1)
    with pytest.raises(CommandError, match="Допустимо"):
        call_command("load_chain", url="http://127.0.0.1:1/rt", devices=201, minutes=1)
    with pytest.raises(CommandError, match="Допустимо"):
        call_command("load_chain", url="http://127.0.0.1:1/rt", devices=1, minutes=61)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("template_device", ["", "0001234567890124"], ids=["3.1", "3.3"])
def test_load_chain_runs_registers_on_a_schedule_through_a_repricing(live_server, demo, template_device):
    from django.contrib.auth import get_user_model

    devices = 2 if connection.vendor == "postgresql" else 1
    out = io.StringIO()
    call_command("load_chain", url=f"{live_server.url}/rt", devices=devices, minutes=0.12, interval=2.5, ramp=0.5,
                 uploads_every=2, checks=3, template_device=template_device, stdout=out)
    text = out.getvalue()
    assert f"{devices} registers, each its own login" in text and "errors: 0" in text, text
    assert re.search(r"repricing: \d+ prices raised by 1.00", text), text
    assert "new prices: every register holds them" in text, text
    assert "PostDocs" in text and "GetPriceListPackage" in text and "p95 ms" in text, text
    # Each register synced with a login of its own, and its shifts became reports.
    logins = {user.username for user in get_user_model().objects.filter(offline_devices__device_id__startswith="LOAD-")}
    assert logins == {f"load-{n:04d}" for n in range(1, devices + 1)}
    assert RetailSalesReport.objects.filter(device__device_id__startswith="LOAD-").exists()
