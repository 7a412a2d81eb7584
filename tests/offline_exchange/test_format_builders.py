"""Builders without Django or a database: every document validates against the format XSD."""
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from common.xmlsafe import UnsafeXmlError, parse_xml
from offline_exchange.format.builders import (
    GOODS_PLACEHOLDER,
    BuildError,
    build_orders,
    build_post_docs_response,
    build_price_list,
    build_price_list_head,
    build_price_list_package,
    build_price_list_package_head,
    build_settings,
    good_fragments,
    splice_goods,
)
from offline_exchange.format.documents import (
    AlcoholData,
    BarcodeData,
    CharacteristicData,
    GoodData,
    GroupData,
    OrderData,
    OrderLineData,
    PackData,
    PaymentOption,
    PriceListData,
    SettingsData,
    UnitData,
)
from offline_exchange.format.versions import FORMAT_3001, FORMAT_3003
from tests.conftest import assert_valid

UUID = "c0a80101-0002-4e5f-a1b2-0000000000a2"


def price_list(full=True, tax="20"):
    return PriceListData(full=full, units=[UnitData(code="796", name="шт", uuid=UUID, okei_code="796")], goods=[
        GoodData(uuid=UUID, name='Футболка "Базовая" & Co', tax_rate=tax, code="100001", price=Decimal("899"),
                 unit_code="796", characteristics=[CharacteristicData(
                     code="100002", uuid=UUID, name="M", price=Decimal("899.00"), balance=Decimal("4"),
                     barcodes=[BarcodeData("4601234567893", "EAN13")],
                     packs=[PackData(code="100003", uuid=UUID, name="6 шт", units_per_pack=Decimal(6))])]),
    ])


def test_settings(xsd):
    data = SettingsData(company_name="ООО «Ромашка» & партнёры", taxation_systems=[0, 1], inn="7701234567",
                        allow_discounts=False, allow_payment_cards=True,
                        payment_options=[PaymentOption("1", 1, "Карта", UUID)])
    text = build_settings(data, FORMAT_3001)
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Settings xmlns="http://www.1c.ru/EquipmentService/3.0.0.1"')
    root = assert_valid(xsd, text)
    assert root.find("{*}KPP") is None  # empty optionals are omitted
    assert root.findtext("{*}AllowDiscounts") == "false"


def test_price_list_and_package(xsd):
    root = assert_valid(xsd, build_price_list(price_list(), FORMAT_3001))
    good = root.find("{*}Goods/{*}Good")
    assert good.get("Price") == "899.00" and good.get("HasCharacteristics") == "true"
    assert root.find(".//{*}Characteristic").get("Balance") == "4.000"
    assert_valid(xsd, build_price_list_package(number=1, total=2, price_list=price_list(), fmt=FORMAT_3001))
    empty = assert_valid(xsd, build_price_list_package(number=1, total=1, price_list=None, fmt=FORMAT_3001))
    assert empty.findtext("{*}IsFormed") == "false" and empty.find("{*}PriceList") is None


def test_unsupported_vat_is_a_build_error():
    with pytest.raises(BuildError, match="22"):
        build_price_list(price_list(tax="22"), FORMAT_3001)


def test_orders_and_post_docs_response(xsd):
    order = OrderData(date=dt.datetime(2024, 3, 15, 10, 5), number="ЗК-1", uuid=UUID, status="not_agreed",
                      lines=[OrderLineData("100001", Decimal("2.5"), Decimal("129.9"), Decimal("324.75"), UUID)])
    root = assert_valid(xsd, build_orders([order], FORMAT_3001))
    assert root.find("{*}Order").get("Status") == "Не\u0043огласован"
    assert root.find("{*}Order").get("Date") == "2024-03-15T10:05:00"
    assert_valid(xsd, build_post_docs_response(success=True, description="Данные успешно загружены", fmt=FORMAT_3001))


@pytest.mark.parametrize("payload,message", [
    (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "DOCTYPE"),
    (b"<r>" * 100 + b"</r>" * 100, "вложенность"),
    (b"<r><unclosed></r>", "не читается"),
    (b"x" * 11, "слишком большой"),
])
def test_hardened_parser_refuses(payload, message):
    with pytest.raises(UnsafeXmlError, match=message):
        parse_xml(payload, max_bytes=10 if message == "слишком большой" else 1_000_000)


def test_hardened_parser_reads_utf8_str_with_declaration():
    root = parse_xml('<?xml version="1.0" encoding="UTF-8"?><r>ё</r>')
    assert etree.QName(root).localname == "r" and root.text == "ё"


# --- Goods kept pre-serialized and spliced into heads ------------------------------------

# Any text XML can carry: tabs, line breaks and markup characters included, other controls not.
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
                   | st.sampled_from(["\t", "\n", "\r", "&", "<", ">", '"']), max_size=40)


@st.composite
def goods(draw):
    def codes():
        return str(draw(st.integers(100, 999_999_999)))

    def barcodes():
        return [BarcodeData(draw(st.from_regex(r"[0-9]{8,13}", fullmatch=True)), draw(st.sampled_from(["", "EAN13"])))
                for _ in range(draw(st.integers(0, 2)))]

    def money():
        return draw(st.none() | st.decimals(min_value=0, max_value=10**9, places=2))

    def packs():
        return [PackData(code=codes(), uuid=UUID, name=draw(XML_TEXT), units_per_pack=Decimal(draw(st.integers(1, 99))),
                         price=money(), balance=draw(st.none() | st.decimals(0, 10**6, places=3)), barcodes=barcodes())
                for _ in range(draw(st.integers(0, 2)))]

    found = []
    for n in range(draw(st.integers(0, 4))):
        chars = [CharacteristicData(code=codes(), uuid=UUID, name=draw(XML_TEXT), price=money(), barcodes=barcodes(),
                                    balance=draw(st.none() | st.decimals(0, 10**6, places=3)), packs=packs())
                 for _ in range(draw(st.integers(0, 2)))]
        found.append(GoodData(
            uuid=UUID, name=draw(XML_TEXT), tax_rate=draw(st.sampled_from(sorted(FORMAT_3001.tax_rates))),
            code=codes(), price=money(), article=draw(XML_TEXT), description=draw(XML_TEXT),
            balance=draw(st.none() | st.decimals(0, 10**6, places=3)), calculation_subject=draw(st.integers(1, 33)),
            is_weight=draw(st.booleans()), unit_code="796", unit_uuid=UUID, group_code=draw(st.sampled_from(["", "01"])),
            marked_type_code=draw(st.sampled_from([None, 1, 2, 3, 8])), barcodes=barcodes(), characteristics=chars,
            classification_code=draw(st.sampled_from(["", "0101", "a&<b"])), is_excisable=draw(st.booleans()),
            packs=[] if chars else packs(),
            alcohol=draw(st.sampled_from([None, AlcoholData(True, "400", Decimal("0.75"), Decimal("12.5"),
                                                            "2309012345", "230901001", False)])),
        ))
    return found


@pytest.mark.parametrize("fmt", [FORMAT_3001, FORMAT_3003], ids=["3001", "3003"])
@settings(max_examples=150, deadline=None)
@given(found=goods(), full=st.booleans(), with_groups=st.booleans())
def test_spliced_goods_are_byte_for_byte_the_built_document(fmt, found, full, with_groups):
    units = [UnitData(code="796", name="шт & <ед>", uuid=UUID, okei_code="796")]
    groups = [GroupData(code="01", name="Группа «<Goods/>»", uuid=UUID)] if with_groups else []
    whole = PriceListData(full=full, units=units, groups=groups, goods=found)
    bare = PriceListData(full=full, units=units, groups=groups)
    fragments = good_fragments(found, fmt)
    assert len(fragments) == len(found) and all(f.startswith(b"<Good ") for f in fragments)

    package = splice_goods(build_price_list_package_head(number=2, total=3, price_list=bare, fmt=fmt), fragments)
    assert package == build_price_list_package(number=2, total=3, price_list=whole, fmt=fmt)
    document = splice_goods(build_price_list_head(bare, fmt), fragments)
    assert document == build_price_list(whole, fmt)


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x1f", "\ufffe", "\uffff", "a\x0bb"])
def test_text_xml_cannot_carry_is_refused_as_the_tree_builder_refuses_it(bad):
    good = price_list().goods[0]
    good.name = f"Товар {bad}"
    with pytest.raises(ValueError):
        build_price_list(PriceListData(full=True, goods=[good]), FORMAT_3001)
    with pytest.raises(ValueError, match="XML compatible"):
        good_fragments([good], FORMAT_3001)


def test_spliced_package_validates_and_an_empty_splice_leaves_goods_out(xsd):
    bare = PriceListData(full=True, units=price_list().units)
    head = build_price_list_package_head(number=1, total=1, price_list=bare, fmt=FORMAT_3001)
    assert head.count(GOODS_PLACEHOLDER) == 1
    assert_valid(xsd, splice_goods(head, good_fragments(price_list().goods, FORMAT_3001)))
    empty = assert_valid(xsd, splice_goods(head, []))
    assert empty.find("{*}PriceList/{*}Goods") is None and empty.find("{*}PriceList/{*}Units") is not None


def test_a_head_holds_no_goods_and_splicing_needs_a_placeholder():
    with pytest.raises(ValueError):
        build_price_list_head(price_list(), FORMAT_3001)
    with pytest.raises(ValueError, match="placeholder"):
        splice_goods(build_price_list(price_list(), FORMAT_3001), [])
