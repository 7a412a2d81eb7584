"""Builders without Django or a database: every document validates against the format XSD."""
import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.format.builders import (
    BuildError, build_orders, build_post_docs_response, build_price_list, build_price_list_package, build_settings,
)
from offline_exchange.format.documents import (
    BarcodeData, CharacteristicData, GoodData, OrderData, OrderLineData, PackData, PaymentOption, PriceListData,
    SettingsData, UnitData,
)
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.format.xmlsafe import UnsafeXmlError, parse_xml
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
