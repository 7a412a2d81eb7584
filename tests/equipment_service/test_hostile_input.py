"""Hostile input through the real HTTP stack: every case is refused in the caller's terms, nothing but
the journal is written, and no answer carries a stack trace or a file's content."""
from datetime import datetime
from decimal import Decimal

import pytest
import requests

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.models import ExchangeJournalEntry, Transfer
from offline_exchange.services.sales import FORMAT_ERROR
from retail.models import Item, RetailSalesReport
from tests.conftest import basic, sample
from tests.equipment_service.soap import ACTION, SOAP11, envelope, post

DEVICE = "SAMPLE-0001"
PATH = "/rt/ws/EquipmentService"
LEAKS = ("Traceback", "root:x:0:0", "File \"/", "django.db", "sqlite3", "psycopg")


def raw(body: str) -> bytes:
    return f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body>{body}</soap:Body></soap:Envelope>'.encode()


def with_dtd(dtd: str, body: str) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE soap:Envelope [{dtd}]>'.encode() + raw(body))


GET_SETTINGS = f'<m:GetSettings xmlns:m="http://www.1c.ru/EquipmentService"><m:DeviceID>{DEVICE}</m:DeviceID></m:GetSettings>'

FAULTS = {
    "xxe_file": (with_dtd('<!ENTITY x SYSTEM "file:///etc/passwd">', GET_SETTINGS.replace(DEVICE, "&x;")), "DOCTYPE"),
    "xxe_http": (with_dtd('<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">',
                          GET_SETTINGS.replace(DEVICE, "&x;")), "DOCTYPE"),
    "billion_laughs": (with_dtd('<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">',
                                GET_SETTINGS.replace(DEVICE, "&d;")), "DOCTYPE"),
    "quadratic_blowup": (with_dtd(f'<!ENTITY a "{"x" * 50000}">', GET_SETTINGS.replace(DEVICE, "&a;" * 2000)),
                         "DOCTYPE"),
    "nesting_10000": (raw("<a>" * 10000 + "</a>" * 10000), "XML не читается"),
    "invalid_utf8": (raw(GET_SETTINGS).replace(DEVICE.encode(), b"\xff\xfe\xfa"), "XML не читается"),
    "not_xml": (b"\x00\x01binary garbage", "XML не читается"),
    "no_body": (f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Header/></soap:Envelope>'.encode(), "Body"),
    "two_calls": (raw(GET_SETTINGS + GET_SETTINGS), "ровно один вызов"),
    "unknown_operation": (envelope("DropDatabase", [("DeviceID", DEVICE)]), "DropDatabase не поддерживается"),
    "missing_parameter": (envelope("GetSettings", []), "Не указан идентификатор устройства"),
    "extra_parameter": (envelope("GetSettings", [("DeviceID", DEVICE), ("Sql", "drop table")]), "нет параметра Sql"),
    "duplicate_parameter": (envelope("GetSettings", [("DeviceID", DEVICE), ("DeviceID", "x")]), "указан дважды"),
    "device_id_37": (envelope("GetSettings", [("DeviceID", "9" * 37)]), "длиннее 36 символов"),
    "unknown_device": (envelope("GetSettings", [("DeviceID", "NOT-OURS")]), "не найдено"),
}


def counts():
    return RetailSalesReport.objects.count(), Transfer.objects.count()


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_envelope_attack_is_a_client_fault(client, sample_shop, case):
    body, message = FAULTS[case]
    before = counts()
    answer = post(client, PATH, body, op="GetSettings")
    assert answer.status == 500 and answer.fault_code().endswith(("Client", "Client.XmlRejected",
                                                                  "Client.BadEnvelope")), answer.body[:300]
    assert message in answer.fault, answer.fault
    text = answer.body.decode("utf-8", errors="replace")
    assert not any(leak in text for leak in LEAKS) and "lollollol" not in text
    assert counts() == before
    entry = ExchangeJournalEntry.objects.get()
    assert entry.status == "fault" and entry.error


POSTED = {
    "wrong_namespace": (sample("d1a_wrong_namespace_3003.xml"), "SaleReports", "3.0.0.3"),
    "no_namespace": (sample("d1b_no_namespace.xml"), "SaleReports", "нет пространства имен"),
    "format_3003_file": (sample("a_import_data_closed_shift.xml").replace(b'FormatVersion="3001"',
                                                                          b'FormatVersion="3003"'), "SaleReports", "3003"),
    "xxe_in_document": (sample("d6_xxe_file.xml"), "SaleReports", "DOCTYPE"),
    "billion_laughs_in_document": (sample("d5_billion_laughs.xml"), "SaleReports", "DOCTYPE"),
    "unknown_doc_type": (sample("a_sale_reports_closed_shift.xml"), "Inventory", "не поддерживается"),
    "not_xml_document": (b"hello", "SaleReports", "XML не читается"),
}


@pytest.mark.parametrize("case", sorted(POSTED))
def test_hostile_document_is_refused_with_is_success_false(client, sample_shop, case):
    document, doc_type, message = POSTED[case]
    answer = post(client, PATH, envelope("PostDocs", [("DeviceID", DEVICE), ("DocType", doc_type),
                                                      ("Document", document.decode("utf-8"))]), op="PostDocs")
    result = answer.result("PostDocs")
    assert "<IsSuccess>false</IsSuccess>" in result and message in result
    if doc_type == "SaleReports":
        assert FORMAT_ERROR in result
    assert not any(leak in answer.body.decode() for leak in LEAKS)
    assert counts() == (0, 0)
    entry = ExchangeJournalEntry.objects.get()
    assert entry.status == "refused" and bytes(entry.document) == document


@pytest.mark.django_db(transaction=True)
def test_60_mb_upload_is_refused_and_20_mb_shift_is_accepted(live_server, sample_shop, settings):
    url = f"{live_server.url}{PATH}"
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{ACTION.format("PostDocs")}"',
               "Authorization": basic("sync", "sync")}
    huge = envelope("PostDocs", [("DeviceID", DEVICE), ("DocType", "SaleReports"), ("Document", "x" * (60 << 20))])
    response = requests.post(url, data=huge, headers=headers, timeout=120)
    assert response.status_code == 413 and "больше допустимого размера" in response.text
    assert str(settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES) in response.text
    assert RetailSalesReport.objects.count() == 0

    goods = [SellableGood(str(n), Decimal(price)) for n, price in ((1, "129.90"), (3, "59.00"), (4, "180.00"))]
    shift = synthetic_shift(goods=goods, checks=39000, lines=3, opened_at=datetime(2024, 8, 1, 8))
    document = build_sale_reports([shift], FORMAT_3001)
    assert len(document) > 20 << 20
    body = envelope("PostDocs", [("DeviceID", DEVICE), ("DocType", "SaleReports"), ("Document", document.decode())])
    response = requests.post(url, data=body, headers=headers, timeout=300)
    assert response.status_code == 200 and "&lt;IsSuccess&gt;true&lt;/IsSuccess&gt;" in response.text, response.text[:800]
    assert RetailSalesReport.objects.get().salesreportgoodsline_set.count() == 3


def test_html_in_item_names_is_escaped_in_the_admin(demo, admin_client, client):
    item = Item.objects.first()
    item.name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    item.save()
    for url in ("/admin/retail/item/", f"/admin/retail/item/{item.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert "<script>alert(" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
