"""Reading what a device uploads with PostDocs: sale reports, alcohol tare openings, price-checker reports.

Django-free: bytes in (through the one hardened parser), plain dataclasses out.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from lxml import etree

from common.collector import collector_paused
from common.xmlsafe import UnsafeXmlError, XmlStream, load_schema, parse_xml
from offline_exchange.format.schema import (
    BOOLEAN,
    CODE,
    DATETIME,
    DECIMAL,
    INTEGER,
    MONEY,
    QUANTITY,
    STRING,
    UUID,
    Attr,
    Child,
    Element,
    FormatViolation,
    Node,
    enum_type,
    integer_type,
    read,
)
from offline_exchange.format.versions import XSI_NS, FormatVersion

# What the back office can store (15 digits, 2 or 3 after the point); the format's DecimalType is
# unbounded and its MoneyType/QuantityType allow 15 digits before the point, so bigger values are
# refused here with a clear message rather than by the database.
AMOUNT_LIMIT = Decimal("9999999999999.99")
QUANTITY_LIMIT = Decimal("999999999999.999")


@dataclass(slots=True)
class CheckLineDoc:
    line: int
    code: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    tax_rate: str
    payment_method: int
    good_uuid: uuid.UUID | None = None
    characteristic_uuid: uuid.UUID | None = None
    packing_uuid: uuid.UUID | None = None
    excise_stamps: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PaymentDoc:
    cash: Decimal
    electronic: Decimal
    prepayment: Decimal
    postpayment: Decimal
    barter: Decimal
    option_code: str = ""
    option_uuid: uuid.UUID | None = None


@dataclass(slots=True)
class CheckDoc:
    line: int
    date: datetime
    number: str
    taxation_system: int
    operation_type: int
    uuid: uuid.UUID | None = None
    ref_uuid: uuid.UUID | None = None
    ref_type: str = ""
    lines: list[CheckLineDoc] = field(default_factory=list)
    payments: list[PaymentDoc] = field(default_factory=list)


@dataclass(slots=True)
class CashMovementDoc:
    date: datetime
    number: str
    type: str  # Income | Outcome
    amount: Decimal
    uuid: uuid.UUID | None = None


@dataclass(slots=True)
class SaleReportDoc:
    line: int
    shift_number: str
    opened_at: datetime
    closed_at: datetime | None
    shift_state: int
    uuid: uuid.UUID | None = None
    checks: list[CheckDoc] = field(default_factory=list)
    cash_movements: list[CashMovementDoc] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.shift_state == 1 or self.closed_at is not None


SHIFT_CLOSED, SHIFT_OPEN = 1, 2


def _schemas(fmt: FormatVersion) -> dict[str, Element]:
    """The format's upload documents as element specs, with the version's switches (FORMAT-3.1.md §9)."""
    payment = Element(attrs=(
        Attr("Cash", DECIMAL, True), Attr("ElectronicPayment", DECIMAL, True), Attr("PrePayment", DECIMAL, True),
        Attr("PostPayment", DECIMAL, True), Attr("Barter", DECIMAL, True),
        Attr("ElectronicPaymentOptionCode", CODE), Attr("ElectronicPaymentOptionUUID", UUID),
    ))
    payments = Element(children=(Child("Payment", payment, 1, None),))
    stamps = Element(children=(Child("ExciseStamp", Element(text=STRING), 1, None),))
    check_good = Element(
        attrs=(
            Attr("Code", CODE, True), Attr("Quantity", QUANTITY, True), Attr("Price", MONEY, True),
            Attr("Sum", MONEY, True), Attr("TaxRate", STRING, True), Attr("PaymentMethod", INTEGER, True),
            Attr("GoodUUID", UUID), Attr("CharacteristicUUID", UUID), Attr("PackingUUID", UUID),
        ) + (() if fmt.excise_stamps else (Attr("AlcoholExciseStamp", STRING),)),
        children=(Child("ExciseStamps", stamps),) if fmt.excise_stamps else (),
    )
    check = Element(
        attrs=(
            Attr("Date", DATETIME, True), Attr("Number", STRING, True), Attr("TaxationSystem", INTEGER, True),
            Attr("OperationType", INTEGER, True), Attr("UUID", UUID), Attr("RefDocumentUUID", UUID),
            Attr("RefDocumentType", enum_type("тип документа", ("Check", "Order"))),
        ),
        children=(
            Child("Goods", Element(children=(Child("Good", check_good, 0, None, nillable=True),)), nillable=True),
            Child("Payments", payments, nillable=True),
        ),
    )
    movement = Element(attrs=(
        Attr("Date", DATETIME, True), Attr("Number", STRING, True),
        Attr("Type", enum_type("вид движения", ("Income", "Outcome")), True), Attr("Sum", DECIMAL, True),
        Attr("UUID", UUID),
    ))
    shift_state = integer_type("статус смены", choices=frozenset({SHIFT_CLOSED, SHIFT_OPEN}))
    sale_report = Element(
        attrs=(
            Attr("ShiftNumber", STRING, True), Attr("OpeningDate", DATETIME, True),
            Attr("ClosingDate", DATETIME, fmt.closing_date_required), Attr("UUID", UUID),
        ) + (() if fmt.shift_state_element else (Attr("ShiftState", shift_state, True),)),
        children=(
            Child("Checks", Element(children=(Child("Check", check, 0, None, nillable=True),))),
            Child("IncomeOutcomeChecks", Element(children=(Child("IncomeOutcomeCheck", movement, 1, None),))),
        ) + ((Child("ShiftState", Element(text=shift_state), 1, 1),) if fmt.shift_state_element else ()),
    )
    sale_reports = Element(children=(Child("SaleReport", sale_report, 1, None),))

    tare_good = Element(attrs=(
        Attr("Code", CODE, True), Attr("Quantity", QUANTITY, True), Attr("AlcoholExciseStamp", STRING),
        Attr("GoodUUID", UUID), Attr("CharacteristicUUID", UUID), Attr("PackUUID", UUID),
    ))
    tare_opening = Element(
        attrs=(Attr("Date", DATETIME, True), Attr("Number", STRING, True), Attr("UUID", UUID))
        + ((Attr("NumberDoc", STRING), Attr("KegInstallment", STRING)) if fmt.tare_opening_document else ()),
        children=(Child("Goods", Element(children=(Child("Good", tare_good, 0, None, nillable=True),)),
                        nillable=True),),
    )
    tare_openings = Element(children=(Child("AlcoholTareOpening", tare_opening, 1, None),))
    import_data = Element(
        attrs=(Attr("FormatVersion", INTEGER, True), Attr("Processed", DATETIME)),
        children=(Child("SaleReports", sale_reports), Child("AlcoholTareOpenings", tare_openings)),
    )
    checker_good = Element(attrs=(
        Attr("Code", CODE, True), Attr("Barcode", CODE), Attr("GoodUUID", UUID), Attr("CharacteristicUUID", UUID),
        Attr("PackUUID", UUID),
    ))
    checker_report = Element(
        attrs=(Attr("Date", DATETIME), Attr("Number", STRING), Attr("UUID", UUID)),
        children=(Child("Goods", Element(children=(Child("Good", checker_good, 0, None),))),),
    )
    checker_reports = Element(children=(Child("PriceCheckerReport", checker_report, 0, None),))
    return {
        "SaleReports": sale_reports, "ImportData": import_data, "AlcoholTareOpenings": tare_openings,
        "PriceCheckerReports": checker_reports,
    }


@lru_cache(maxsize=None)
def schemas(fmt: FormatVersion) -> dict[str, Element]:
    return _schemas(fmt)


def _root(data: bytes | etree._Element, fmt: FormatVersion, roots: tuple[str, ...], max_bytes: int) -> Node:
    if isinstance(data, etree._Element):
        element = data
    else:
        try:
            element = parse_xml(data, max_bytes=max_bytes)
        except UnsafeXmlError as exc:
            raise FormatViolation(str(exc)) from None
    name = etree.QName(element).localname
    if name not in roots:
        raise FormatViolation(f"корневой элемент {name}, ожидается {' или '.join(roots)}", element.sourceline)
    return read(element, namespace=fmt.namespace, name=name, spec=schemas(fmt)[name])


def _amount(node: Node, name: str, limit: Decimal = AMOUNT_LIMIT) -> Decimal:
    value = node.attrs.get(name, Decimal(0))
    if abs(value) > limit:
        raise FormatViolation(f"элемент {node.name}, атрибут {name}: значение {value} слишком велико "
                              f"(не больше {limit})", node.line)
    return value


def _check(node: Node, fmt: FormatVersion) -> CheckDoc:
    a = node.attrs
    check = CheckDoc(
        line=node.line, date=a["Date"], number=a["Number"], taxation_system=a["TaxationSystem"],
        operation_type=a["OperationType"], uuid=a.get("UUID"), ref_uuid=a.get("RefDocumentUUID"),
        ref_type=a.get("RefDocumentType", ""),
    )
    goods = node.first("Goods")
    for good in goods.get("Good") if goods is not None else []:
        if good.nil:
            continue
        g = good.attrs
        stamps = good.first("ExciseStamps")
        single = g.get("AlcoholExciseStamp", "").strip()
        check.lines.append(CheckLineDoc(
            line=good.line, code=g["Code"].strip(), quantity=_amount(good, "Quantity", QUANTITY_LIMIT),
            price=_amount(good, "Price"), amount=_amount(good, "Sum"),
            tax_rate=g["TaxRate"].strip(), payment_method=g["PaymentMethod"], good_uuid=g.get("GoodUUID"),
            characteristic_uuid=g.get("CharacteristicUUID"), packing_uuid=g.get("PackingUUID"),
            excise_stamps=([s.text for s in stamps.get("ExciseStamp")] if stamps is not None
                           else [single] if single else []),
        ))
    payments = node.first("Payments")
    for payment in payments.get("Payment") if payments is not None and not payments.nil else []:
        check.payments.append(PaymentDoc(
            cash=_amount(payment, "Cash"), electronic=_amount(payment, "ElectronicPayment"),
            prepayment=_amount(payment, "PrePayment"), postpayment=_amount(payment, "PostPayment"),
            barter=_amount(payment, "Barter"), option_code=payment.attrs.get("ElectronicPaymentOptionCode", "").strip(),
            option_uuid=payment.attrs.get("ElectronicPaymentOptionUUID"),
        ))
    return check


def _empty_date(value: datetime | None) -> datetime | None:
    # 1C writes an unset date as 0001-01-01T00:00:00.
    return None if value is None or value.year <= 1 else value


def _sale_report(node: Node, fmt: FormatVersion, streamed: list[CheckDoc] | None = None) -> SaleReportDoc:
    a = node.attrs
    report = SaleReportDoc(
        line=node.line, shift_number=a["ShiftNumber"].strip(), opened_at=a["OpeningDate"],
        closed_at=_empty_date(a.get("ClosingDate")), uuid=a.get("UUID"),
        shift_state=node.first("ShiftState").text if fmt.shift_state_element else a["ShiftState"],
    )
    checks = node.first("Checks")
    for check in checks.get("Check") if checks is not None else []:
        if not check.nil:
            report.checks.append(_check(check, fmt))
    if streamed:
        report.checks = streamed
    movements = node.first("IncomeOutcomeChecks")
    for movement in movements.get("IncomeOutcomeCheck") if movements is not None else []:
        m = movement.attrs
        report.cash_movements.append(CashMovementDoc(
            date=m["Date"], number=m["Number"], type=m["Type"], amount=_amount(movement, "Sum"), uuid=m.get("UUID"),
        ))
    if not report.shift_number or len(report.shift_number) > 50:
        raise FormatViolation("элемент SaleReport: номер смены (ShiftNumber) пустой или длиннее 50 символов",
                              node.line)
    return report


def parse_sale_reports(data: bytes, fmt: FormatVersion, *, max_bytes: int = 64 * 1024 * 1024) -> list[SaleReportDoc]:
    """A `SaleReports` document (or the file form `ImportData/SaleReports`) as dataclasses.

    Read as a stream (`_sale_reports_streamed`): a shift of 100,000 checks never stands as a tree in memory.
    A document the stream does not take whole (any fault, anything unusual) is read again as a tree
    (`_sale_reports_whole`), which reports its first fault in document order with its line: the messages
    are the same either way, and an upload is all or nothing either way."""
    with collector_paused():
        try:
            return _sale_reports_streamed(data, fmt, max_bytes)
        except Exception:  # noqa: BLE001 - whatever stopped the stream, the whole reading says what is wrong
            return _sale_reports_whole(data, fmt, max_bytes)


def _sale_reports_whole(data: bytes | etree._Element, fmt: FormatVersion, max_bytes: int,
                        streamed: dict | None = None) -> list[SaleReportDoc]:
    root = _root(data, fmt, ("SaleReports", "ImportData"), max_bytes)
    container = root
    if root.name == "ImportData":
        if root.attrs["FormatVersion"] != fmt.code:
            raise FormatViolation(
                f"документ в формате {root.attrs['FormatVersion']}, а оборудование настроено на {fmt.code}", root.line
            )
        container = root.first("SaleReports")
        if container is None:
            raise FormatViolation("в документе ImportData нет элемента SaleReports", root.line)
    reports = container.get("SaleReport")
    checks = [None] * len(reports) if streamed is None else streamed["checks"](len(reports))
    return [_sale_report(node, fmt, shift_checks) for node, shift_checks in zip(reports, checks)]


class _Unstreamed(Exception):
    """The stream met what only the reading of the whole document reports rightly."""


_XSD = Path(__file__).resolve().parent / "xsd"


@lru_cache(maxsize=None)
def xsd(fmt: FormatVersion) -> etree.XMLSchema:
    """The format version's XSD (1C's XDTO package as XSD, the one the reader's specs were written from)."""
    return load_schema(_XSD / f"EquipmentService_3_0_0_{fmt.code - 3000}.xsd")


class _CheckReader:
    """A `Check` element as `_check(read(...))` makes it, for the stream: libxml2 checks the document
    against the format's XSD as it reads (the elements, their order and counts, the attributes and their
    types, that an element marked xsi:nil is empty), so this only converts, each value through the reader's
    own types (a value they refuse, or anything unexpected, stops the stream) and each line of goods or
    payment whose attributes were all seen before from memory: a shift repeats its lines thousands of
    times, its checks' dates and UUIDs never."""

    MEMO = 20000

    def __init__(self, fmt: FormatVersion):
        sale_report = schemas(fmt)["SaleReports"].children[0].element
        checks = next(child for child in sale_report.children if child.name == "Checks").element
        check = next(child for child in checks.children if child.name == "Check").element
        goods = next(child for child in check.children if child.name == "Goods").element
        good = goods.children[0].element
        payment = next(child for child in check.children if child.name == "Payments").element.children[0].element
        self.stamps = fmt.excise_stamps
        self.check_values = {attr.name: self._converter(attr.type) for attr in check.attrs}
        self.good_values = {attr.name: self._converter(attr.type) for attr in good.attrs}
        # A payment's amounts within what the books hold, checked once for each distinct value.
        self.payment_values = {attr.name: self._converter(attr.type, AMOUNT_LIMIT if attr.type is DECIMAL else None)
                               for attr in payment.attrs}
        tag = "{%s}%%s" % fmt.namespace
        self.goods_tag, self.payments_tag = tag % "Goods", tag % "Payments"
        self.lines: dict[tuple, tuple | None] = {}
        self.check_plans: dict[tuple, tuple] = {}
        self.payment_plans: dict[tuple, tuple] = {}

    @classmethod
    def _converter(cls, value_type, limit: Decimal | None = None):
        """The type's conversion, remembered for a repeated type (with `limit`, a value beyond it stops the
        stream); the devices' plain local time converted in C once the type's own pattern says it is one."""
        if value_type is DATETIME:
            def convert(raw: str):
                if len(raw) == 19 and _PLAIN_DATETIME.fullmatch(raw):
                    return datetime.fromisoformat(raw)
                return value_type.convert(raw)
            return convert
        if value_type is UUID:
            def convert_uuid(raw: str):
                if _PLAIN_UUID.fullmatch(raw):
                    return uuid.UUID(raw)
                return value_type.convert(raw)
            return convert_uuid
        if value_type is STRING:
            return value_type.convert
        # An amount of up to 12 digits and 2 after the point is within every decimal type of the format
        # (15 digits, 2 or 3 after the point) and the limits: Decimal takes it as the type would.
        plain = _PLAIN_AMOUNT if value_type in (DECIMAL, MONEY, QUANTITY) else None
        memo: dict[str, object] = {}

        def remembered(raw: str):
            value = memo.get(raw, _MISSING)
            if value is _MISSING:
                value = Decimal(raw) if plain is not None and plain.fullmatch(raw) else value_type.convert(raw)
                if limit is not None:
                    _within(value, limit)
                if len(memo) < cls.MEMO:
                    memo[raw] = value
            return value
        return remembered

    @staticmethod
    def _attrs(items, values: dict) -> dict | None:
        """The converted attributes; None for an element marked xsi:nil="true"."""
        attrs = {}
        for name, raw in items:
            convert = values.get(name)
            if convert is not None:
                attrs[name] = convert(raw)
            elif name == _XSI_NIL:
                if BOOLEAN.convert(raw):
                    return None
            elif name != _XSI_TYPE:
                raise _Unstreamed
        return attrs

    def _line(self, items: tuple) -> tuple | None:
        g = self._attrs(items, self.good_values)
        if g is None:
            return None
        return (g["Code"].strip(), _within(g["Quantity"], QUANTITY_LIMIT), _within(g["Price"]), _within(g["Sum"]),
                g["TaxRate"].strip(), g["PaymentMethod"], g.get("GoodUUID"), g.get("CharacteristicUUID"),
                g.get("PackingUUID"), g.get("AlcoholExciseStamp", "").strip())

    @staticmethod
    def _plan(keys: tuple, values: dict, layout: tuple, nillable: bool) -> tuple:
        """How an element with these attribute names (in this order) is read: for each field of its document
        (`layout`: attribute, default; _MISSING for a required one), the attribute's place and converter, or
        the default; the place of xsi:nil. Elements of one kind share a few shapes."""
        places = {name: index for index, name in enumerate(keys)}
        for name in keys:
            if name not in values and name != _XSI_TYPE and (name != _XSI_NIL or not nillable):
                raise _Unstreamed  # the whole reading names the attribute
        fields, complete = [], True
        for name, default in layout:
            index = places.get(name)
            if index is None and default is _MISSING:
                complete = False  # a required attribute missing: only an element marked xsi:nil may lack it
            fields.append((index, values[name], default))
        nil = places.get(_XSI_NIL)
        if not complete and nil is None:
            raise _Unstreamed  # the whole reading names the attribute
        return tuple(fields), nil, complete

    def _payment(self, payment) -> PaymentDoc:
        keys = tuple(payment.keys())
        plan = self.payment_plans.get(keys)
        if plan is None:
            plan = self._plan(keys, self.payment_values, _PAYMENT_FIELDS, False)
            if len(self.payment_plans) < 100:
                self.payment_plans[keys] = plan
        fields, _nil, complete = plan
        if not complete:
            raise _Unstreamed
        values = payment.values()
        cash, electronic, prepayment, postpayment, barter, code, option = [
            convert(values[index]) if index is not None else default for index, convert, default in fields]
        return PaymentDoc(cash, electronic, prepayment, postpayment, barter, code.strip(), option)

    def read(self, element) -> CheckDoc | None:
        # One call for the names (the plan of their shape, from memory) and one for the values; a good or a
        # payment whose attributes were all seen before comes from memory whole.
        keys = tuple(element.keys())
        plan = self.check_plans.get(keys)
        if plan is None:
            plan = self._plan(keys, self.check_values, _CHECK_FIELDS, True)
            if len(self.check_plans) < 100:
                self.check_plans[keys] = plan
        fields, nil, complete = plan
        values = element.values()
        if nil is not None and BOOLEAN.convert(values[nil]):
            return None
        if not complete:
            raise _Unstreamed  # not nil, and a required attribute is missing
        check = CheckDoc(element.sourceline, *[convert(values[index]) if index is not None else default
                                              for index, convert, default in fields])
        lines = self.lines
        check_lines, check_payments = check.lines, check.payments
        goods_tag, payments_tag, stamps = self.goods_tag, self.payments_tag, self.stamps
        for child in element:
            tag = child.tag
            if tag == goods_tag:
                for good in child:
                    items = tuple(good.items())
                    args = lines.get(items, _MISSING)
                    if args is _MISSING:
                        args = self._line(items)
                        if len(lines) < self.MEMO:
                            lines[items] = args
                    if args is None:  # xsi:nil
                        continue
                    code, quantity, price, amount, rate, method, good_uuid, ch_uuid, pack_uuid, single = args
                    if stamps and len(good):
                        marks = [stamp.text or "" for stamp in good[0]]
                    else:
                        marks = [single] if single else []
                    check_lines.append(CheckLineDoc(good.sourceline, code, quantity, price, amount, rate, method,
                                                    good_uuid, ch_uuid, pack_uuid, marks))
            elif tag == payments_tag:
                for payment in child:
                    # Not remembered: a payment's amount is the check's own, it seldom repeats.
                    check_payments.append(self._payment(payment))
            else:
                raise _Unstreamed
        return check


def _within(value: Decimal, limit: Decimal = AMOUNT_LIMIT) -> Decimal:
    if abs(value) > limit:
        raise _Unstreamed  # the whole reading says which element and attribute
    return value


_MISSING = object()
# CheckDoc's fields after its line, each from its attribute or, when the attribute is absent, its default
# (_MISSING: required).
_CHECK_FIELDS = (("Date", _MISSING), ("Number", _MISSING), ("TaxationSystem", _MISSING), ("OperationType", _MISSING),
                 ("UUID", None), ("RefDocumentUUID", None), ("RefDocumentType", ""))
_PAYMENT_FIELDS = (("Cash", _MISSING), ("ElectronicPayment", _MISSING), ("PrePayment", _MISSING),
                   ("PostPayment", _MISSING), ("Barter", _MISSING), ("ElectronicPaymentOptionCode", ""),
                   ("ElectronicPaymentOptionUUID", None))
_PLAIN_AMOUNT = re.compile(r"-?\d{1,12}(\.\d{1,2})?")
_PLAIN_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PLAIN_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_XSI_NIL, _XSI_TYPE = f"{{{XSI_NS}}}nil", f"{{{XSI_NS}}}type"


@lru_cache(maxsize=None)
def _check_reader(fmt: FormatVersion) -> _CheckReader:
    return _CheckReader(fmt)


def _sale_reports_streamed(data: bytes, fmt: FormatVersion, max_bytes: int) -> list[SaleReportDoc]:
    reader = _check_reader(fmt)
    check_tag, checks_tag, report_tag, reports_tag = (f"{{{fmt.namespace}}}{name}" for name in
                                                      ("Check", "Checks", "SaleReport", "SaleReports"))
    by_report: dict[etree._Element, list[CheckDoc]] = {}
    stream = XmlStream(data, tag=check_tag, max_bytes=max_bytes, schema=xsd(fmt))
    for element in stream:
        parent = element.getparent()
        report = parent.getparent() if parent is not None else None
        if report is None or parent.tag != checks_tag or report.tag != report_tag:
            raise _Unstreamed  # a check out of its place
        check = reader.read(element)
        shift = by_report.setdefault(report, [])
        if check is not None:
            shift.append(check)
        # Drop what is read: the check's content, and the checks before it (the parser may still hold
        # the last one).
        element.clear()
        while (previous := element.getprevious()) is not None:
            parent.remove(previous)
    for report in by_report:
        checks = report.find(checks_tag)
        for check in checks.findall(check_tag):
            checks.remove(check)
    root = stream.root
    container = root.find(reports_tag) if root.tag != reports_tag else root

    def checks(count: int) -> list[list[CheckDoc] | None]:
        found = [by_report.get(element) for element in container.iterchildren(report_tag)]
        if len(found) != count:
            raise _Unstreamed
        return found

    # The shifts without their checks, what is left of the tree, are read the whole way: the reader's
    # checks beyond the XSD (a shift number, amounts, the file form's version) stay its own.
    return _sale_reports_whole(root, fmt, max_bytes, {"checks": checks})


def count_alcohol_tare_openings(data: bytes, fmt: FormatVersion, *, max_bytes: int = 64 * 1024 * 1024) -> int:
    """Validate an `AlcoholTareOpenings` (or `ImportData`) document; returns how many openings it has."""
    root = _root(data, fmt, ("AlcoholTareOpenings", "ImportData"), max_bytes)
    if root.name == "ImportData":
        root = root.first("AlcoholTareOpenings") or Node(name="AlcoholTareOpenings", line=root.line)
    return len(root.get("AlcoholTareOpening"))


def count_price_checker_reports(data: bytes, fmt: FormatVersion, *, max_bytes: int = 64 * 1024 * 1024) -> int:
    """Validate a `PriceCheckerReports` document; returns how many reports it has."""
    root = _root(data, fmt, ("PriceCheckerReports",), max_bytes)
    return len(root.get("PriceCheckerReport"))
