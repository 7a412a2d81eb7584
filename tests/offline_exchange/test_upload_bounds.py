"""Bounded uploads and storage: limits on shifts/checks/lines per upload, numbering locked only at the end of
an upload, the journal's retention (uploads that reports need are kept), refusals aggregated."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from lxml import etree

from offline_exchange.models import ExchangeJournalEntry, KnownLoginAddress
from offline_exchange.services import sales
from offline_exchange.services.journal import journal_purge, journal_receive
from offline_exchange.tasks import journal_purge_daily
from retail.models import DocumentCounter, RetailSalesReport
from retail.services import numbering
from tests.conftest import sample
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db


def two_shifts() -> bytes:
    """Samples (a) and (c) in one upload: two shifts of one register."""
    first = etree.fromstring(sample("a_sale_reports_closed_shift.xml"))
    second = etree.fromstring(sample("c_sale_reports_open_shift.xml"))
    for report in list(second):
        first.append(report)
    return etree.tostring(first, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("setting, value, words", [
    ("EQUIPMENT_SERVICE_MAX_SHIFTS_PER_UPLOAD", 1, "2 смен при пределе 1"),
    ("EQUIPMENT_SERVICE_MAX_CHECKS_PER_UPLOAD", 1, "чеков при пределе 1"),
    ("EQUIPMENT_SERVICE_MAX_LINES_PER_UPLOAD", 2, "строк чеков при пределе 2"),
])
def test_an_upload_over_a_limit_is_refused_whole(sample_shop, settings, setting, value, words):
    setattr(settings, setting, value)
    result = sales.post_docs(device=sample_shop.device, doc_type="SaleReports", document=two_shifts())
    assert not result.success and words in result.description and "Ничего не загружено" in result.description
    assert not RetailSalesReport.objects.exists()


def test_within_the_limits_both_shifts_are_imported(sample_shop):
    result = sales.post_docs(device=sample_shop.device, doc_type="SaleReports", document=two_shifts())
    assert result.success
    assert sorted(RetailSalesReport.objects.values_list("number", flat=True)) == ["ОБ-000001", "ОБ-000002"]


def test_numbers_are_taken_after_every_shift_is_written(sample_shop, monkeypatch):
    order = []
    save, lock = sales._save, numbering._counter_locked
    monkeypatch.setattr(sales, "_save", lambda **kw: order.append("save") or save(**kw))
    monkeypatch.setattr(numbering, "_counter_locked", lambda **kw: order.append("lock") or lock(**kw))
    result = sales.post_docs(device=sample_shop.device, doc_type="SaleReports", document=two_shifts())
    # Every shift written before the first number is taken (the automatic «Выемка» of each shift is numbered
    # after the reports, by its own counter).
    assert result.success and order[:3] == ["save", "save", "lock"] and "save" not in order[3:]
    # One counter per kind, prefix and year, not a lock shared by every organization.
    assert list(DocumentCounter.objects.filter(kind="retail.retailsalesreport").values_list("kind", "prefix", "last")) \
        == [("retail.retailsalesreport", "ОБ", 2)]
    report = RetailSalesReport.objects.get(number="ОБ-000001")
    assert report.history.earliest("history_date").number == "ОБ-000001"  # never the stand-in
    assert "ОБ-000001" in result.note and "~" not in result.note


def _age(entry, days):
    ExchangeJournalEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - dt.timedelta(days=days))


def test_purge_drops_old_entries_and_keeps_what_reports_need(sample_shop, settings):
    device = sample_shop.device
    document = sample("a_sale_reports_closed_shift.xml")
    needed = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                             doc_type="SaleReports", document=document, request_bytes=len(document))
    sales.post_docs(device=device, doc_type="SaleReports", document=document, journal_entry=needed)
    old = ExchangeJournalEntry.objects.create(device=device, operation="GetSettings", status="ok")
    old_upload = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                                 doc_type="PriceCheckerReport", document=b"<x/>", request_bytes=4)
    recent = ExchangeJournalEntry.objects.create(device=device, operation="GetSettings", status="ok")
    for entry in (needed, old, old_upload):
        _age(entry, 200)
    _age(recent, 170)
    KnownLoginAddress.objects.create(username="gone", ip="10.0.0.9",
                                     last_success_at=timezone.now() - dt.timedelta(days=400))
    outcome = journal_purge()
    assert (outcome.entries, outcome.kept_for_reports, outcome.known_addresses) == (2, 1, 1)
    assert set(ExchangeJournalEntry.objects.values_list("pk", flat=True)) == {needed.pk, recent.pk}
    assert bytes(ExchangeJournalEntry.objects.get(pk=needed.pk).document) == document
    assert RetailSalesReport.objects.get().journal_entry_id == needed.pk
    settings.EXCHANGE_JOURNAL_RETENTION_DAYS = 100
    assert journal_purge().entries == 1  # the retention is a setting


def test_purge_command_and_the_daily_task(sample_shop):
    old = ExchangeJournalEntry.objects.create(operation="Connect", status="denied")
    _age(old, 365)
    out = __import__("io").StringIO()
    call_command("journal_purge", "--schedule", stdout=out)
    assert "Удалено записей журнала: 1" in out.getvalue() and "поставлена в очередь" in out.getvalue()
    waiting = DBTaskResult.objects.get(task_path__endswith="journal_purge_daily")
    assert waiting.run_after > timezone.now() + dt.timedelta(hours=23)
    call_command("journal_purge", "--schedule", stdout=out)
    assert DBTaskResult.objects.filter(task_path__endswith="journal_purge_daily").count() == 1
    # Run by the worker it purges and schedules its next run.
    _age(ExchangeJournalEntry.objects.create(operation="Connect", status="denied"), 365)
    DBTaskResult.objects.all().delete()
    assert journal_purge_daily.call() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="journal_purge_daily", status="READY").count() == 1


def test_refused_anonymous_calls_are_aggregated(client, demo, device_id):
    for _ in range(5):
        assert call(client, "Connect", [("DeviceID", device_id)], password="wrong", REMOTE_ADDR="198.51.100.1").status == 401
    call(client, "Connect", [("DeviceID", device_id)], password="wrong", REMOTE_ADDR="198.51.100.2")
    refused = ExchangeJournalEntry.objects.filter(status="denied").order_by("address")
    assert [(e.address, e.repeats) for e in refused] == [("198.51.100.1", 5), ("198.51.100.2", 1)]
