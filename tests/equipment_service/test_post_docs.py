"""PostDocs over raw 1C-style envelopes: answers, journal, refusals, failures."""
import pytest
from django.db import OperationalError

from offline_exchange.models import ExchangeJournalEntry
from offline_exchange.services.sales import FORMAT_ERROR, SUCCESS
from retail.models import RetailSalesReport, SalesReportGoodsLine
from tests.conftest import FMT_NS, SAMPLES, assert_valid, sample
from tests.equipment_service.soap import call

IS_SUCCESS, DESCRIPTION = f"{{{FMT_NS}}}IsSuccess", f"{{{FMT_NS}}}Description"


def post(client, device_id, document: bytes, doc_type="SaleReports", soap12=False):
    return call(client, "PostDocs", [("DeviceID", device_id), ("DocType", doc_type),
                                     ("Document", document.decode("utf-8"))], soap12=soap12)


@pytest.mark.parametrize("soap12", [False, True])
def test_sample_a_is_imported_and_journaled(client, sample_shop, xsd, soap12):
    document = sample("a_sale_reports_closed_shift.xml")
    answer = assert_valid(xsd, post(client, "SAMPLE-0001", document, soap12=soap12).result("PostDocs"))
    assert (answer.findtext(IS_SUCCESS), answer.findtext(DESCRIPTION)) == ("true", SUCCESS)
    report = RetailSalesReport.objects.get()
    entry = ExchangeJournalEntry.objects.get(operation="PostDocs")
    assert (entry.status, entry.device, entry.doc_type, entry.user.username) == ("ok", sample_shop.device,
                                                                                 "SaleReports", "sync")
    assert bytes(entry.document) == document
    assert "смена 12 → отчет ОБ-000001 (проведен" in entry.note
    assert report.journal_entry == entry and report.responsible.username == "sync" and report.posted


def test_resent_shift_over_soap_is_one_report(client, sample_shop):
    for name in ("a_sale_reports_closed_shift.xml", "b_sale_reports_resent.xml", "a_sale_reports_closed_shift.xml"):
        assert post(client, "SAMPLE-0001", sample(name)).root is not None
    assert list(RetailSalesReport.objects.values_list("number", flat=True)) == ["ОБ-000001"]
    last = ExchangeJournalEntry.objects.filter(operation="PostDocs").order_by("id").last()
    assert RetailSalesReport.objects.get().journal_entry == last


def test_open_shift_is_success_that_says_not_posted(client, sample_shop, xsd):
    answer = assert_valid(xsd, post(client, "SAMPLE-0001", sample("c_sale_reports_open_shift.xml")).result("PostDocs"))
    assert answer.findtext(IS_SUCCESS) == "true"
    assert "не проведен" in answer.findtext(DESCRIPTION) and "00005" in answer.findtext(DESCRIPTION)
    # The device is told «успешно»; the journal says a report is left to fix, with the same words.
    entry = ExchangeJournalEntry.objects.get(operation="PostDocs")
    assert (entry.status, entry.get_status_display()) == ("warning", "Предупреждение")
    assert entry.error == answer.findtext(DESCRIPTION)


@pytest.mark.parametrize("name", sorted(p.name for p in (SAMPLES / "malformed").iterdir()))
def test_malformed_document_is_refused_and_only_journaled(client, sample_shop, xsd, name):
    document = sample(name)
    answer = post(client, "SAMPLE-0001", document)
    assert answer.status == 200 and answer.fault is None
    root = assert_valid(xsd, answer.result("PostDocs"))
    description = root.findtext(DESCRIPTION)
    assert root.findtext(IS_SUCCESS) == "false"
    assert description.startswith(FORMAT_ERROR + "\n") and len(description) > len(FORMAT_ERROR) + 5
    assert "root:" not in answer.body.decode() and "Traceback" not in answer.body.decode()
    assert not RetailSalesReport.objects.exists() and not SalesReportGoodsLine.objects.exists()
    entry = ExchangeJournalEntry.objects.get()
    assert (entry.status, entry.error, bytes(entry.document)) == ("refused", description, document)


def test_unknown_doc_type_is_refused(client, sample_shop):
    root = post(client, "SAMPLE-0001", b"<x/>", doc_type="Inventory").result("PostDocs")
    assert "Тип документа Inventory не поддерживается" in root
    assert ExchangeJournalEntry.objects.get().status == "refused"


def test_price_checker_report_is_archived_as_success(client, sample_shop):
    document = f'<PriceCheckerReports xmlns="{FMT_NS}"><PriceCheckerReport/></PriceCheckerReports>'.encode()
    assert "<IsSuccess>true</IsSuccess>" in post(client, "SAMPLE-0001", document, doc_type="PriceCheckerReport"
                                                 ).result("PostDocs")
    entry = ExchangeJournalEntry.objects.get()
    assert entry.doc_type == "PriceCheckerReport" and bytes(entry.document) == document


def test_upload_from_an_unknown_device_is_a_fault_journaled_without_the_document(client, sample_shop):
    # A stranger's uploads (up to 50 MB each) are not kept: only a device of the login gets its upload archived.
    document = sample("a_sale_reports_closed_shift.xml")
    answer = post(client, "NO-SUCH-DEVICE", document)
    assert answer.status == 500 and answer.fault_code().endswith(":Client")
    entry = ExchangeJournalEntry.objects.get()
    assert (entry.status, entry.device, entry.device_ref) == ("fault", None, "NO-SUCH-DEVICE")
    assert entry.document is None
    assert not RetailSalesReport.objects.exists()


def test_database_failure_is_a_fault_the_device_retries(client, sample_shop, monkeypatch):
    document = sample("a_sale_reports_closed_shift.xml")

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SalesReportGoodsLine.objects, "bulk_create", broken)
    answer = post(client, "SAMPLE-0001", document)
    assert answer.status == 500 and answer.fault_code().endswith(":Server")
    assert "ничего не сохранено" in answer.fault and "повторите выгрузку" in answer.fault
    assert "server closed" not in answer.body.decode()
    assert not RetailSalesReport.objects.exists()
    entry = ExchangeJournalEntry.objects.get()
    assert entry.status == "fault" and bytes(entry.document) == document

    monkeypatch.undo()
    assert "<IsSuccess>true</IsSuccess>" in post(client, "SAMPLE-0001", document).result("PostDocs")
    assert RetailSalesReport.objects.get().salesreportgoodsline_set.count() == 4


def test_document_is_archived_before_processing(client, sample_shop, monkeypatch):
    """A crash inside the import (here: an unexpected error) still leaves the upload in the journal."""
    from offline_exchange.services import sales

    seen = {}

    def crash(**kwargs):
        seen["archived"] = ExchangeJournalEntry.objects.filter(status="received").count()
        raise RuntimeError("boom")

    monkeypatch.setattr(sales, "sales_reports_import", crash)
    answer = post(client, "SAMPLE-0001", sample("a_sale_reports_closed_shift.xml"))
    assert seen == {"archived": 1}
    assert answer.fault_code().endswith(":Server") and "boom" not in answer.body.decode()
    assert ExchangeJournalEntry.objects.get().status == "fault"
