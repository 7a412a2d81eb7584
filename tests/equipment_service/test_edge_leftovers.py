"""The leftovers of issue 22's attack review, each through the HTTP edge: what a client fault leaves in the
log, which bodies are served, how large a body is read, the admin's Content-Security-Policy, the language
of faults and parser errors, and booleans that are booleans."""
import io
import logging

import pytest
from django.core.handlers.wsgi import WSGIRequest

from equipment_service.views import equipment_service
from offline_exchange.models import AuthFailure, ExchangeJournalEntry, Transfer
from tests.conftest import basic
from tests.equipment_service.soap import SOAP12, call, envelope, post

pytestmark = pytest.mark.django_db

PATH = "/rt/ws/EquipmentService"


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logged():
    """Every record any logger lets through, the spyne loggers (which do not propagate) included."""
    handler = Records()
    loggers = [logging.getLogger(), logging.getLogger("spyne")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.parametrize("body", [
    b"<soap:Envelope",  # refused while the envelope is read
    envelope("GetSettings", [("DeviceID", "NO-SUCH-DEVICE")]),  # refused inside the operation
    envelope("GetPriceListPackage", [("DeviceID", "x"), ("TransferID", "y"), ("Restart", "yes")]),  # a bad value
], ids=["broken-xml", "unknown-device", "bad-boolean"])
def test_a_client_fault_is_one_warning_line_without_a_traceback(client, demo, logged, body):
    answer = post(client, PATH, body, op="GetVersion", REMOTE_ADDR="203.0.113.5")
    assert answer.status == 500 and "Client" in answer.fault_code()
    faults = [r for r in logged if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in faults] == [("equipment_service.views", "WARNING")], \
        [(r.name, r.levelname, r.getMessage()[:80]) for r in faults]
    line = faults[0].getMessage()
    assert "\n" not in line and faults[0].exc_info is None and "203.0.113.5" in line and "Client" in line


@pytest.mark.parametrize("content_type", [
    "text/plain", "multipart/related; type=\"text/xml\"; boundary=x", "application/x-www-form-urlencoded",
    "application/xml", ""])
def test_only_soap_bodies_are_served(client, demo, device_id, content_type):
    body = envelope("Connect", [("DeviceID", device_id)])
    response = client.generic("POST", PATH, body, content_type=content_type, HTTP_AUTHORIZATION=basic("sync", "sync"),
                              HTTP_SOAPACTION='"http://www.1c.ru/EquipmentService#EquipmentService:Connect"')
    assert response.status_code == 415 and "text/xml" in response.content.decode()
    # Refused before anything: no login checked, nothing journaled.
    assert not ExchangeJournalEntry.objects.exists() and not AuthFailure.objects.exists()


@pytest.mark.parametrize("content_type", ["text/xml; charset=utf-8", "TEXT/XML", "application/soap+xml; charset=utf-8"])
def test_soap_media_types_are_served(client, demo, device_id, content_type):
    soap12 = "soap+xml" in content_type
    body = envelope("Connect", [("DeviceID", device_id)], soap12=soap12)
    answer = post(client, PATH, body, op="Connect", soap12=soap12, content_type=content_type)
    assert answer.status == 200 and answer.result("Connect") == "true"


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_a_body_over_the_limit_is_413_and_never_read(demo, settings):
    settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES = 10_000
    stream = CountingStream(b"x" * 50_000)
    request = WSGIRequest({
        "REQUEST_METHOD": "POST", "PATH_INFO": PATH, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": stream, "CONTENT_LENGTH": "50000",
        "CONTENT_TYPE": "text/xml; charset=utf-8", "HTTP_AUTHORIZATION": basic("sync", "sync")})
    response = equipment_service(request, base="rt")
    assert response.status_code == 413 and "больше допустимого размера" in response.content.decode()
    assert stream.taken == 0
    assert ExchangeJournalEntry.objects.get().status == "fault"


def test_the_service_reads_its_own_limit_and_the_site_keeps_djangos(demo, client, admin_client, device_id, settings):
    from django.conf import global_settings
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 100_000
    # A SOAP body above Django's form limit is read (up to the service's own limit) and answered.
    padding = "<!--" + "x" * big + "-->"
    body = envelope("Connect", [("DeviceID", device_id)]).replace(b"<soap:Body>", padding.encode() + b"<soap:Body>")
    assert post(client, PATH, body, op="Connect").result("Connect") == "true"
    # A form of that size elsewhere is refused by Django's own limit.
    response = admin_client.post("/admin/retail/item/add/", data="a=" + "x" * big,
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_admin_pages_carry_a_content_security_policy(demo, admin_client, client):
    page = admin_client.get("/admin/")
    policy = page["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    login = client.get("/admin/login/")
    assert "Content-Security-Policy" in login
    # The pages' own scripts are files, not inline code the policy would stop.
    assert "<script>" not in page.content.decode() and "<script>" not in login.content.decode()


def test_soap12_faults_are_marked_russian(client, demo):
    answer = call(client, "GetSettings", [("DeviceID", "NO-SUCH-DEVICE")], soap12=True)
    assert answer.status == 500
    text = answer.root.find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault/{{{SOAP12}}}Reason/{{{SOAP12}}}Text")
    assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru" and "не найдено" in text.text


@pytest.mark.parametrize("body, where", [
    (b"hello", "строка 1, столбец 1"),
    (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n<soap:Body>\n<a></b>', "строка 3"),
])
def test_parser_errors_are_our_russian_words_with_the_line(client, demo, body, where):
    answer = post(client, PATH, body, op="GetVersion")
    assert "XML не читается" in answer.fault and where in answer.fault
    for english in ("Start tag expected", "not found", "mismatch", "Opening and ending", "line"):
        assert english not in answer.fault


def test_booleans_are_xml_booleans(client, demo, device_id):
    transfer = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")])
    transfer_id = transfer.result("PrepareFullPriceList")
    for word in ("yes", "да", "True", "2"):
        answer = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                      ("Restart", word)])
        assert answer.status == 500 and "Client" in answer.fault_code()
        assert f"«{word}» не логическое значение" in answer.fault
    assert not Transfer.objects.get(pk=transfer_id).packages.filter(sent=True).exists()  # nothing handed out
    answer = call(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                  ("Restart", "0")])
    assert answer.status == 200
