"""Reading what a device uploads with PostDocs: sale reports, alcohol tare openings, price-checker reports.

Django-free: bytes in (through the one hardened parser), plain dataclasses out.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from lxml import etree

from common.xmlsafe import UnsafeXmlError, parse_xml
from offline_exchange.format.schema import (
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
from offline_exchange.format.versions import FormatVersion

# What the back office can store (15 digits, 2 or 3 after the point); the format's DecimalType is
# unbounded and its MoneyType/QuantityType allow 15 digits before the point, so bigger values are
# refused here with a clear message rather than by the database.
AMOUNT_LIMIT = Decimal("9999999999999.99")
QUANTITY_LIMIT = Decimal("999999999999.999")


@dataclass
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


@dataclass
class PaymentDoc:
    cash: Decimal
    electronic: Decimal
    prepayment: Decimal
    postpayment: Decimal
    barter: Decimal
    option_code: str = ""
    option_uuid: uuid.UUID | None = None


@dataclass
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


@dataclass
class CashMovementDoc:
    date: datetime
    number: str
    type: str  # Income | Outcome
    amount: Decimal
    uuid: uuid.UUID | None = None


@dataclass
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


def _root(data: bytes, fmt: FormatVersion, roots: tuple[str, ...], max_bytes: int) -> Node:
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


def _sale_report(node: Node, fmt: FormatVersion) -> SaleReportDoc:
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
    """A `SaleReports` document (or the file form `ImportData/SaleReports`) as dataclasses."""
    root = _root(data, fmt, ("SaleReports", "ImportData"), max_bytes)
    if root.name == "ImportData":
        if root.attrs["FormatVersion"] != fmt.code:
            raise FormatViolation(
                f"документ в формате {root.attrs['FormatVersion']}, а оборудование настроено на {fmt.code}", root.line
            )
        container = root.first("SaleReports")
        if container is None:
            raise FormatViolation("в документе ImportData нет элемента SaleReports", root.line)
        root = container
    return [_sale_report(node, fmt) for node in root.get("SaleReport")]


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
