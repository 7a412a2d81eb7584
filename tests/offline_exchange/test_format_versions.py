"""Formats 3.0, 3.1, 3.2 and 3.3 through the same builders and reader (FORMAT-3.1.md §9): every document
validates against its version's XSD, and each version's differences are written and read as it spells them."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from offline_exchange.format.builders import (
    BuildError,
    build_orders,
    build_post_docs_response,
    build_price_list,
    build_price_list_package,
    build_sale_reports,
    build_settings,
)
from offline_exchange.format.codes import position_code
from offline_exchange.format.documents import (
    AlcoholData,
    BarcodeData,
    CharacteristicData,
    GoodData,
    OrderData,
    OrderLineData,
    PackData,
    PaymentData,
    PaymentOption,
    PriceListData,
    SettingsData,
    UnitData,
)
from offline_exchange.format.sale_reports import (
    CheckDoc,
    CheckLineDoc,
    PaymentDoc,
    SaleReportDoc,
    count_alcohol_tare_openings,
    parse_sale_reports,
)
from offline_exchange.format.schema import FormatViolation
from offline_exchange.format.versions import FORMATS, get_format, refusal, switch_advice
from tests.conftest import assert_valid_as

UUID = "c0a80101-0002-4e5f-a1b2-0000000000a2"
VERSIONS = sorted(FORMATS)


def per_position_goods(**extra):
    """The four shapes of PROTOCOL §5.1 for one item, and a weighed good."""
    common = dict(uuid=UUID, tax_rate="20", unit_code="796", unit_uuid=UUID, **extra)
    return [
        GoodData(name="Вода", code="100001", price=Decimal("50"), balance=Decimal("3"),
                 barcodes=[BarcodeData("4601234567893", "EAN13")], **common),
        GoodData(name="Вода, Упаковка 6 шт", packs=[PackData(code="100002", uuid=UUID, name="Упаковка 6 шт",
                                                            units_per_pack=Decimal(6), price=Decimal("300"),
                                                            balance=Decimal("3"))], **common),
        GoodData(name="Вода (газ.)", characteristics=[CharacteristicData(code="100003", uuid=UUID, name="газ.",
                                                                         price=Decimal("55"))], **common),
        GoodData(name="Вода (газ.), Упаковка 6 шт", characteristics=[CharacteristicData(
            code="", uuid=UUID, name="газ.", packs=[PackData(code="100004", uuid=UUID, name="Упаковка 6 шт",
                                                             units_per_pack=Decimal(6), price=Decimal("330"))])],
            **common),
        GoodData(name="Яблоки", code=position_code(42, is_weight=True), is_weight=True, price=Decimal("129.9"),
                 uuid=UUID, tax_rate="10", unit_code="166"),
    ]


def nested_goods(**extra):
    return [GoodData(uuid=UUID, name="Футболка", tax_rate="20", code="100001", unit_code="796", **extra,
                     characteristics=[CharacteristicData(code="100002", uuid=UUID, name="M", price=Decimal("899"),
                                                         packs=[PackData(code="100003", uuid=UUID, name="6 шт",
                                                                         units_per_pack=Decimal(6))])])]


def price_list(goods, full=True):
    return PriceListData(full=full, units=[UnitData(code="796", name="шт", uuid=UUID, okei_code="796")], goods=goods)


@pytest.mark.parametrize("code", VERSIONS)
@pytest.mark.parametrize("shape", [per_position_goods, nested_goods])
@pytest.mark.parametrize("full", [True, False])
def test_price_lists_validate_in_every_version(code, shape, full):
    fmt = get_format(code)
    extra = {"alcohol": AlcoholData(True, "400", Decimal("0.75"), Decimal("12.5"), "2309012345", "230901001", False)}
    if fmt.marking:
        extra["marked_type_code"] = 2
    data = price_list(shape(**extra), full=full)
    root = assert_valid_as(code, build_price_list(data, fmt))
    assert (root.get("FullExport") == "true") is full
    assert_valid_as(code, build_price_list_package(number=1, total=1, price_list=data, fmt=fmt))
    assert_valid_as(code, build_price_list_package(number=1, total=1, price_list=None, fmt=fmt))


@pytest.mark.parametrize("code", VERSIONS)
def test_settings_orders_and_replies_validate_in_every_version(code):
    fmt = get_format(code)
    assert_valid_as(code, build_settings(SettingsData(company_name="ООО «Ромашка»", taxation_systems=[0],
                                                      allow_discounts=False, payment_options=[
                                                          PaymentOption("1", 1, "Карта", UUID)]), fmt))
    orders = [OrderData(date=dt.datetime(2024, 3, 15, 10, 5), number=f"ЗК-{n}", uuid=UUID, status=status,
                        lines=[OrderLineData(position_code(42, is_weight=True), Decimal("1.5"), Decimal("129.9"),
                                             Decimal("194.85"), UUID)], payments=[PaymentData(prepayment=Decimal(1))])
              for n, status in enumerate(["not_agreed", "agreed", "cancelled"])]
    root = assert_valid_as(code, build_orders(orders, fmt))
    statuses = [o.get("Status") for o in root.iter(f"{{{fmt.namespace}}}Order")]
    # Each version's own spelling: a Latin C in 3.0/3.1, all Cyrillic from 3.2.
    latin = "Не\u0043огласован"
    assert statuses == [latin if code <= 3001 else "Не\u0421огласован", "Согласован", "Отменен"]
    assert root.find(f".//{{{fmt.namespace}}}Good").get("Code") == "00042"
    for success in (True, False):
        assert_valid_as(code, build_post_docs_response(success=success, description="Данные успешно загружены",
                                                       fmt=fmt))


@pytest.mark.parametrize("code,written", [(3000, set()), (3001, {"IsMarked", "MarkedGoodTypeCode"}),
                                          (3002, {"IsMarked", "MarkedGoodTypeCode", "GoodClassificationCode"}),
                                          (3003, {"IsMarked", "MarkedGoodTypeCode", "GoodClassificationCode",
                                                  "IsExcisable"})])
def test_each_version_writes_its_own_good_attributes(code, written):
    fmt = get_format(code)
    good = GoodData(uuid=UUID, name="Сигареты", tax_rate="20", code="100001", classification_code="0101",
                    is_excisable=True, marked_type_code=2 if fmt.marking else None)
    root = assert_valid_as(code, build_price_list(price_list([good]), fmt))
    attrs = set(root.find(f".//{{{fmt.namespace}}}Good").attrib)
    assert attrs & {"IsMarked", "MarkedGoodTypeCode", "GoodClassificationCode", "IsExcisable"} == written


def test_marking_codes_above_3_only_in_3003():
    good = GoodData(uuid=UUID, name="Молоко", tax_rate="10", code="100001", marked_type_code=8)
    root = assert_valid_as(3003, build_price_list(price_list([good]), get_format(3003)))
    assert root.find(".//{*}Good").get("MarkedGoodTypeCode") == "8"
    for code in (3001, 3002):  # marked, without a code, as 1C writes the newer kinds below 3.3
        root = assert_valid_as(code, build_price_list(price_list([good]), get_format(code)))
        assert root.find(".//{*}Good").get("IsMarked") == "true" and root.find(".//{*}Good").get("MarkedGoodTypeCode") is None
    with pytest.raises(BuildError, match="3.0"):
        build_price_list(price_list([good]), get_format(3000))


@pytest.mark.parametrize("code,rates", [(3000, {"5": False, "7": False}), (3001, {"5": True, "7": True}),
                                        (3002, {"5": False, "7": False}), (3003, {"5": True, "7": True})])
def test_vat_5_and_7_where_the_version_has_them(code, rates):
    fmt = get_format(code)
    for rate, carried in rates.items():
        good = GoodData(uuid=UUID, name="Товар", tax_rate=rate, code="100001")
        assert bool(refusal(fmt, tax_rate=rate, marked=False)) is not carried
        if carried:
            assert_valid_as(code, build_price_list(price_list([good]), fmt))
        else:
            with pytest.raises(BuildError, match=f"ставка НДС {rate}"):
                build_price_list(price_list([good]), fmt)


@pytest.mark.parametrize("code", VERSIONS)
def test_vat_22_only_in_3_3_as_1c_2026_ships_its_packages(code):
    """1C changed 3.0.0.3 in place (TaxRates 22 …) and left 3.0.0.0-3.0.0.2 alone: 22 goes to 3.3 only, and a
    3.0-3.2 list would be outside its schema with it (so the builder refuses and the plan holds the good back)."""
    good = GoodData(uuid=UUID, name="Товар 2026", tax_rate="22", code="100001")
    fmt = get_format(code)
    if code == 3003:
        assert refusal(fmt, tax_rate="22", marked=False) == "" and not switch_advice(fmt)
        root = assert_valid_as(code, build_price_list(price_list([good]), fmt))
        assert root.find(".//{*}Good").get("TaxRate") == "22"
        return
    assert refusal(fmt, tax_rate="22", marked=False) == "ставку НДС 22%"
    assert "формат обмена 3.3" in switch_advice(fmt)
    with pytest.raises(BuildError, match="22"):
        build_price_list(price_list([good]), fmt)
    # What the builder would have written, had it not refused: the 2026 schema of this version rejects it.
    forced = build_price_list(price_list([GoodData(uuid=UUID, name="Товар 2026", tax_rate="20", code="100001")]),
                              fmt).replace(b'TaxRate="20"', b'TaxRate="22"')
    assert not format_xsd_accepts(code, forced)


def test_marking_kinds_are_named_as_1c_names_them_and_3_3_carries_36_codes():
    from retail.models import Item

    names = dict(Item.MarkingKind.choices)
    assert list(names) == list(range(1, 37))
    assert (names[1], names[2], names[3], names[6], names[15], names[20], names[22]) == (
        "Изделия из меха", "Табак", "Обувь", "Молочная продукция", "Никотиносодержащая продукция",
        "Разливное пиво", "Безалкогольные напитки")
    assert all("формат" not in names[code] for code in range(1, 23)) and names[36] == "Код 36 (резерв 1С)"
    goods = [GoodData(uuid=UUID, name=f"Товар вида {code}", tax_rate="20", code=str(100000 + code),
                      marked_type_code=code) for code in range(1, 37)]
    for code in (3001, 3002, 3003):
        fmt = get_format(code)
        root = assert_valid_as(code, build_price_list(price_list(goods), fmt))
        sent = [(g.get("IsMarked"), g.get("MarkedGoodTypeCode")) for g in root.findall(".//{*}Good")]
        if code == 3003:  # every code, 1..36, valid against the 2026 package
            assert sent == [("true", str(n)) for n in range(1, 37)]
        else:  # 1C gives a code only to fur, tobacco and shoes below 3.3; the others go as IsMarked alone
            assert sent == [("true", str(n)) for n in range(1, 4)] + [("true", None)] * 33
    # 3.0 carries no marking: a marked good is held back (1C refuses the whole list), never written.
    assert refusal(get_format(3000), tax_rate="20", marked=True) == "маркируемую продукцию"
    with pytest.raises(BuildError, match="3.0"):
        build_price_list(price_list(goods[:1]), get_format(3000))
    # The 2026 package ends at 36.
    too_far = build_price_list(price_list(goods[:1]), get_format(3003)).replace(
        b'MarkedGoodTypeCode="1"', b'MarkedGoodTypeCode="37"')
    assert not format_xsd_accepts(3003, too_far)


@pytest.mark.parametrize("code", VERSIONS)
@pytest.mark.parametrize("rate", ["22", "22/122", "5/105", "7/107", "10/110", "20/120"])
def test_uploads_carry_any_rate_string_in_any_version(code, rate):
    """A check line's TaxRate is a free string in every package: 22/122 from a 3.3 register (or any other)
    is read as sent and validates against the 2026 schema."""
    fmt = get_format(code)
    doc = shift(stamps=())
    doc.checks[0].lines[0].tax_rate = rate
    document = build_sale_reports([doc], fmt)
    assert_valid_as(code, document)
    [read] = parse_sale_reports(document, fmt)
    assert read.checks[0].lines[0].tax_rate == rate


def format_xsd_accepts(code, document):
    from lxml import etree

    from tests.conftest import format_xsd
    return format_xsd(code).validate(etree.fromstring(document))


def shift(*, closed=True, stamps=("22N0000ABC",)):
    return SaleReportDoc(
        line=0, shift_number="7", opened_at=dt.datetime(2024, 6, 1, 9),
        closed_at=dt.datetime(2024, 6, 1, 21) if closed else None, shift_state=1 if closed else 2,
        uuid=uuid.UUID(UUID), checks=[CheckDoc(
            line=0, date=dt.datetime(2024, 6, 1, 10), number="1", taxation_system=0, operation_type=1,
            lines=[CheckLineDoc(line=0, code="00042", quantity=Decimal("1.5"), price=Decimal("129.9"),
                                amount=Decimal("194.85"), tax_rate="10", payment_method=4,
                                excise_stamps=list(stamps))],
            payments=[PaymentDoc(Decimal("194.85"), Decimal(0), Decimal(0), Decimal(0), Decimal(0))])],
    )


@pytest.mark.parametrize("code", VERSIONS)
def test_sale_reports_in_each_dialect_validate_and_read_back(code):
    fmt = get_format(code)
    document = build_sale_reports([shift()], fmt)
    root = assert_valid_as(code, document)
    report = root.find("{*}SaleReport")
    line = root.find(".//{*}Check/{*}Goods/{*}Good")
    if code == 3000:
        # ShiftState an element after IncomeOutcomeChecks, one AlcoholExciseStamp per line.
        assert report.get("ShiftState") is None and report[-1].tag.endswith("ShiftState") and report[-1].text == "1"
        assert line.get("AlcoholExciseStamp") == "22N0000ABC" and line.find("{*}ExciseStamps") is None
    else:
        assert report.get("ShiftState") == "1" and report.find("{*}ShiftState") is None
        assert line.get("AlcoholExciseStamp") is None and line.findtext("{*}ExciseStamps/{*}ExciseStamp") == "22N0000ABC"
    [read] = parse_sale_reports(document, fmt)
    assert read.shift_state == 1 and read.closed_at == dt.datetime(2024, 6, 1, 21)
    assert read.checks[0].lines[0].excise_stamps == ["22N0000ABC"] and read.checks[0].lines[0].code == "00042"


def test_3000_requires_a_closing_date_and_one_stamp_per_line():
    fmt = get_format(3000)
    with pytest.raises(BuildError, match="ClosingDate"):
        build_sale_reports([shift(closed=False)], fmt)
    with pytest.raises(BuildError, match="одна акцизная марка"):
        build_sale_reports([shift(stamps=("a", "b"))], fmt)
    # A 3.1 open shift read as 3.0: the namespace already refuses it; with the namespace changed, the date does.
    open_31 = build_sale_reports([shift(closed=False)], get_format(3001)).replace(
        b"3.0.0.1", b"3.0.0.0").replace(b' ShiftState="2"', b"")
    with pytest.raises(FormatViolation, match="ClosingDate"):
        parse_sale_reports(open_31, fmt)


@pytest.mark.parametrize("sent", VERSIONS)
@pytest.mark.parametrize("device", VERSIONS)
def test_a_document_of_another_version_is_refused(sent, device):
    document = build_sale_reports([shift()], get_format(sent))
    if sent == device:
        assert parse_sale_reports(document, get_format(device))
    else:
        with pytest.raises(FormatViolation, match="пространства имен"):
            parse_sale_reports(document, get_format(device))


def test_alcohol_tare_opening_document_number_and_keg_only_in_3003():
    def tare(code, extra=""):
        ns = get_format(code).namespace
        return (f'<AlcoholTareOpenings xmlns="{ns}"><AlcoholTareOpening Date="2024-06-01T10:00:00" Number="1"{extra}>'
                f'<Goods><Good Code="100001" Quantity="1"/></Goods></AlcoholTareOpening></AlcoholTareOpenings>').encode()

    extra = ' NumberDoc="ТТН-1" KegInstallment="1"'
    assert count_alcohol_tare_openings(tare(3003, extra), get_format(3003)) == 1
    assert_valid_as(3003, tare(3003, extra))
    for code in (3000, 3001, 3002):
        assert count_alcohol_tare_openings(tare(code), get_format(code)) == 1
        with pytest.raises(FormatViolation, match="NumberDoc"):
            count_alcohol_tare_openings(tare(code, extra), get_format(code))
