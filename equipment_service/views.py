"""The HTTP edge of EquipmentService: publication names, auth, WSDL, SOAP 1.1/1.2 routing, journal."""
from __future__ import annotations

import io
import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication

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
_OPERATION_NAMES = {name for name, _params, _returns in OPERATIONS}
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"


def _text(status: int, text: str, **headers) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _soap_version(content_type: str) -> str:
    return "1.2" if "application/soap+xml" in content_type.lower() else "1.1"


def _operation_from_action(request: HttpRequest) -> str:
    action = request.META.get("HTTP_SOAPACTION", "")
    if not action:
        for part in request.META.get("CONTENT_TYPE", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "action":
                action = value
    name = action.strip().strip('"').rpartition(":")[2]
    return name if name in _OPERATION_NAMES else ""


def _fault(version: str, code: str, message: str) -> HttpResponse:
    """A fault written by us, for refusals that happen before spyne sees the request."""
    from xml.sax.saxutils import escape

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
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?>' + body, status=500, content_type=content_type)


def _public_address(request: HttpRequest) -> str:
    configured = settings.EQUIPMENT_SERVICE_PUBLIC_URL
    if configured:
        return configured
    # build_absolute_uri honours X-Forwarded-Host/Proto (USE_X_FORWARDED_HOST, SECURE_PROXY_SSL_HEADER).
    return request.build_absolute_uri(request.path)


def _journal(call: CallContext, *, response_bytes: int) -> None:
    try:
        journal_write(
            entry=call.journal_entry,
            device=call.device, device_ref=call.device_ref, operation=call.operation or "(неизвестна)",
            user=call.user if getattr(call.user, "pk", None) else None, status=call.status,
            duration_ms=int((time.perf_counter() - call.started) * 1000), request_bytes=call.request_bytes,
            response_bytes=response_bytes, error=call.error, note=call.note, warning=call.warning,
            transfer_id=call.transfer_id if call.transfer_id and len(call.transfer_id) == 36 else None,
            address=call.address, user_agent=call.user_agent[:200],
        )
    except Exception:  # noqa: BLE001 - a journal failure must not turn a delivered answer into an error
        logger.exception("could not write the exchange journal")


def _denied(request: HttpRequest, operation: str, status_code: int, message: str, user=None) -> HttpResponse:
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    login = f", пользователь «{credentials[0][:150]}»" if credentials else ", без учетных данных"
    call = CallContext(user=user, operation=operation or "(неизвестна)", status="denied", error=message,
                       note=f"адрес {client_address(request)}{login}",
                       request_bytes=int(request.META.get("CONTENT_LENGTH") or 0),
                       address=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
    _journal(call, response_bytes=0)
    if status_code == 401:
        return _text(401, message, WWW_Authenticate='Basic realm="1C"')
    return _text(status_code, message)


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
        names = ", ".join(settings.EQUIPMENT_SERVICE_BASE_NAMES)
        return _text(404, f"Публикация «{base}» не найдена. Имя публикации чувствительно к регистру; "
                          f"опубликованы: {names}.")
    is_wsdl = request.method == "GET" and any(key.lower() == "wsdl" for key in request.GET)
    operation = "WSDL" if is_wsdl else _operation_from_action(request)
    if is_wsdl:
        # The WSDL holds nothing secret, and a 1C client fetches it before it authenticates (PROTOCOL §1);
        # the calls themselves still need credentials.
        return HttpResponse(wsdl_document(_public_address(request)), content_type="text/xml; charset=utf-8")

    try:
        user = basic_authenticate(request)
    except LoginRefused as exc:
        return _denied(request, operation, 429, str(exc))
    if user is None:
        return _denied(request, operation, 401, "Требуется авторизация: укажите пользователя и пароль 1С.")
    if not can_sync(user):
        return _denied(request, operation, 403,
                       "Пользователю не назначено право «Выполнение синхронизации данных».", user)

    if request.method == "GET":
        return _text(400, "Веб-сервис EquipmentService: описание доступно по адресу ?wsdl")
    if request.method != "POST":
        return _text(405, "Поддерживаются только GET ?wsdl и POST SOAP-запросов.")

    version = _soap_version(request.META.get("CONTENT_TYPE", ""))
    limit = settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    call = CallContext(user=user, operation=operation, request_bytes=length, max_bytes=limit,
                       address=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if length > limit:
        call.status, call.error = "fault", f"Запрос больше допустимого размера ({length} > {limit} байт)"
        _journal(call, response_bytes=0)
        return _fault(version, "Client", call.error)
    body = request.body
    call.request_bytes = len(body)

    environ = dict(request.META)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["REQUEST_METHOD"] = "POST"
    environ["CONTENT_TYPE"] = request.META.get("CONTENT_TYPE") or (
        "application/soap+xml; charset=utf-8" if version == "1.2" else "text/xml; charset=utf-8")
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    token = current_call.set(call)
    try:
        chunks = _WSGI[version](environ, start_response)
        content = b"".join(chunks)
    finally:
        current_call.reset(token)
    status_code = int(captured["status"].split(" ", 1)[0])
    if status_code >= 500 and call.status == "ok":
        call.status = "fault"
        call.error = call.error or "SOAP Fault"
    response = HttpResponse(content, status=status_code)
    for key, value in captured["headers"]:
        if key.lower() in ("content-type",):
            response[key] = value
    _journal(call, response_bytes=len(content))
    return response
