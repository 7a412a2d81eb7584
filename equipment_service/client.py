"""A small EquipmentService client that writes envelopes as 1C:Enterprise's WSProxy does.

Used by the load generator and the POS simulator; stdlib only, one keep-alive connection per
simulated device.
"""
from __future__ import annotations

import base64
import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lxml import etree

from common.xmlsafe import parse_xml

SVC_NS = "http://www.1c.ru/EquipmentService"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ACTION = "http://www.1c.ru/EquipmentService#EquipmentService:{}"


class CallFailed(Exception):
    """HTTP error, SOAP fault or unreadable answer; the message says which."""


@dataclass
class Answer:
    value: str
    seconds: float
    request_bytes: int
    response_bytes: int


class EquipmentServiceClient:
    def __init__(self, url: str, user: str, password: str, *, soap12: bool = False, timeout: float = 120):
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https"):
            raise ValueError("Адрес должен начинаться с http:// или https://")
        path = parts.path
        if not path.endswith("/ws/EquipmentService") and not path.endswith(".1cws"):
            path = path + "/ws/EquipmentService"
        self.host, self.port, self.path, self.https = parts.hostname, parts.port, path, parts.scheme == "https"
        self.soap12, self.timeout = soap12, timeout
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8")).decode()
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.connection = cls(self.host, self.port, timeout=self.timeout)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def call(self, operation: str, **params: str) -> Answer:
        env = SOAP12 if self.soap12 else SOAP11
        inner = "".join(f"<m:{name}>{escape(str(value))}</m:{name}>" for name, value in params.items())
        body = (f'<soap:Envelope xmlns:soap="{env}"><soap:Header/><soap:Body><m:{operation} xmlns:m="{SVC_NS}">'
                f"{inner}</m:{operation}></soap:Body></soap:Envelope>").encode("utf-8")
        headers = {"Authorization": self.auth, "Connection": "keep-alive"}
        if self.soap12:
            headers["Content-Type"] = f'application/soap+xml; charset=utf-8; action="{ACTION.format(operation)}"'
        else:
            headers["Content-Type"] = "text/xml; charset=utf-8"
            headers["SOAPAction"] = f'"{ACTION.format(operation)}"'
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                connection = self._connect()
                connection.request("POST", self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()  # a keep-alive connection closed by the server: retry once on a new one
                if attempt == 2:
                    raise CallFailed(f"{operation}: нет связи с сервером: {exc}") from None
        seconds = time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if response.status == 401:
            raise CallFailed(f"{operation}: неверный пользователь или пароль (HTTP 401)")
        if response.status == 403:
            raise CallFailed(f"{operation}: у пользователя нет права «Выполнение синхронизации данных» (HTTP 403)")
        try:
            root = parse_xml(data)
        except ValueError:
            raise CallFailed(f"{operation}: HTTP {response.status}, ответ не XML: {data[:200]!r}") from None
        fault = root.find(f"{{{env}}}Body/{{{env}}}Fault")
        if fault is not None:
            text = " ".join(t.strip() for t in fault.itertext() if t.strip())
            raise CallFailed(f"{operation}: {text}")
        result = root.find(f"{{{env}}}Body/{{{SVC_NS}}}{operation}Response/{{{SVC_NS}}}return")
        if result is None:
            raise CallFailed(f"{operation}: в ответе нет {operation}Response/return")
        return Answer(result.text or "", seconds, len(body), len(data))


def document(text: str) -> etree._Element:
    """An answer's embedded format document (Settings, PriceListPackage, …)."""
    return parse_xml(text.encode("utf-8"))
