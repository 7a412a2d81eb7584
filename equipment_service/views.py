"""The HTTP edge of EquipmentService: publication names, auth, WSDL, SOAP 1.1/1.2 routing, journal."""
from __future__ import annotations

import logging
import time
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication

from common.xmlsafe import UnsafeXmlError, parse_xml
from equipment_service.auth import LoginRefused, basic_authenticate, basic_credentials
from equipment_service.protocol import CallContext, current_call
from equipment_service.service import soap11_application, soap12_application
from equipment_service.wsdl import OPERATIONS, wsdl_document
from offline_exchange.services.addresses import client_address
from offline_exchange.services.journal import journal_write
from retail.rights import can_sync

logger = logging.getLogger(__name__)

# The size limit is ours (EQUIPMENT_SERVICE_MAX_REQUEST_BYTES, checked before the body is read);
# spyne's own default of 2 MB would refuse an ordinary day's shift.
_SPYNE_LIMIT = 1 << 40
# spyne runs a full gc.collect() after a call once a second per process, to close uploaded files it
# keeps (we keep none): 90 ms of a Django process's objects walked each time, in the middle of some
# device's call, on every app server process. Python's own collector still runs as usual.
spyne_const.MIN_GC_INTERVAL = float("inf")
_WSGI = {"1.1": WsgiApplication(soap11_application, max_content_length=_SPYNE_LIMIT),
         "1.2": WsgiApplication(soap12_application, max_content_length=_SPYNE_LIMIT)}
# What a spyne context holds of its call's request and answer: the upload's pieces and tree, the answer's
# objects, tree and text.
_PAYLOAD = ("in_string", "in_document", "in_header_doc", "in_body_doc", "in_header", "in_object",
            "out_object", "out_header", "out_body_doc", "out_header_doc", "out_document", "out_string", "out_stream")


def _context_note(ctx) -> None:
    """spyne's 'wsgi_call' (the call's first context, which reads and parses the request) and 'wsgi_close'
    (the operation's copy of it, which wrote the answer): kept on the call for `_payload_drop`."""
    call = current_call.get()
    if call is not None:
        call.spyne_contexts.append(ctx)


def _payload_drop(call: CallContext) -> None:
    """Let go of the call's request and answer once the answer is written. spyne's contexts refer to one
    another, so a finished call's contexts are freed only by Python's cyclic collector, and with them a
    price-list package's text twice (1.4 MB for 1,000 goods) or a shift's upload with its tree. spyne ran a
    full collection once a second for this (switched off above); without it, under load, the contexts
    outlived the young collections and waited for an old one: the app server's workers grew from 105 to
    213–262 MB each at busy minutes and gave it back later. The contexts' small cycles stay for the collector."""
    for ctx in call.spyne_contexts:
        for name in _PAYLOAD:
            setattr(ctx, name, None)
    call.spyne_contexts.clear()


for _server in _WSGI.values():
    _server.event_manager.add_listener("wsgi_call", _context_note)
    _server.event_manager.add_listener("wsgi_close", _context_note)

_OPERATION_NAMES = {name for name, _params, _returns in OPERATIONS}
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
# The only bodies a SOAP client sends. Anything else (text/plain, a form, multipart/related) is what a
# browser can post from another site without asking: refused before anything reads it.
SOAP_MEDIA_TYPES = {"text/xml": "1.1", "application/soap+xml": "1.2"}

# Kinds of refusal of a caller without a valid login, by which the journal counts a stranger's calls.
REFUSAL_NO_CREDENTIALS, REFUSAL_WRONG_PASSWORD, REFUSAL_LOCKED = "nologin", "password", "locked"


def _text(status: int, text: str, **headers) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _soap_version(content_type: str) -> str:
    return SOAP_MEDIA_TYPES.get(_media_type(content_type), "1.1")


def _operation_from_action(request: HttpRequest) -> str:
    action = request.META.get("HTTP_SOAPACTION", "")
    if not action:
        for part in request.META.get("CONTENT_TYPE", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "action":
                action = value
    name = action.strip().strip('"').rpartition(":")[2]
    return name if name in _OPERATION_NAMES else ""


def _fault(version: str, code: str, message: str, status: int = 500) -> HttpResponse:
    """A fault written by us, for refusals that happen before spyne sees the request."""
    text = escape(message)
    if version == "1.2":
        value = "soap:Sender" if code == "Client" else "soap:Receiver"
        body = (f'<soap:Envelope xmlns:soap="{SOAP12_ENV}"><soap:Body><soap:Fault>'
                f'<soap:Code><soap:Value>{value}</soap:Value></soap:Code>'
                f'<soap:Reason><soap:Text xml:lang="ru">{text}</soap:Text></soap:Reason>'
                f'</soap:Fault></soap:Body></soap:Envelope>')
        content_type = "application/soap+xml; charset=utf-8"
    else:
        body = (f'<soap:Envelope xmlns:soap="{SOAP11_ENV}"><soap:Body><soap:Fault>'
                f'<faultcode>soap:{code}</faultcode><faultstring>{text}</faultstring>'
                f'</soap:Fault></soap:Body></soap:Envelope>')
        content_type = "text/xml; charset=utf-8"
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?>' + body, status=status, content_type=content_type)


def _public_address(request: HttpRequest) -> str:
    configured = settings.EQUIPMENT_SERVICE_PUBLIC_URL
    if configured:
        return configured
    # build_absolute_uri honours X-Forwarded-Host/Proto (USE_X_FORWARDED_HOST, SECURE_PROXY_SSL_HEADER).
    return request.build_absolute_uri(request.path)


def _journal(call: CallContext, *, response_bytes: int, refusal: str = "", login: str = "") -> None:
    try:
        journal_write(
            refusal=refusal, login=login,
            entry=call.journal_entry, device=call.device, device_ref=call.device_ref, operation=call.operation or "(неизвестна)",
            user=call.user if getattr(call.user, "pk", None) else None, status=call.status,
            duration_ms=int((time.perf_counter() - call.started) * 1000), request_bytes=call.request_bytes,
            response_bytes=response_bytes, error=call.error, note=call.note, warning=call.warning,
            transfer_id=call.transfer_id if call.transfer_id and len(call.transfer_id) == 36 else None,
            address=call.address, user_agent=call.user_agent[:200],
        )
    except Exception:  # noqa: BLE001 - a journal failure must not turn a delivered answer into an error
        logger.exception("could not write the exchange journal")


def _denied(request: HttpRequest, operation: str, status_code: int, message: str, user=None, *,
            refusal: str = "", retry_after: int = 0) -> HttpResponse:
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    login = f", пользователь «{credentials[0][:150]}»" if credentials else ", без учетных данных"
    address = client_address(request)
    call = CallContext(user=user, operation=operation or "(неизвестна)", status="denied", error=message,
                       note=f"адрес {address}{login}",
                       request_bytes=int(request.META.get("CONTENT_LENGTH") or 0),
                       address=address, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    _journal(call, response_bytes=0, refusal=refusal, login=credentials[0] if credentials else "")
    if status_code == 401:
        return _text(401, message, WWW_Authenticate='Basic realm="1C"')
    if retry_after:
        return _text(status_code, message, Retry_After=str(retry_after))
    return _text(status_code, message)


class _Body:
    """The request body as spyne reads it: in pieces straight from the request's stream, so the upload is
    held once (spyne joins the pieces), not a second time before; never past `limit` (Django's stream already
    ends at the declared length, checked against the limit before; the count keeps the bound whatever the
    server underneath passes on), `too_long` then; `size` counted for the journal."""

    def __init__(self, request: HttpRequest, limit: int):
        self.request, self.limit, self.size, self.too_long = request, limit, 0, False

    def read(self, size: int = -1) -> bytes:
        left = self.limit + 1 - self.size
        chunk = self.request.read(min(size, left) if size >= 0 else left)
        self.size += len(chunk)
        if self.size > self.limit:
            self.too_long = True
            return b""
        return chunk


def _too_large(call: CallContext, version: str, length: int | None) -> HttpResponse:
    limit = call.max_bytes
    size = f"{length} > {limit}" if length else f"больше {limit}"
    call.status, call.error = "fault", (f"Запрос больше допустимого размера ({size} байт); отправьте смены "
                                        "отдельными выгрузками.")
    _journal(call, response_bytes=0)
    _log_fault(call, "Client")
    # The unread rest of the body is the server's to drop (the front server has already refused any
    # body above its own limit, which is the same).
    response = _fault(version, "Client", call.error, status=413)
    response._has_been_logged = True  # logged above, on one line
    return response


def _fault_text(content: bytes, version: str) -> tuple[str, str]:
    """The fault code and text of an answer spyne wrote (ours: small, well-formed)."""
    env = SOAP12_ENV if version == "1.2" else SOAP11_ENV
    try:
        fault = parse_xml(content).find(f"{{{env}}}Body/{{{env}}}Fault")
    except UnsafeXmlError:
        return "", ""
    if fault is None:
        return "", ""
    if version == "1.2":
        code = fault.findtext(f"{{{env}}}Code/{{{env}}}Value") or ""
        text = fault.findtext(f"{{{env}}}Reason/{{{env}}}Text") or ""
    else:
        code, text = fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""
    return code, text


def _log_fault(call: CallContext, code: str, text: str = "") -> None:
    """One line at WARNING for a fault the caller caused: a stranger's bad envelope must not fill the
    log with tracebacks (our own failures are logged with theirs where they happen)."""
    message = " ".join((text or call.error or "").split())[:500]
    logger.warning("EquipmentService %s: отказ %s, адрес %s, пользователь %s: %s", call.operation or "(неизвестна)",
                   code or "?", call.address or "?", getattr(call.user, "username", "") or "-", message)


@csrf_exempt
def equipment_service(request: HttpRequest, base: str | None = None) -> HttpResponse:
    try:
        return _equipment_service(request, base)
    except Exception:  # noqa: BLE001 - a device must get a SOAP fault, never Django's HTML error page
        logger.exception("EquipmentService request failed outside an operation")
        return _fault(_soap_version(request.META.get("CONTENT_TYPE", "")), "Server",
                      "Сервер временно не может обработать запрос (ошибка сервера или базы данных); "
                      "повторите обмен позже.")


def _equipment_service(request: HttpRequest, base: str | None) -> HttpResponse:
    if base is not None and base not in settings.EQUIPMENT_SERVICE_BASE_NAMES:
        # The published names are not a stranger's business: a 404 that tells only what was asked.
        return _text(404, f"Публикация «{base[:100]}» не найдена (имя публикации чувствительно к регистру).")
    is_wsdl = request.method == "GET" and any(key.lower() == "wsdl" for key in request.GET)
    operation = "WSDL" if is_wsdl else _operation_from_action(request)
    if is_wsdl:
        # The WSDL holds nothing secret, and a 1C client fetches it before it authenticates (PROTOCOL §1);
        # the calls themselves still need credentials.
        return HttpResponse(wsdl_document(_public_address(request)), content_type="text/xml; charset=utf-8")
    if request.method == "POST" and _media_type(request.META.get("CONTENT_TYPE", "")) not in SOAP_MEDIA_TYPES:
        return _text(415, "Веб-сервис принимает только запросы SOAP: Content-Type text/xml (SOAP 1.1) или "
                          "application/soap+xml (SOAP 1.2).")

    try:
        user = basic_authenticate(request)
    except LoginRefused as exc:
        return _denied(request, operation, 429, str(exc), refusal=REFUSAL_LOCKED, retry_after=exc.retry_after)
    if user is None:
        refusal = REFUSAL_WRONG_PASSWORD if basic_credentials(request.META.get("HTTP_AUTHORIZATION", "")) \
            else REFUSAL_NO_CREDENTIALS
        return _denied(request, operation, 401, "Требуется авторизация: укажите пользователя и пароль 1С.",
                       refusal=refusal)
    if not can_sync(user):
        return _denied(request, operation, 403,
                       "Пользователю не назначено право «Выполнение синхронизации данных».", user)

    if request.method == "GET":
        return _text(400, "Веб-сервис EquipmentService: описание доступно по адресу ?wsdl")
    if request.method != "POST":
        return _text(405, "Поддерживаются только GET ?wsdl и POST SOAP-запросов.")

    version = _soap_version(request.META.get("CONTENT_TYPE", ""))
    limit = settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    call = CallContext(user=user, operation=operation, request_bytes=length, max_bytes=limit,
                       address=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if length > limit:
        return _too_large(call, version, length)
    body = _Body(request, limit)
    environ = dict(request.META)
    environ["wsgi.input"] = body
    environ["CONTENT_LENGTH"] = str(length)
    environ["REQUEST_METHOD"] = "POST"
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    token = current_call.set(call)
    try:
        chunks = _WSGI[version](environ, start_response)
        content = b"".join(chunks)
    finally:
        current_call.reset(token)
        _payload_drop(call)
    call.request_bytes = body.size
    if body.too_long:
        return _too_large(call, version, None)
    status_code = int(captured["status"].split(" ", 1)[0])
    response = HttpResponse(content, status=status_code)
    for key, value in captured["headers"]:
        if key.lower() in ("content-type",):
            response[key] = value
    if status_code >= 500:
        code, text = _fault_text(content, version)
        if call.status == "ok":
            call.status = "fault"
            call.error = call.error or text or "SOAP Fault"
        _log_fault(call, code, text)
        # SOAP answers every fault with 500; Django would log each as «Internal Server Error» at ERROR.
        response._has_been_logged = True
    _journal(call, response_bytes=len(content))
    return response
