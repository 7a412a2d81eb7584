"""A small declarative reader for the documents a device sends.

The format's XDTO packages translate into element specs (attributes with value types,
child elements in sequence order with their occurrence bounds). Reading a document walks
the tree once, checks it against the spec the way an XSD validator would (order,
occurrences, required attributes, value types, nothing unknown) and returns plain nodes
with converted values. Every message names the line, the element and the attribute, in
the words a store admin reads in the device's error log.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from lxml import etree

from offline_exchange.format.versions import XSI_NS

_XSI_TYPE = f"{{{XSI_NS}}}type"
_XSI_NIL = f"{{{XSI_NS}}}nil"


class FormatViolation(ValueError):
    """The document does not conform to the exchange format; the message is safe to show."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"Строка {line}: {message}" if line else message)


@dataclass(frozen=True)
class ValueType:
    name: str
    convert: Callable[[str], Any]


def _collapse(text: str) -> str:
    return " ".join(text.split())


def string_type(name: str = "строка", *, min_length: int = 0, max_length: int | None = None) -> ValueType:
    def convert(text: str) -> str:
        if len(text) < min_length:
            raise ValueError(f"должно быть не короче {min_length} симв.")
        if max_length is not None and len(text) > max_length:
            raise ValueError(f"длина {len(text)} больше допустимой ({max_length} симв.)")
        return text

    return ValueType(name, convert)


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def decimal_type(name: str, *, total_digits: int | None = None, fraction_digits: int | None = None) -> ValueType:
    def convert(text: str) -> Decimal:
        text = _collapse(text)
        if not _DECIMAL.fullmatch(text):
            raise ValueError("не является числом (разделитель дробной части — точка)")
        value = Decimal(text)
        _sign, digits, exponent = value.normalize().as_tuple()
        fraction = max(0, -exponent)
        if fraction_digits is not None and fraction > fraction_digits:
            raise ValueError(f"больше {fraction_digits} знаков после точки")
        if total_digits is not None and len(digits) + max(0, exponent) > total_digits:
            raise ValueError(f"больше {total_digits} значащих цифр")
        return value

    return ValueType(name, convert)


_INTEGER = re.compile(r"[+-]?\d+")


def integer_type(name: str = "целое число ≥ 0", *, minimum: int = 0, choices: frozenset[int] | None = None) -> ValueType:
    def convert(text: str) -> int:
        text = _collapse(text)
        if not _INTEGER.fullmatch(text):
            raise ValueError("не является целым числом")
        value = int(text)
        if value < minimum:
            raise ValueError(f"меньше {minimum}")
        if choices is not None and value not in choices:
            raise ValueError(f"допустимы только {', '.join(str(c) for c in sorted(choices))}")
        return value

    return ValueType(name, convert)


def enum_type(name: str, choices: tuple[str, ...]) -> ValueType:
    def convert(text: str) -> str:
        text = _collapse(text)
        if text not in choices:
            raise ValueError(f"допустимы только {', '.join(choices)}")
        return text

    return ValueType(name, convert)


_DATETIME = re.compile(
    r"(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?"
)


def _datetime(text: str) -> datetime:
    match = _DATETIME.fullmatch(_collapse(text))
    if not match:
        raise ValueError("не является датой и временем вида ГГГГ-ММ-ДДTчч:мм:сс")
    year, month, day, hour, minute, second = (int(match.group(n)) for n in range(1, 7))
    fraction, offset = match.group(7), match.group(8)
    microsecond = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tz = None
    if offset == "Z":
        tz = timezone.utc
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    try:
        return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)
    except ValueError:
        raise ValueError("такой даты не существует") from None


def _uuid(text: str) -> uuid.UUID:
    text = _collapse(text)
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text):
        raise ValueError("не является идентификатором UUID")
    return uuid.UUID(text)


def _boolean(text: str) -> bool:
    text = _collapse(text)
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("допустимы только true, false, 1, 0")


STRING = string_type()
CODE = string_type("код (до 36 симв.)", max_length=36)
STRING_ID = string_type("идентификатор (1–36 симв.)", min_length=1, max_length=36)
QUANTITY = decimal_type("количество (15.3)", total_digits=15, fraction_digits=3)
MONEY = decimal_type("сумма (15.2)", total_digits=15, fraction_digits=2)
DECIMAL = decimal_type("число")
INTEGER = integer_type()
DATETIME = ValueType("дата и время", _datetime)
UUID = ValueType("UUID", _uuid)
BOOLEAN = ValueType("булево", _boolean)


@dataclass(frozen=True)
class Attr:
    name: str
    type: ValueType
    required: bool = False


@dataclass(frozen=True)
class Child:
    name: str
    element: "Element"
    min_occurs: int = 0
    max_occurs: int | None = 1  # None: unbounded
    nillable: bool = False


@dataclass(frozen=True)
class Element:
    attrs: tuple[Attr, ...] = ()
    children: tuple[Child, ...] = ()
    text: ValueType | None = None


@dataclass
class Node:
    """A read element: converted attributes, children by name in document order, text."""

    name: str
    line: int
    attrs: dict[str, Any] = field(default_factory=dict)
    children: dict[str, list["Node"]] = field(default_factory=dict)
    text: Any = None
    nil: bool = False

    def get(self, name: str) -> list["Node"]:
        return self.children.get(name, [])

    def first(self, name: str) -> "Node | None":
        nodes = self.children.get(name)
        return nodes[0] if nodes else None


def read(root: etree._Element, *, namespace: str, name: str, spec: Element) -> Node:
    """Check `root` against `spec` and return it as nodes, or raise FormatViolation."""
    tag = etree.QName(root)
    if tag.localname != name:
        raise FormatViolation(f"корневой элемент {tag.localname}, ожидается {name}", root.sourceline)
    if tag.namespace != namespace:
        raise FormatViolation(_namespace_message(tag.localname, tag.namespace, namespace), root.sourceline)
    return _read(root, name, spec, namespace, nillable=False)


def _namespace_message(name: str, actual: str | None, expected: str) -> str:
    if not actual:
        return f"у элемента {name} нет пространства имен формата обмена; ожидается {expected}"
    return f"элемент {name} из пространства имен {actual}, а оборудование настроено на {expected}"


def _read(element: etree._Element, name: str, spec: Element, namespace: str, *, nillable: bool) -> Node:
    line = element.sourceline
    node = Node(name=name, line=line)
    nil = element.get(_XSI_NIL)
    if nil is not None:
        if not nillable:
            raise FormatViolation(f"элемент {name} не может быть пустым (xsi:nil)", line)
        try:
            node.nil = _boolean(nil)
        except ValueError as exc:
            raise FormatViolation(f"элемент {name}, атрибут xsi:nil: {exc}", line) from None
    for key in element.attrib:
        if key.startswith("{"):
            if key in (_XSI_TYPE, _XSI_NIL):
                continue
            raise FormatViolation(f"атрибут {key} не допускается у элемента {name}", line)
        if not any(attr.name == key for attr in spec.attrs):
            raise FormatViolation(f"атрибут {key} не допускается у элемента {name}", line)
    for attr in spec.attrs:
        raw = element.get(attr.name)
        if raw is None:
            if attr.required and not node.nil:
                raise FormatViolation(f"у элемента {name} нет обязательного атрибута {attr.name}", line)
            continue
        try:
            node.attrs[attr.name] = attr.type.convert(raw)
        except ValueError as exc:
            shown = raw if len(raw) <= 60 else raw[:60] + "…"
            raise FormatViolation(
                f"элемент {name}, атрибут {attr.name} = «{shown}»: {exc} (тип: {attr.type.name})", line
            ) from None

    text = (element.text or "")
    if spec.text is not None:
        try:
            node.text = spec.text.convert(text)
        except ValueError as exc:
            raise FormatViolation(f"элемент {name}: {exc}", line) from None
    elif text.strip():
        raise FormatViolation(f"элемент {name} не может содержать текст", line)

    position = 0
    counts = [0] * len(spec.children)
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions are removed by the parser anyway
        if (child.tail or "").strip():
            raise FormatViolation(f"элемент {name} не может содержать текст", child.sourceline)
        if node.nil:
            raise FormatViolation(f"элемент {name} помечен пустым (xsi:nil), но содержит элементы", child.sourceline)
        qname = etree.QName(child)
        if qname.namespace != namespace:
            raise FormatViolation(_namespace_message(qname.localname, qname.namespace, namespace), child.sourceline)
        found = None
        for index in range(position, len(spec.children)):
            if spec.children[index].name == qname.localname:
                found = index
                break
            if counts[index] < spec.children[index].min_occurs:
                missing = spec.children[index].name
                raise FormatViolation(
                    f"внутри {name} перед элементом {qname.localname} должен быть элемент {missing}",
                    child.sourceline,
                )
        if found is None:
            known = [c.name for c in spec.children]
            if qname.localname in known:
                raise FormatViolation(
                    f"элемент {qname.localname} стоит не на своем месте внутри {name} "
                    f"(порядок: {', '.join(known)})", child.sourceline,
                )
            allowed = ", ".join(known) if known else "никаких вложенных элементов"
            raise FormatViolation(
                f"элемент {qname.localname} не допускается внутри {name} (допустимы: {allowed})", child.sourceline,
            )
        position = found
        child_spec = spec.children[found]
        counts[found] += 1
        if child_spec.max_occurs is not None and counts[found] > child_spec.max_occurs:
            raise FormatViolation(
                f"элемент {qname.localname} внутри {name} повторяется больше {child_spec.max_occurs} раз",
                child.sourceline,
            )
        node.children.setdefault(qname.localname, []).append(
            _read(child, qname.localname, child_spec.element, namespace, nillable=child_spec.nillable)
        )
    if not node.nil:
        for index in range(position, len(spec.children)):
            child_spec = spec.children[index]
            if counts[index] < child_spec.min_occurs:
                raise FormatViolation(f"внутри {name} нет обязательного элемента {child_spec.name}", line)
    return node
