import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.urls import reverse

from offline_exchange.models import OfflineDevice, SkuCode
from retail.models import AccountingSettings, Check, CustomerOrder, Item
from retail.services.orders import READY_TO_CLOSE, order_state


def _snapshot():
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        # The journal and the change feed are logs of what happened, not the base (the second run rewrites
        # the order's lines, which the feed records); history records what each run did.
        if (model._meta.app_label in {"retail", "offline_exchange"}
                and model._meta.model_name not in {"exchangejournalentry", "changefeedentry"}
                and not model._meta.model_name.startswith("historical")):
            # A re-sent shift replaces its checks (new ids): a check's rows are compared by their content.
            fields = [f.attname for f in model._meta.concrete_fields
                      if not isinstance(f, (models.DateTimeField,)) and f.name != "id"
                      and getattr(f, "related_model", None) is not Check]
            state[model._meta.label] = sorted(map(repr, model.objects.values_list(*fields)))
    return state


@pytest.mark.django_db
def test_demo_data_twice_gives_the_same_base(capsys):
    call_command("demo_data")
    first = _snapshot()
    out = capsys.readouterr().out
    call_command("demo_data")
    assert _snapshot() == first
    assert "0001234567890123" in out and "sync / sync" in out and "ТДРТ-000001" in out
    assert "сумма 366,00" in out  # Russian money, as the pages show it
    assert f"Номенклатура:       {Item.objects.count()} позиции" in out  # 22 позиции, not «22 позиций»
    assert Item.objects.count() >= 22
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    assert order.total == 366 and order.courier_cash_register.name == "Мобильная касса ККМ"
    assert OfflineDevice.objects.get(device_id="0001234567890123").format_version == 3001
    # The second register speaks 3.3, as current 1C servers preset, and has its cash register bound like the first.
    second = OfflineDevice.objects.get(device_id="0001234567890124")
    assert second.format_version == 3003 and second.cash_register.name == "Мобильная касса ККМ 2"
    assert second.cash_register.payment_mappings.get().code == "1" and second.rule.name == "Мобильная касса: Общий склад"
    assert "0001234567890124" in out
    assert SkuCode.objects.filter(item__article="79052").exists()


@pytest.mark.django_db
def test_demo_data_refuses_a_base_with_data_of_its_own_unless_forced(capsys):
    from django.contrib.auth.models import User

    from tests.factories import OrganizationFactory
    call_command("demo_data")
    User.objects.filter(username="admin").update(password="kept")
    OrganizationFactory(name="ООО «Настоящая»")
    with pytest.raises(CommandError, match="ООО «Настоящая».*--force"):
        call_command("demo_data")
    assert User.objects.get(username="admin").password == "kept"
    call_command("demo_data", "--force")
    assert User.objects.get(username="admin").check_password("admin")


# --- ./dev serve never changes data it did not create (issue 22) -----------------------------------------
# `./dev serve` runs `demo_data --if-empty` at every start (checked below on the script itself); these
# tests run that step as a server start would, around a register's upload through the SOAP endpoint.

def _upload_the_demo_shift(client) -> str:
    from backoffice.demo import DEMO_DEVICE_ID, demo_seed_shift
    from tests.equipment_service.soap import call
    shift = demo_seed_shift().decode()
    answer = call(client, "PostDocs", [("DeviceID", DEMO_DEVICE_ID), ("DocType", "SaleReports"), ("Document", shift)])
    assert answer.status == 200, answer.body[:500]
    return answer.result("PostDocs")


@pytest.mark.django_db
def test_serve_started_twice_around_an_upload_leaves_the_report_posted_and_the_order_ready_to_close(client, capsys):
    from retail.models import RetailSalesReport
    call_command("demo_data", "--if-empty", "--no-history")  # the first start: an empty base gets the demo
    assert "sync / sync" in capsys.readouterr().out
    result = _upload_the_demo_shift(client)
    assert "true" in result
    report = RetailSalesReport.objects.get()
    assert report.posted
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    assert order.status == CustomerOrder.Status.AGREED and order_state(order=order) == READY_TO_CLOSE

    call_command("demo_data", "--if-empty", "--no-history")  # the second start
    assert "данные не меняются" in capsys.readouterr().out
    report.refresh_from_db()
    assert report.posted and RetailSalesReport.objects.count() == 1
    assert order_state(order=CustomerOrder.objects.get(number="ТДРТ-000001")) == READY_TO_CLOSE


@pytest.mark.django_db
def test_the_walkthrough_order_is_ready_to_close_then_closed_by_the_action(client):
    # A demo base upgraded from before manual closing was the default kept the automatic closing; demo_data
    # brings the walkthrough's 1C way back.
    AccountingSettings.objects.update_or_create(pk=1, defaults={"manual_order_closing": False})
    call_command("demo_data", "--force", "--no-history")
    assert AccountingSettings.load().manual_order_closing is True
    _upload_the_demo_shift(client)
    order = CustomerOrder.objects.get(number="ТДРТ-000001")
    assert order_state(order=order) == READY_TO_CLOSE
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))  # the demo's admin, as the README signs in
    admin.post(reverse("admin:retail_customerorder_changelist"),
                      {"action": "close_orders", "_selected_action": [order.pk]})
    assert CustomerOrder.objects.get(pk=order.pk).status == CustomerOrder.Status.CLOSED


@pytest.mark.django_db
def test_serve_starts_on_a_base_with_data_of_its_own(capsys):
    from django.contrib.auth.models import User

    from tests.factories import OrganizationFactory
    User.objects.create_user("buhgalter", password="kept-password-1")
    OrganizationFactory(name="ООО «Настоящая»")
    call_command("demo_data", "--if-empty")  # no CommandError: the server starts, nothing is written
    assert "данные не меняются" in capsys.readouterr().out
    assert not User.objects.filter(username="admin").exists() and not Item.objects.exists()


@pytest.mark.django_db
def test_write_shift_only_writes_the_file(client, tmp_path):
    from retail.models import RetailSalesReport
    call_command("demo_data", "--no-history")
    _upload_the_demo_shift(client)
    shift = tmp_path / "shift.xml"
    call_command("demo_data", "--write-shift", str(shift))
    assert b"SaleReports" in shift.read_bytes() or b"SaleReport" in shift.read_bytes()
    assert RetailSalesReport.objects.get().posted
    assert CustomerOrder.objects.get(number="ТДРТ-000001").status == CustomerOrder.Status.AGREED


@pytest.mark.django_db
def test_write_shift_on_a_base_without_the_demo_says_so(tmp_path):
    with pytest.raises(CommandError, match="В базе нет демо-данных"):
        call_command("demo_data", "--write-shift", str(tmp_path / "shift.xml"))
    assert not (tmp_path / "shift.xml").exists() and not Item.objects.exists()


def _dev_serve(tmp_path, *args):
    """Run the real `dev` script with a stand-in interpreter that records what it is asked to run."""
    import os
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.txt"
    stub = venv / "bin" / "python"
    stub.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    stub.chmod(0o755)
    run = subprocess.run(["bash", str(root / "dev"), "serve", *args], cwd=root, capture_output=True, text=True,
                         env={**os.environ, "VENV": str(venv)}, timeout=60)
    return run, (log.read_text().splitlines() if log.exists() else [])


def test_dev_serve_loads_the_demo_only_into_an_empty_base_and_takes_a_port(tmp_path):
    run, calls = _dev_serve(tmp_path, "8123")
    assert run.returncode == 0, run.stderr
    managed = [line for line in calls if line.startswith("manage.py")]
    assert managed == ["manage.py migrate --noinput",
                       "manage.py demo_data --if-empty --url http://127.0.0.1:8123",
                       "manage.py runserver 127.0.0.1:8123"]
    run, calls = _dev_serve(tmp_path / "explicit", "--demo")
    assert "manage.py demo_data --url http://127.0.0.1:8000" in calls
    run, calls = _dev_serve(tmp_path / "bad", "0.0.0.0:80")
    assert run.returncode == 2 and "не номер порта" in run.stderr and calls == []
