"""The upload reader: every reference sample, every malformed one, and agreement with the format's XSD."""
import copy
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import (
    count_alcohol_tare_openings,
    count_price_checker_reports,
    parse_sale_reports,
)
from offline_exchange.format.schema import FormatViolation
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import FORMAT_3001
from tests.conftest import FMT_NS, SAMPLES, sample


def test_sample_a_reads_completely():
    [shift] = parse_sale_reports(sample("a_sale_reports_closed_shift.xml"), FORMAT_3001)
    assert (shift.shift_number, shift.shift_state, shift.closed) == ("12", 1, True)
    assert shift.uuid == UUID("7f3c9a10-2024-4315-8c12-000000000012")
    assert shift.opened_at == datetime(2024, 3, 15, 8, 58, 12)
    assert [c.operation_type for c in shift.checks] == [1, 1, 1, 2]
    first = shift.checks[0].lines[0]
    assert (first.code, first.quantity, first.price, first.amount, first.tax_rate) == (
        "00001", Decimal("1.254"), Decimal("129.90"), Decimal("162.89"), "10")
    water_pack = shift.checks[1].lines[0]
    assert water_pack.packing_uuid == UUID("c0a80101-0003-4e5f-a1b2-0000000b0006")
    stamps = shift.checks[2].lines[0].excise_stamps
    assert stamps == ["046002660117252Xk<5&aAB3qz9Y1", "04600266011725Ep7;=VrAB3qQ7Lz"]
    card = shift.checks[2].payments[0]
    assert (card.cash, card.electronic, card.option_code) == (Decimal("200.00"), Decimal("224.95"), "1")
    assert shift.checks[3].ref_uuid == shift.checks[0].uuid and shift.checks[3].ref_type == "Check"
    assert [(m.type, m.amount) for m in shift.cash_movements] == [("Income", Decimal("2000.00")),
                                                                   ("Outcome", Decimal("1500.00"))]


def test_prefixed_reordered_attributes_and_file_form_read_the_same():
    a = parse_sale_reports(sample("a_sale_reports_closed_shift.xml"), FORMAT_3001)
    strip = lambda shifts: [(s.shift_number, [(c.number, [(l.code, l.amount) for l in c.lines]) for c in s.checks])
                            for s in shifts]
    assert strip(parse_sale_reports(sample("b_sale_reports_resent.xml"), FORMAT_3001)) == strip(a)
    assert strip(parse_sale_reports(sample("a_import_data_closed_shift.xml"), FORMAT_3001)) == strip(a)


def test_open_shift_without_closing_date():
    [shift] = parse_sale_reports(sample("c_sale_reports_open_shift.xml"), FORMAT_3001)
    assert shift.closed_at is None and shift.shift_state == 2 and not shift.closed
    assert shift.checks[1].lines[1].code == ""


def test_zero_date_means_no_closing_date():
    data = sample("c_sale_reports_open_shift.xml").replace(
        b'ShiftNumber="13"', b'ShiftNumber="13" ClosingDate="0001-01-01T00:00:00"')
    [shift] = parse_sale_reports(data, FORMAT_3001)
    assert shift.closed_at is None


MALFORMED = {
    "d1a_wrong_namespace_3003.xml": ["Строка 3", "SaleReports", "3.0.0.3"],
    "d1b_no_namespace.xml": ["Строка 3", "нет пространства имен"],
    "d2_non_numeric_quantity.xml": ["Строка 8", "Good", "Quantity", "1,254"],
    "d3_missing_required_attribute.xml": ["Строка 8", "Good", "обязательного атрибута Sum"],
    "d4_unknown_element.xml": ["Строка 14", "Discounts", "Check"],
    "d5_billion_laughs.xml": ["DOCTYPE"],
    "d6_xxe_file.xml": ["DOCTYPE"],
}


def test_every_malformed_sample_is_listed():
    assert sorted(p.name for p in (SAMPLES / "malformed").iterdir()) == sorted(MALFORMED)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_sample_is_refused_with_its_place(name):
    with pytest.raises(FormatViolation) as info:
        parse_sale_reports(sample(name), FORMAT_3001)
    for fragment in MALFORMED[name]:
        assert fragment in str(info.value)
    assert "root:" not in str(info.value)


def test_import_data_of_another_version_is_refused():
    data = sample("a_import_data_closed_shift.xml").replace(b'FormatVersion="3001"', b'FormatVersion="3003"')
    with pytest.raises(FormatViolation, match="3003"):
        parse_sale_reports(data, FORMAT_3001)


def test_other_upload_documents_validate():
    tare = (f'<AlcoholTareOpenings xmlns="{FMT_NS}"><AlcoholTareOpening Date="2024-03-15T10:00:00" Number="1">'
            f'<Goods><Good Code="17" Quantity="1" AlcoholExciseStamp="22N0000"/></Goods>'
            f'</AlcoholTareOpening></AlcoholTareOpenings>').encode()
    assert count_alcohol_tare_openings(tare, FORMAT_3001) == 1
    with pytest.raises(FormatViolation, match="Quantity"):
        count_alcohol_tare_openings(tare.replace(b'Quantity="1"', b'Quantity="x"'), FORMAT_3001)
    checker = (f'<PriceCheckerReports xmlns="{FMT_NS}"><PriceCheckerReport Number="5"><Goods>'
               f'<Good Code="1" Barcode="4601234500017"/></Goods></PriceCheckerReport></PriceCheckerReports>').encode()
    assert count_price_checker_reports(checker, FORMAT_3001) == 1
    with pytest.raises(FormatViolation, match="ожидается PriceCheckerReports"):
        count_price_checker_reports(tare, FORMAT_3001)


@pytest.mark.parametrize("attr, value", [("Price", "123456789012345"), ("Quantity", "1234567890123"),
                                         ("Cash", "99999999999999")])
def test_values_beyond_what_the_books_hold_are_refused_clearly(attr, value):
    data = sample("a_sale_reports_closed_shift.xml")
    old = {"Price": b'Price="129.90"', "Quantity": b'Quantity="1.254"', "Cash": b'Cash="1061.89"'}[attr]
    with pytest.raises(FormatViolation, match=f"{attr}: значение {value} слишком велико"):
        parse_sale_reports(data.replace(old, f'{attr}="{value}"'.encode(), 1), FORMAT_3001)


def test_built_shift_reads_back_identically(xsd):
    goods = [SellableGood("1", Decimal("129.90"), "10", weight=True), SellableGood("100001", Decimal("59.00"))]
    shift = synthetic_shift(goods=goods, checks=30, lines=3, opened_at=datetime(2024, 5, 1, 9), returns_every=7)
    data = build_sale_reports([shift], FORMAT_3001)
    assert xsd.validate(etree.fromstring(data)), xsd.error_log
    [back] = parse_sale_reports(data, FORMAT_3001)
    assert back.uuid == shift.uuid and back.closed_at == shift.closed_at
    assert [(c.uuid, c.operation_type, [(l.code, l.quantity, l.amount) for l in c.lines],
             [(p.cash, p.electronic) for p in c.payments]) for c in back.checks] == \
           [(c.uuid, c.operation_type, [(l.code, l.quantity, l.amount) for l in c.lines],
             [(p.cash, p.electronic) for p in c.payments]) for c in shift.checks]


# --- agreement with the format's XSD on mutated documents -----------------------------

BASE = etree.fromstring(sample("a_sale_reports_closed_shift.xml"),
                        etree.XMLParser(remove_comments=True, resolve_entities=False))
ELEMENTS = list(BASE.iter())
VALUES = ["", "abc", "1,5", "-1", "1.2345", "123456789.123", "2024-13-01T00:00:00", "2024-03-15T08:58:12",
          "2024-03-15T08:58:12+03:00", "7f3c9a10-2024-4315-8c12-000000000099", "3", "Check", "Order", "Income",
          "0", "1", "2", "20/120"]


@st.composite
def mutations(draw):
    tree = copy.deepcopy(BASE)
    elements = list(tree.iter())
    target = elements[draw(st.integers(0, len(elements) - 1))]
    kind = draw(st.sampled_from(["drop_attr", "set_attr", "add_attr", "add_child", "drop_child", "swap"]))
    if kind == "drop_attr" and target.attrib:
        del target.attrib[draw(st.sampled_from(sorted(target.attrib)))]
    elif kind == "set_attr" and target.attrib:
        name = draw(st.sampled_from(sorted(target.attrib)))
        if name != "ShiftNumber":  # ours refuses an empty shift number, which the XSD lets through
            target.set(name, draw(st.sampled_from(VALUES)))
    elif kind == "add_attr":
        target.set(draw(st.sampled_from(["Code", "Discount", "UUID", "Sum"])), "1")
    elif kind == "add_child":
        name = draw(st.sampled_from(["Good", "Payment", "Checks", "Discounts", "ExciseStamp"]))
        target.insert(draw(st.integers(0, len(target))), etree.Element(f"{{{FMT_NS}}}{name}"))
    elif kind == "drop_child" and len(target):
        target.remove(target[draw(st.integers(0, len(target) - 1))])
    elif kind == "swap" and len(target) >= 2:
        first = target[0]
        target.remove(first)
        target.append(first)
    return etree.tostring(tree)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutations())
def test_reader_accepts_exactly_what_the_xsd_accepts(xsd, data):
    xsd_ok = xsd.validate(etree.fromstring(data))
    try:
        parse_sale_reports(data, FORMAT_3001)
        ours = True
    except FormatViolation:
        ours = False
    assert ours == xsd_ok, (data.decode()[:3000], [str(e) for e in xsd.error_log][:3])


# --- the streamed reading against the reading of the whole tree -----------------------------

from offline_exchange.format import sale_reports as reading  # noqa: E402
from offline_exchange.format.sale_reports import CashMovementDoc  # noqa: E402
from offline_exchange.format.versions import FORMATS  # noqa: E402


def _shift_document(fmt, *, checks: int = 6, pretty: bool = False) -> bytes:
    goods = [SellableGood("1", Decimal("129.90"), "10", weight=True), SellableGood("100001", Decimal("59.00")),
             SellableGood("100002", Decimal("15.50"), "none")]
    shift = synthetic_shift(goods=goods, checks=checks, lines=3, opened_at=datetime(2024, 5, 1, 9), returns_every=4)
    shift.cash_movements.append(CashMovementDoc(date=datetime(2024, 5, 1, 9, 5), number="1", type="Income",
                                                amount=Decimal("500.00")))
    if fmt.excise_stamps:
        shift.checks[0].lines[0].excise_stamps = ["046002660117252Xk<5&aAB3qz9Y1", "04600266011725Ep7;=VrAB3q"]
    else:
        shift.checks[0].lines[0].excise_stamps = ["22N00000XY"]
    data = build_sale_reports([shift], fmt)
    if pretty:
        tree = etree.fromstring(data)
        etree.indent(tree)
        data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data


@pytest.mark.parametrize("code", sorted(FORMATS))
def test_a_valid_shift_is_read_by_the_stream_as_the_whole_tree_reads_it(code):
    fmt = FORMATS[code]
    for pretty in (False, True):
        data = _shift_document(fmt, pretty=pretty)
        # The stream takes it (no fall-back to the tree), and reads exactly what the tree reading reads.
        streamed = reading._sale_reports_streamed(data, fmt, 1 << 20)
        assert streamed == reading._sale_reports_whole(data, fmt, 1 << 20)
        assert len(streamed[0].checks) == 6 and streamed[0].checks[0].lines[0].excise_stamps


@st.composite
def shift_mutations(draw):
    fmt = FORMATS[draw(st.sampled_from(sorted(FORMATS)))]
    tree = etree.fromstring(_shift_document(fmt, pretty=draw(st.booleans())))
    elements = list(tree.iter())
    for _ in range(draw(st.integers(1, 2))):
        target = elements[draw(st.integers(0, len(elements) - 1))]
        kind = draw(st.sampled_from(["drop_attr", "set_attr", "add_attr", "add_child", "drop_child", "swap",
                                     "nil", "text"]))
        if kind == "drop_attr" and target.attrib:
            del target.attrib[draw(st.sampled_from(sorted(target.attrib)))]
        elif kind == "set_attr" and target.attrib:
            target.set(draw(st.sampled_from(sorted(target.attrib))), draw(st.sampled_from(VALUES + ["1" * 16, "99999999999999", "123456789012.345"])))
        elif kind == "add_attr":
            target.set(draw(st.sampled_from(["Code", "Discount", "UUID", "Sum", "AlcoholExciseStamp"])), "1")
        elif kind == "add_child":
            name = draw(st.sampled_from(["Good", "Payment", "Checks", "Check", "Goods", "ExciseStamps",
                                         "ExciseStamp", "Discounts"]))
            target.insert(draw(st.integers(0, len(target))), etree.Element(f"{{{fmt.namespace}}}{name}"))
        elif kind == "drop_child" and len(target):
            target.remove(target[draw(st.integers(0, len(target) - 1))])
        elif kind == "swap" and len(target) >= 2:
            first = target[0]
            target.remove(first)
            target.append(first)
        elif kind == "nil":
            target.set("{http://www.w3.org/2001/XMLSchema-instance}nil", draw(st.sampled_from(["true", "false", "x"])))
        elif kind == "text":
            target.text = draw(st.sampled_from(["  ", "x"]))
    return fmt, etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@settings(max_examples=400, deadline=None)
@given(case=shift_mutations())
def test_whatever_the_stream_takes_the_whole_tree_reading_takes_and_reads_the_same(case):
    fmt, data = case
    try:
        streamed = reading._sale_reports_streamed(data, fmt, 1 << 20)
    except Exception:  # noqa: BLE001 - the stream gave it up: parse_sale_reports reads the whole tree instead
        return
    assert streamed == reading._sale_reports_whole(data, fmt, 1 << 20)


def test_a_fault_in_the_last_check_of_a_big_shift_is_named_with_its_line():
    data = _shift_document(FORMAT_3001, checks=2500, pretty=True)
    lines = data.decode().splitlines()
    bad = max(n for n, text in enumerate(lines, 1) if "<Good " in text)
    lines[bad - 1] = lines[bad - 1].replace('Quantity="', 'Quantity="x', 1)
    with pytest.raises(FormatViolation) as info:
        parse_sale_reports("\n".join(lines).encode(), FORMAT_3001)
    assert str(info.value).startswith(f"Строка {bad}: элемент Good, атрибут Quantity = «x"), str(info.value)


def test_every_value_the_stream_converts_goes_through_the_readers_types():
    # A code longer than the format's 36 characters is the reader's refusal, not only the XSD's.
    data = _shift_document(FORMAT_3001).replace(b'Code="100001"', b'Code="' + b"9" * 37 + b'"', 1)
    with pytest.raises(FormatViolation, match="Code"):
        parse_sale_reports(data, FORMAT_3001)
