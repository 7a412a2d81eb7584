"""spyne protocols hardened for untrusted input, and the call context shared with the view."""
from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from lxml import etree
from spyne import Fault
from spyne.protocol.soap import Soap11, Soap12

from common.xmlsafe import UnsafeXmlError, parse_xml
from equipment_service.wsdl import OPERATIONS, TNS


@dataclass
class CallContext:
    """What one HTTP call did, filled by the view and the operation, written to the journal."""

    user: object = None
    operation: str = ""
    device: object = None
    device_ref: str = ""
    status: str = "ok"
    error: str = ""
    note: str = ""
    warning: str = ""
    transfer_id: str | None = None
    journal_entry: object = None  # opened by PostDocs before processing; completed by the view
    request_bytes: int = 0
    max_bytes: int = 0
    address: str | None = None
    user_agent: str = ""
    started: float = field(default_factory=time.perf_counter)
    # spyne's contexts of this call (the first, holding the request, and the operation's copy of it), let go
    # of by the view once the answer is written (`views._payload_drop`).
    spyne_contexts: list = field(default_factory=list)


current_call: ContextVar[CallContext | None] = ContextVar("equipment_service_call", default=None)


class _HardenedMixin:
    """Every envelope goes through the project's one hardened parser, never spyne's own.

    spyne would parse with its own settings and log the whole request on a syntax error; a
    DOCTYPE here must be a Client fault, never a 500 page.
    """

    def create_in_document(self, ctx, charset=None):
        data = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8") for chunk in ctx.in_string)
        call = current_call.get()
        limit = call.max_bytes if call and call.max_bytes else len(data) + 1
        try:
            root = parse_xml(data, max_bytes=limit)
        except UnsafeXmlError as exc:
            message = f"Запрос отклонен: {exc}"
            if call is not None:
                call.status, call.error = "fault", message
            raise Fault("Client.XmlRejected", message) from None
        problem = _envelope_problem(root, self.ns_soap_env)
        if problem:
            if call is not None:
                call.status, call.error = "fault", problem
            raise Fault("Client.BadEnvelope", problem)
        ctx.in_document = (root, {})

    def boolean_from_bytes(self, cls, string):
        """xs:boolean as the schema writes it (true, false, 1, 0), nothing else: spyne would read «yes»
        or «да» as false without a word, and a register asking for a restart would silently get none."""
        text = (string.decode("utf-8", "replace") if isinstance(string, bytes) else str(string or "")).strip()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        message = (f"Запрос отклонен: «{text[:40]}» не логическое значение; допустимы true, false, 1 и 0")
        call = current_call.get()
        if call is not None:
            call.status, call.error = "fault", message
        raise Fault("Client.BadValue", message)


_PARAMETERS = {op: {param for param, _type in params} for op, params, _returns in OPERATIONS}


def _envelope_problem(root, namespace: str) -> str:
    """What is wrong with the envelope's shape, in words; spyne itself crashes on some of these."""
    if root.tag != f"{{{namespace}}}Envelope":
        return f"Запрос отклонен: корневой элемент должен быть Envelope в пространстве имен {namespace}"
    bodies = [child for child in root if child.tag == f"{{{namespace}}}Body"]
    if len(bodies) != 1:
        return "Запрос отклонен: в конверте SOAP должен быть ровно один элемент Body"
    calls = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(calls) != 1:
        return "Запрос отклонен: в Body должен быть ровно один вызов операции"
    name = etree.QName(calls[0])
    if name.namespace != TNS or name.localname not in _PARAMETERS:
        return f"Запрос отклонен: операция {name.localname} не поддерживается сервисом EquipmentService"
    seen: set[str] = set()
    for child in calls[0]:
        if not isinstance(child.tag, str):
            continue
        param = etree.QName(child).localname
        if param not in _PARAMETERS[name.localname]:
            return f"Запрос отклонен: у операции {name.localname} нет параметра {param}"
        if param in seen:
            return f"Запрос отклонен: параметр {param} операции {name.localname} указан дважды"
        seen.add(param)
    return ""


class HardenedSoap11(_HardenedMixin, Soap11):
    pass


class HardenedSoap12(_HardenedMixin, Soap12):
    def fault_to_parent(self, ctx, cls, inst, parent, ns, **kwargs):
        # Every fault text is Russian; spyne marks it English (its Fault's default language).
        inst.lang = "ru"
        return super().fault_to_parent(ctx, cls, inst, parent, ns, **kwargs)
