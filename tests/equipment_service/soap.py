"""Raw 1C-style envelopes, built as 1C:Enterprise 8.3's WSProxy writes them."""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from tests.conftest import SVC_NS, basic

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ACTION = "http://www.1c.ru/EquipmentService#EquipmentService:{}"


def envelope(op: str, params: list[tuple[str, str]], soap12: bool = False) -> bytes:
    ns = SOAP12 if soap12 else SOAP11
    inner = "".join(
        f'<m:{name} xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{escape(value)}</m:{name}>'
        for name, value in params
    )
    return (f'<soap:Envelope xmlns:soap="{ns}"><soap:Header/><soap:Body>'
            f'<m:{op} xmlns:m="{SVC_NS}">{inner}</m:{op}></soap:Body></soap:Envelope>').encode("utf-8")


@dataclass
class SoapAnswer:
    status: int
    content_type: str
    root: etree._Element | None
    body: bytes

    @property
    def fault(self) -> str | None:
        if self.root is None:
            return None
        for ns in (SOAP11, SOAP12):
            fault = self.root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
            if fault is not None:
                return " ".join(t.strip() for t in fault.itertext() if t.strip())
        return None

    def fault_code(self) -> str:
        fault = self.root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
        if fault is not None:
            return fault.findtext("faultcode")
        return self.root.findtext(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault/{{{SOAP12}}}Code/{{{SOAP12}}}Value")

    def result(self, op: str) -> str:
        for ns in (SOAP11, SOAP12):
            ret = self.root.find(f"{{{ns}}}Body/{{{SVC_NS}}}{op}Response/{{{SVC_NS}}}return")
            if ret is not None:
                return ret.text or ""
        raise AssertionError(f"no {op}Response/return in {self.body[:500]!r}")


def post(client, path: str, body: bytes, *, op: str, soap12: bool = False, user="sync", password="sync",
         **headers) -> SoapAnswer:
    if soap12:
        headers.setdefault("content_type", f'application/soap+xml; charset=utf-8; action="{ACTION.format(op)}"')
    else:
        headers.setdefault("content_type", "text/xml; charset=utf-8")
        headers.setdefault("HTTP_SOAPACTION", f'"{ACTION.format(op)}"')
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = basic(user, password)
    content_type = headers.pop("content_type")
    response = client.post(path, data=body, content_type=content_type, **headers)
    root = None
    if response.content.lstrip().startswith(b"<"):
        root = etree.fromstring(response.content)
    return SoapAnswer(response.status_code, response.get("Content-Type", ""), root, response.content)


def call(client, op: str, params: list[tuple[str, str]] | None = None, *, soap12: bool = False,
         path: str = "/rt/ws/EquipmentService", **kw) -> SoapAnswer:
    return post(client, path, envelope(op, params or [], soap12), op=op, soap12=soap12, **kw)
