"""Every operation through the Django test client with raw 1C-style envelopes."""
import pytest
from lxml import etree

from offline_exchange.models import ExchangeJournalEntry, ExchangeSettings
from tests.conftest import FMT_NS, assert_valid, basic
from tests.equipment_service.soap import SOAP11, SOAP12, call, envelope, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("soap12", [False, True])
def test_version_connect_settings(client, demo, device_id, xsd, soap12):
    answer = call(client, "GetVersion", [("DeviceID", device_id)], soap12=soap12)
    assert answer.status == 200
    assert ("application/soap+xml" if soap12 else "text/xml") in answer.content_type
    assert answer.root.tag == f"{{{SOAP12 if soap12 else SOAP11}}}Envelope"
    assert answer.result("GetVersion") == "3001"
    assert call(client, "Connect", [("DeviceID", device_id)], soap12=soap12).result("Connect") == "true"

    settings_xml = call(client, "GetSettings", [("DeviceID", device_id)], soap12=soap12).result("GetSettings")
    assert settings_xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = assert_valid(xsd, settings_xml)
    n = f"{{{FMT_NS}}}"
    assert root.findtext(n + "CompanyName") == 'Торговый дом "Комплексный"'
    assert root.findtext(n + "INN") == "7701234566"
    assert root.findtext(n + "AllowDiscounts") == "false"
    assert root.findtext(n + "AllowPaymentCards") == "true"
    option = root.find(f"{n}ElectronicPaymentOptions/{n}ElectronicPaymentOption")
    assert option.get("Code") == "1" and option.get("ElectronicPaymentType") == "1"


def test_unknown_device_gets_zero_false_and_client_faults(client, demo):
    assert call(client, "GetVersion", [("DeviceID", "nope")]).result("GetVersion") == "0"
    assert call(client, "Connect", [("DeviceID", "nope")]).result("Connect") == "false"
    for op, params in [("GetSettings", []), ("GetPriceList", []), ("PreparePriceList", []),
                       ("GetDocs", [("DocType", "Order")]), ("GetGood", [("Barcode", "1")])]:
        answer = call(client, op, [("DeviceID", "nope")] + params)
        assert answer.status == 500
        assert "Client" in answer.fault_code()
        assert "«nope» не найдено" in answer.fault
        assert "Traceback" not in answer.body.decode()


def test_device_id_is_matched_trimmed_and_case_insensitive(client, demo):
    demo["device"].device_id = "AbC-01"
    demo["device"].save()
    assert call(client, "GetVersion", [("DeviceID", "  abc-01 ")]).result("GetVersion") == "3001"


def test_exchange_switch_off_hides_devices(client, demo, device_id):
    ExchangeSettings.objects.filter(pk=1).update(offline_exchange_enabled=False)
    assert call(client, "Connect", [("DeviceID", device_id)]).result("Connect") == "false"


@pytest.mark.parametrize("soap12", [False, True])
@pytest.mark.parametrize("device_ref", ["", "x" * 37])
def test_empty_or_long_device_id_is_client_fault(client, demo, device_ref, soap12):
    answer = call(client, "GetSettings", [("DeviceID", device_ref)], soap12=soap12)
    assert answer.status == 500
    code = answer.fault_code()
    assert code.endswith("Sender") if soap12 else code.endswith("Client")
    assert "идентификатор" in answer.fault.lower()


def test_soap12_fault_code_prefix_is_declared(client, demo):
    """spyne writes 1.2 fault codes as a QName; its prefix must resolve to the 1.2 envelope namespace."""
    answer = call(client, "GetSettings", [("DeviceID", "")], soap12=True)
    value = answer.root.find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault/{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    prefix, _, local = value.text.partition(":")
    assert local == "Sender"
    assert value.nsmap[prefix] == SOAP12


def test_response_wrapper_is_named_after_the_operation(client, demo, device_id):
    answer = call(client, "PreparePriceList", [("DeviceID", device_id)])
    body = answer.root.find(f"{{{SOAP11}}}Body")
    assert [etree.QName(child).localname for child in body] == ["PreparePriceListResponse"]
    ret = body[0][0]
    assert etree.QName(ret).localname == "return" and etree.QName(ret).namespace == "http://www.1c.ru/EquipmentService"


def test_get_doc_types_and_other_doc_types_are_empty(client, demo, device_id):
    assert call(client, "GetDocTypes").result("GetDocTypes") == ""
    assert call(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Check")]).result("GetDocs") == ""


def test_get_good_by_barcode(client, demo, device_id, xsd):
    text = call(client, "GetGood", [("DeviceID", device_id), ("Barcode", "4601234500062")]).result("GetGood")
    root = assert_valid(xsd, text)
    n = f"{{{FMT_NS}}}"
    goods = root.findall(f"{n}Goods/{n}Good")
    # The barcode's position, in the device's shape: one Good per position.
    assert len(goods) == 1 and goods[0].get("Name") == "Боди детское хлопок (Рост 68, белый)"
    chars = goods[0].findall(f"{n}Characteristics/{n}Characteristic")
    assert [c.get("Name") for c in chars] == ["Рост 68, белый"]
    # A pack's barcode: its pack position only.
    root = assert_valid(xsd, call(client, "GetGood", [("DeviceID", device_id), ("Barcode", "4601234500123")])
                        .result("GetGood"))
    [good] = root.findall(f"{n}Goods/{n}Good")
    assert good.get("Name") == "Подгузники размер 3, 1 шт, Упаковка 52 шт" and good.get("HasPacks") == "true"
    demo["device"].goods_shape = "nested"
    demo["device"].save()
    text = call(client, "GetGood", [("DeviceID", device_id), ("Barcode", "4601234500062")]).result("GetGood")
    [good] = assert_valid(xsd, text).findall(f"{n}Goods/{n}Good")
    assert good.get("Name") == "Боди детское хлопок"
    assert [c.get("Name") for c in good.findall(f"{n}Characteristics/{n}Characteristic")] == ["Рост 68, белый"]
    empty = call(client, "GetGood", [("DeviceID", device_id), ("Barcode", "0000")]).result("GetGood")
    assert assert_valid(xsd, empty).find(f"{n}Goods") is None


def test_every_call_is_journaled(client, demo, device_id):
    call(client, "GetVersion", [("DeviceID", device_id)])
    call(client, "GetSettings", [("DeviceID", "nope")])
    ok, fault = ExchangeJournalEntry.objects.order_by("id")
    assert (ok.operation, ok.status, ok.device_id, ok.user.username) == ("GetVersion", "ok", demo["device"].pk, "sync")
    assert ok.request_bytes > 0 and ok.response_bytes > 0
    assert (fault.operation, fault.status, fault.device_ref) == ("GetSettings", "fault", "nope")
    assert "не найдено" in fault.error


class TestAuth:
    def test_missing_credentials_is_401_with_challenge(self, client, demo, device_id):
        answer = call(client, "GetVersion", [("DeviceID", device_id)], user=None)
        assert answer.status == 401
        response = client.post("/rt/ws/EquipmentService", data=envelope("GetVersion", [("DeviceID", device_id)]),
                               content_type="text/xml; charset=utf-8")
        assert response.status_code == 401 and response["WWW-Authenticate"] == 'Basic realm="1C"'

    def test_wsdl_is_answered_with_or_without_credentials(self, client, demo, device_id):
        """A 1C client fetches the WSDL before it authenticates (PROTOCOL §1); the calls still need them."""
        from tests.factories import UserFactory

        UserFactory(username="кассир", password="пароль")
        for headers in ({}, {"HTTP_AUTHORIZATION": basic("sync", "sync")}, {"HTTP_AUTHORIZATION": basic("x", "bad")},
                        {"HTTP_AUTHORIZATION": basic("кассир", "пароль")}):
            response = client.get("/rt/ws/EquipmentService?wsdl", **headers)
            assert response.status_code == 200, headers
            assert etree.fromstring(response.content).tag == "{http://schemas.xmlsoap.org/wsdl/}definitions"
        assert call(client, "GetVersion", [("DeviceID", device_id)], user=None).status == 401
        assert call(client, "GetVersion", [("DeviceID", device_id)], user="кассир", password="пароль").status == 403

    def test_wrong_password_is_401(self, client, demo, device_id):
        assert call(client, "GetVersion", [("DeviceID", device_id)], password="bad").status == 401

    def test_user_without_sync_permission_is_403(self, client, demo, device_id):
        from tests.factories import UserFactory

        UserFactory(username="кассир", password="пароль")
        response = client.post("/rt/ws/EquipmentService", data=envelope("GetVersion", [("DeviceID", device_id)]),
                               content_type="text/xml; charset=utf-8", HTTP_SOAPACTION='"GetVersion"',
                               HTTP_AUTHORIZATION=basic("кассир", "пароль"))
        assert response.status_code == 403
        assert "Выполнение синхронизации данных" in response.content.decode()

    def test_cyrillic_login_with_permission(self, client, demo, device_id):
        from tests.factories import UserFactory

        demo["device"].users.add(UserFactory(username="Кассир", password="секрет", sync=True))
        answer = call(client, "GetVersion", [("DeviceID", device_id)], user="Кассир", password="секрет")
        assert answer.result("GetVersion") == "3001"


class TestPaths:
    @pytest.mark.parametrize("path", ["/ws/EquipmentService", "/ws/EquipmentService.1cws",
                                      "/rt/ws/EquipmentService", "/rt/ws/EquipmentService.1cws"])
    def test_all_paths_answer(self, client, demo, device_id, path):
        assert call(client, "GetVersion", [("DeviceID", device_id)], path=path).result("GetVersion") == "3001"

    def test_wrong_case_base_is_a_plain_404_that_lists_nothing(self, client, demo, settings):
        settings.EQUIPMENT_SERVICE_BASE_NAMES = ["rt", "chain-secret"]
        response = client.get("/Rt/ws/EquipmentService?wsdl", HTTP_AUTHORIZATION=basic("sync", "sync"))
        assert response.status_code == 404
        text = response.content.decode()
        assert "чувствительно к регистру" in text and "«Rt»" in text
        # The published names are nobody's business: a stranger learns nothing to try next.
        assert "chain-secret" not in text and "«rt»" not in text and "опубликованы" not in text


class TestWsdl:
    def _wsdl(self, client, path="/rt/ws/EquipmentService?wsdl", **headers):
        response = client.get(path, HTTP_AUTHORIZATION=basic("sync", "sync"), **headers)
        assert response.status_code == 200
        return etree.fromstring(response.content)

    def test_shape(self, client, demo):
        root = self._wsdl(client)
        W = "{http://schemas.xmlsoap.org/wsdl/}"
        assert root.get("targetNamespace") == "http://www.1c.ru/EquipmentService"
        assert [p.get("name") for p in root.iter(W + "port")] == ["EquipmentServiceSoap", "EquipmentServiceSoap12"]
        assert [p.get("name") for p in root.iter(W + "portType")] == ["EquipmentServicePortType"]
        names = {m.get("name") for m in root.iter(W + "message")}
        assert {"GetVersionRequestMessage", "GetVersionResponseMessage", "PostDocsRequestMessage"} <= names
        actions = {o.get("soapAction") for o in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")}
        assert "http://www.1c.ru/EquipmentService#EquipmentService:GetPriceListPackage" in actions
        string_id = root.find(".//{http://www.w3.org/2001/XMLSchema}schema[@targetNamespace="
                              "'http://www.1c.ru/EquipmentService/1.0.0.6']/"
                              "{http://www.w3.org/2001/XMLSchema}simpleType[@name='StringID']")
        assert string_id is not None

    def test_served_twice_keeps_port_type(self, client, demo):
        # spyne's own WSDL loses its portType when rebuilt; ours must be identical every time.
        first = etree.tostring(self._wsdl(client))
        assert first == etree.tostring(self._wsdl(client))

    def test_address_is_the_url_the_client_used(self, client, demo):
        root = self._wsdl(client, "/rt/ws/EquipmentService.1cws?wsdl")
        locations = {a.get("location") for a in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address",
                                                          "{http://schemas.xmlsoap.org/wsdl/soap12/}address")}
        assert locations == {"http://testserver/rt/ws/EquipmentService.1cws"}

    def test_address_behind_proxy(self, client, demo, settings):
        # As SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto=https in the environment configures it.
        settings.SECURE_PROXY_SSL_HEADER, settings.USE_X_FORWARDED_HOST = ("HTTP_X_FORWARDED_PROTO", "https"), True
        settings.ALLOWED_HOSTS = ["kassa.example.ru", "testserver"]
        root = self._wsdl(client, HTTP_X_FORWARDED_HOST="kassa.example.ru", HTTP_X_FORWARDED_PROTO="https")
        address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
        assert address == "https://kassa.example.ru/rt/ws/EquipmentService"

    def test_proxy_headers_are_not_trusted_unless_configured(self, client, demo, settings):
        settings.ALLOWED_HOSTS = ["kassa.example.ru", "testserver"]
        root = self._wsdl(client, HTTP_X_FORWARDED_HOST="kassa.example.ru", HTTP_X_FORWARDED_PROTO="https")
        address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
        assert address == "http://testserver/rt/ws/EquipmentService"

    def test_configured_public_url(self, client, demo, settings):
        settings.EQUIPMENT_SERVICE_PUBLIC_URL = "https://pos.example.ru/rt/ws/EquipmentService.1cws"
        root = self._wsdl(client)
        assert root.find(".//{http://schemas.xmlsoap.org/wsdl/soap12/}address").get("location") == \
            "https://pos.example.ru/rt/ws/EquipmentService.1cws"


class TestHostileXml:
    XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
           b'<m:GetVersion xmlns:m="http://www.1c.ru/EquipmentService"><m:DeviceID>&x;</m:DeviceID>'
           b'</m:GetVersion></soap:Body></soap:Envelope>')
    LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
              b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
              b'<m:GetVersion xmlns:m="http://www.1c.ru/EquipmentService"><m:DeviceID>&lol3;</m:DeviceID>'
              b'</m:GetVersion></soap:Body></soap:Envelope>')

    @pytest.mark.parametrize("soap12", [False, True])
    @pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
    def test_doctype_is_client_fault_that_leaks_nothing(self, client, demo, payload, soap12):
        if soap12:
            payload = payload.replace(SOAP11.encode(), SOAP12.encode())
        answer = post(client, "/rt/ws/EquipmentService", payload, op="GetVersion", soap12=soap12)
        assert answer.status == 500
        assert answer.root is not None, answer.body[:300]
        assert "Sender" in answer.fault_code() if soap12 else "Client" in answer.fault_code()
        assert "DOCTYPE" in answer.fault
        assert b"root:" not in answer.body and b"lollol" not in answer.body
        entry = ExchangeJournalEntry.objects.get()
        assert entry.status == "fault" and entry.operation == "GetVersion"

    def test_malformed_xml_is_client_fault(self, client, demo):
        answer = post(client, "/rt/ws/EquipmentService", b"<soap:Envelope", op="GetVersion")
        assert answer.status == 500 and "Client" in answer.fault_code()

    def test_oversized_request_is_refused_with_413(self, client, demo, device_id, settings):
        settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES = 1000
        body = envelope("PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"), ("Document", "x" * 2000)])
        answer = post(client, "/rt/ws/EquipmentService", body, op="PostDocs")
        assert answer.status == 413 and "больше допустимого" in answer.fault and "Client" in answer.fault_code()
        assert ExchangeJournalEntry.objects.get().status == "fault"


class TestVerifiedCredentialsCache:
    def _count_hashing(self, monkeypatch):
        from django.contrib.auth.hashers import MD5PasswordHasher
        calls = {"n": 0}
        real = MD5PasswordHasher.verify

        def counting(self, password, encoded):
            calls["n"] += 1
            return real(self, password, encoded)

        monkeypatch.setattr(MD5PasswordHasher, "verify", counting)
        return calls

    def test_password_is_hashed_once_per_login(self, client, demo, device_id, monkeypatch):
        calls = self._count_hashing(monkeypatch)
        for _ in range(3):
            assert call(client, "GetVersion", [("DeviceID", device_id)]).result("GetVersion") == "3001"
        assert calls["n"] == 1
        assert call(client, "GetVersion", [("DeviceID", device_id)], password="wrong").status == 401
        assert calls["n"] == 2

    def test_changed_password_and_blocked_user_take_effect_at_once(self, client, demo, device_id):
        from django.contrib.auth.models import User
        assert call(client, "Connect", [("DeviceID", device_id)]).status == 200
        user = User.objects.get(username="sync")
        user.set_password("new")
        user.save()
        assert call(client, "Connect", [("DeviceID", device_id)]).status == 401
        assert call(client, "Connect", [("DeviceID", device_id)], password="new").status == 200
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert call(client, "Connect", [("DeviceID", device_id)], password="new").status == 401


class TestLockout:
    @pytest.fixture(autouse=True)
    def _limits(self, settings):
        settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER = 3
        settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP = 5

    def test_login_is_locked_after_failures_and_journaled(self, client, demo, device_id):
        for _ in range(3):
            assert call(client, "Connect", [("DeviceID", device_id)], password="guess").status == 401
        locked = call(client, "Connect", [("DeviceID", device_id)])  # even the right password now
        assert locked.status == 429 and "Слишком много неудачных попыток входа пользователя «sync»" in locked.body.decode()
        entry = ExchangeJournalEntry.objects.order_by("id").last()
        assert entry.status == "denied" and "адрес 127.0.0.1; пользователи: «sync»" in entry.note
        assert "guess" not in " ".join(ExchangeJournalEntry.objects.values_list("note", flat=True))

    def test_address_is_locked_across_logins(self, client, demo, device_id):
        for n in range(5):
            call(client, "Connect", [("DeviceID", device_id)], user=f"user{n}", password="x")
        assert call(client, "Connect", [("DeviceID", device_id)], REMOTE_ADDR="127.0.0.1").status == 429
        assert call(client, "Connect", [("DeviceID", device_id)], REMOTE_ADDR="10.0.0.7").status == 200

    def test_a_device_already_signed_in_keeps_working_while_someone_guesses(self, client, demo, device_id):
        assert call(client, "Connect", [("DeviceID", device_id)]).status == 200
        for _ in range(4):
            call(client, "Connect", [("DeviceID", device_id)], password="guess", REMOTE_ADDR="10.9.9.9")
        assert call(client, "Connect", [("DeviceID", device_id)]).status == 200

    def test_success_forgets_earlier_failures(self, client, demo, device_id):
        from offline_exchange.models import AuthFailure
        for _ in range(2):
            call(client, "Connect", [("DeviceID", device_id)], password="guess")
        assert call(client, "Connect", [("DeviceID", device_id)]).status == 200
        assert not AuthFailure.objects.filter(username="sync").exists()

    def test_forwarded_address_is_used_only_from_a_trusted_proxy(self, client, demo, device_id, settings):
        from offline_exchange.models import AuthFailure
        forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.5, 198.51.100.1"}
        call(client, "Connect", [("DeviceID", device_id)], user="nobody", password="x", REMOTE_ADDR="192.0.2.9",
             **forged)
        assert set(AuthFailure.objects.values_list("ip", flat=True)) == {"192.0.2.9"}  # no proxy list: the peer
        settings.TRUSTED_PROXIES = ["192.0.2.0/24"]
        call(client, "Connect", [("DeviceID", device_id)], user="nobody", password="x", REMOTE_ADDR="192.0.2.9",
             **forged)
        assert AuthFailure.objects.latest("id").ip == "198.51.100.1"


def test_database_down_before_the_operation_is_a_soap_fault_not_an_html_page(client, demo, device_id, monkeypatch):
    from django.db import DatabaseError

    from equipment_service import views

    def down(request):
        raise DatabaseError('relation "offline_exchange_authfailure" does not exist')

    monkeypatch.setattr(views, "basic_authenticate", down)
    answer = call(client, "GetVersion", [("DeviceID", device_id)])
    assert answer.status == 500 and answer.content_type.startswith("text/xml")
    assert answer.fault_code() == "soap:Server" and "повторите обмен позже" in answer.fault
    assert "authfailure" not in answer.body.decode()


def test_a_call_does_not_walk_the_whole_heap(client, demo, device_id, monkeypatch):
    """spyne's once-a-second full collection is off: it cost a device's call 90 ms in an app server."""
    import gc

    import spyne.context

    collections = []
    monkeypatch.setattr(spyne.context, "_LAST_GC_RUN", 0.0)
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or 0)
    assert call(client, "GetVersion", [("DeviceID", device_id)]).result("GetVersion") == "3001"
    assert collections == []
