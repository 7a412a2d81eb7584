"""Serialize documents the way 1C's XDTO writer does (see PROTOCOL §1).

Root named after the type, format namespace as the default namespace, xs/xsi declared,
properties in schema order, unset optionals omitted, booleans true/false, local dates without
zone, money with 2 decimals, quantities with 3.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from lxml import etree

from offline_exchange.format.documents import (
    CharacteristicData,
    GoodData,
    OrderData,
    PackData,
    PriceListData,
    SettingsData,
)
from offline_exchange.format.sale_reports import SaleReportDoc
from offline_exchange.format.versions import XS_NS, XSI_NS, FormatVersion

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class BuildError(ValueError):
    """The data cannot be written in this format version; the message names what and why."""


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def quantity(value: Decimal) -> str:
    return f"{value:.3f}"


def decimal_text(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def boolean(value: bool) -> str:
    return "true" if value else "false"


def date_text(value: datetime) -> str:
    return value.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")


def _root(name: str, fmt: FormatVersion) -> etree._Element:
    return etree.Element(f"{{{fmt.namespace}}}{name}", nsmap={None: fmt.namespace, "xs": XS_NS, "xsi": XSI_NS})


def serialize(root: etree._Element) -> bytes:
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _sub(parent: etree._Element, fmt: FormatVersion, name: str, text: str | None = None, attrib=None):
    el = etree.SubElement(parent, f"{{{fmt.namespace}}}{name}", attrib)
    if text is not None:
        el.text = text
    return el


# --- Settings -------------------------------------------------------------------------


def build_settings(data: SettingsData, fmt: FormatVersion) -> bytes:
    root = _root("Settings", fmt)
    if data.company_name:
        _sub(root, fmt, "CompanyName", data.company_name)
    if data.store_name:
        _sub(root, fmt, "StoreName", data.store_name)
    if data.taxation_systems:
        systems = _sub(root, fmt, "TaxationSystems")
        for code in data.taxation_systems:
            _sub(systems, fmt, "TaxationSystem", str(int(code)))
    for name, value in (("INN", data.inn), ("KPP", data.kpp), ("SaleAddress", data.sale_address),
                        ("SaleLocation", data.sale_location), ("SenderEmail", data.sender_email)):
        if value:
            _sub(root, fmt, name, value)
    if data.allow_discounts is not None:
        _sub(root, fmt, "AllowDiscounts", boolean(data.allow_discounts))
    if data.allow_payment_cards is not None:
        _sub(root, fmt, "AllowPaymentCards", boolean(data.allow_payment_cards))
    if data.payment_options:
        options = _sub(root, fmt, "ElectronicPaymentOptions")
        for option in data.payment_options:
            attrib = {"Code": option.code, "ElectronicPaymentType": str(int(option.payment_type)), "Name": option.name}
            if option.uuid:
                attrib["UUID"] = option.uuid
            _sub(options, fmt, "ElectronicPaymentOption", attrib=attrib)
    return serialize(root)


# --- PriceList ------------------------------------------------------------------------


# Each element's attributes, in the order 1C writes them, shared by the tree builder below and by the
# text writer of Goods kept pre-serialized (`good_fragments`).


def _barcode_attrib(barcode) -> dict:
    attrib = {"Value": barcode.value}
    if barcode.type:
        attrib["Type"] = barcode.type
    return attrib


def _pack_attrib(pack: PackData) -> dict:
    attrib = {"Code": pack.code, "Name": pack.name, "UnitsPerPack": quantity(pack.units_per_pack), "UUID": pack.uuid}
    if pack.price is not None:
        attrib["Price"] = money(pack.price)
    if pack.balance is not None:
        attrib["Balance"] = quantity(pack.balance)
    return attrib


def _characteristic_attrib(ch: CharacteristicData) -> dict:
    attrib = {}
    if ch.code:
        attrib["Code"] = ch.code
    if ch.price is not None:
        attrib["Price"] = money(ch.price)
    if ch.balance is not None:
        attrib["Balance"] = quantity(ch.balance)
    attrib["UUID"] = ch.uuid
    attrib["Name"] = ch.name
    if ch.packs:
        attrib["HasPacks"] = "true"
    return attrib


def _good_attrib(good: GoodData, fmt: FormatVersion) -> dict:
    if good.tax_rate not in fmt.tax_rates:
        raise BuildError(f"ставка НДС {good.tax_rate} не поддерживается форматом {fmt.label}: «{good.name}»")
    attrib = {}
    if good.code:
        attrib["Code"] = good.code
    if good.price is not None:
        attrib["Price"] = money(good.price)
    if good.balance is not None:
        attrib["Balance"] = quantity(good.balance)
    attrib["UUID"] = good.uuid
    attrib["Name"] = good.name
    attrib["TaxRate"] = good.tax_rate
    attrib["CalculationSubject"] = str(good.calculation_subject)
    for name, value in (("UnitCode", good.unit_code), ("UnitUUID", good.unit_uuid), ("GroupCode", good.group_code),
                        ("GroupUUID", good.group_uuid), ("Article", good.article), ("Description", good.description)):
        if value:
            attrib[name] = value
    if good.is_weight:
        attrib["IsWeight"] = "true"
    if good.characteristics:
        attrib["HasCharacteristics"] = "true"
    if good.packs:
        attrib["HasPacks"] = "true"
    if good.alcohol is not None:
        attrib["IsAlcohol"] = "true"
    if good.marked_type_code is not None:
        if not fmt.marking:
            raise BuildError(f"маркируемая продукция не передается в формате {fmt.label}: «{good.name}»")
        attrib["IsMarked"] = "true"
        # Below 3.3 only fur, tobacco and shoes have a code; 1C marks the other kinds without one.
        if good.marked_type_code in fmt.marked_goods_type_codes:
            attrib["MarkedGoodTypeCode"] = str(good.marked_type_code)
    if good.classification_code and fmt.classification_code:
        attrib["GoodClassificationCode"] = good.classification_code
    if good.is_excisable and fmt.is_excisable:
        attrib["IsExcisable"] = "true"
    return attrib


def _alcohol_attrib(a) -> dict:
    return {
        "IsExcisable": boolean(a.is_excisable), "AlcoholKindCode": a.kind_code,
        "AlcoholContainerSize": decimal_text(a.container_size), "AlcoholStrength": decimal_text(a.strength),
        "VendorINN": a.vendor_inn, "VendorKPP": a.vendor_kpp, "IsDraught": boolean(a.is_draught),
    }


def _barcodes(parent, fmt, barcodes) -> None:
    if not barcodes:
        return
    holder = _sub(parent, fmt, "Barcodes")
    for barcode in barcodes:
        _sub(holder, fmt, "Barcode", attrib=_barcode_attrib(barcode))


def _packs(parent, fmt, packs: list[PackData]) -> None:
    holder = _sub(parent, fmt, "Packs")
    for pack in packs:
        el = _sub(holder, fmt, "Pack", attrib=_pack_attrib(pack))
        _barcodes(el, fmt, pack.barcodes)


def _characteristic(parent, fmt, ch: CharacteristicData) -> None:
    el = _sub(parent, fmt, "Characteristic", attrib=_characteristic_attrib(ch))
    _barcodes(el, fmt, ch.barcodes)
    if ch.packs:
        _packs(el, fmt, ch.packs)


def _good(parent, fmt: FormatVersion, good: GoodData) -> None:
    el = _sub(parent, fmt, "Good", attrib=_good_attrib(good, fmt))
    _barcodes(el, fmt, good.barcodes)
    if good.characteristics:
        holder = _sub(el, fmt, "Characteristics")
        for ch in good.characteristics:
            _characteristic(holder, fmt, ch)
    if good.packs:
        _packs(el, fmt, good.packs)
    if good.alcohol is not None:
        _sub(el, fmt, "Alcohol", attrib=_alcohol_attrib(good.alcohol))


def price_list_element(data: PriceListData, fmt: FormatVersion, *, root: bool = True, parent=None) -> etree._Element:
    if parent is None:
        el = _root("PriceList", fmt)
    else:
        el = _sub(parent, fmt, "PriceList")
    if data.full:
        el.set("FullExport", "true")
    if data.groups:
        groups = _sub(el, fmt, "Groups")
        for group in data.groups:
            attrib = {"Code": group.code, "Name": group.name, "UUID": group.uuid}
            if group.parent_code:
                attrib["ParentGroupCode"] = group.parent_code
                attrib["ParentGroupUUID"] = group.parent_uuid
            _sub(groups, fmt, "Group", attrib=attrib)
    if data.units:
        units = _sub(el, fmt, "Units")
        for unit in data.units:
            attrib = {"Code": unit.code, "Name": unit.name}
            if unit.uuid:
                attrib["UUID"] = unit.uuid
            if unit.okei_code:
                attrib["OKEICode"] = unit.okei_code
            _sub(units, fmt, "Unit", attrib=attrib)
    if data.goods:
        goods = _sub(el, fmt, "Goods")
        for good in data.goods:
            _good(goods, fmt, good)
    return el


def build_price_list(data: PriceListData, fmt: FormatVersion) -> bytes:
    return serialize(price_list_element(data, fmt))


def _package_root(number: int, total: int, formed: bool, fmt: FormatVersion) -> etree._Element:
    root = _root("PriceListPackage", fmt)
    root.set("PackageNumber", str(number))
    root.set("PackageTotal", str(total))
    _sub(root, fmt, "IsFormed", boolean(formed))
    return root


def build_price_list_package(*, number: int, total: int, price_list: PriceListData | None, fmt: FormatVersion) -> bytes:
    root = _package_root(number, total, price_list is not None, fmt)
    if price_list is not None:
        price_list_element(price_list, fmt, parent=root)
    return serialize(root)


# --- Goods kept pre-serialized ---------------------------------------------------------
#
# A price list is mostly Goods, and a Good's bytes depend only on its item's data. Goods are
# therefore serialized once (`good_fragments`) and spliced into a document whose other parts
# were built with an empty `<Goods/>` in their place (`build_*_head` + `splice_goods`). The
# result is byte for byte what `build_price_list*` writes for the same data.

GOODS_PLACEHOLDER = b"<Goods/>"


def good_fragments(goods: list[GoodData], fmt: FormatVersion) -> list[bytes]:
    """Each Good as it stands inside a document of this format (no namespace declarations of its own:
    the document root declares them), byte for byte what the tree builder writes for it.

    Written as text: a first full list writes every Good of the catalog, and building an element tree
    only to serialize it cost more than reading the Goods' data. A Good is all attributes, so writing
    one is escaping values as libxml2 does and refusing what lxml refuses."""
    fragments = []
    for good in goods:
        text = _good_text(good, fmt)
        refuse_not_xml(text)
        fragments.append(text.encode())
    return fragments


# Escaped in attribute values as libxml2 escapes them; the characters XML cannot carry at all are refused
# (the escaped text holds no tab or line break of its own).
_ATTRIBUTE_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\t\n\r]')
_NOT_XML = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def attribute_escape(value: str) -> str:
    """An attribute's value as libxml2 writes it between double quotes."""
    if _ATTRIBUTE_SPECIAL.search(value) is None:
        return value
    return _ATTRIBUTE_SPECIAL.sub(lambda match: _ATTRIBUTE_ESCAPES[match.group()], value)


def refuse_not_xml(text: str) -> None:
    """Refuse, as lxml does, text holding characters XML cannot carry (NUL, control characters)."""
    if _NOT_XML.search(text):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")


def _element_text(name: str, attrib: dict, children: str = "") -> str:
    attributes = "".join([f' {key}="{attribute_escape(value)}"' for key, value in attrib.items()])
    return f"<{name}{attributes}>{children}</{name}>" if children else f"<{name}{attributes}/>"


def _barcodes_text(barcodes) -> str:
    if not barcodes:
        return ""
    return _element_text("Barcodes", {}, "".join([_element_text("Barcode", _barcode_attrib(b)) for b in barcodes]))


def _packs_text(packs: list[PackData]) -> str:
    return _element_text("Packs", {}, "".join([
        _element_text("Pack", _pack_attrib(pack), _barcodes_text(pack.barcodes)) for pack in packs]))


def _good_text(good: GoodData, fmt: FormatVersion) -> str:
    children = _barcodes_text(good.barcodes)
    if good.characteristics:
        children += _element_text("Characteristics", {}, "".join([
            _element_text("Characteristic", _characteristic_attrib(ch),
                          _barcodes_text(ch.barcodes) + (_packs_text(ch.packs) if ch.packs else ""))
            for ch in good.characteristics]))
    if good.packs:
        children += _packs_text(good.packs)
    if good.alcohol is not None:
        children += _element_text("Alcohol", _alcohol_attrib(good.alcohol))
    return _element_text("Good", _good_attrib(good, fmt), children)


def _with_placeholder(price_list: PriceListData) -> PriceListData:
    if price_list.goods:
        raise ValueError("a head is built without goods: they are spliced in")
    return price_list


def build_price_list_head(data: PriceListData, fmt: FormatVersion) -> bytes:
    """A PriceList document with `<Goods/>` where its goods go (see `splice_goods`)."""
    el = price_list_element(_with_placeholder(data), fmt)
    _sub(el, fmt, "Goods")
    return serialize(el)


def build_price_list_package_head(*, number: int, total: int, price_list: PriceListData, fmt: FormatVersion) -> bytes:
    """A formed PriceListPackage with `<Goods/>` where its goods go (see `splice_goods`)."""
    root = _package_root(number, total, True, fmt)
    el = price_list_element(_with_placeholder(price_list), fmt, parent=root)
    _sub(el, fmt, "Goods")
    return serialize(root)


def splice_goods(head: bytes, fragments: list[bytes]) -> bytes:
    """The head's `<Goods/>` replaced by the goods (left out when there are none, as the builder does).

    The placeholder is the last element of the head and cannot occur in its text: attribute values
    escape «<»."""
    at = head.rfind(GOODS_PLACEHOLDER)
    if at < 0:
        raise ValueError("the head has no <Goods/> placeholder")
    rest = head[at + len(GOODS_PLACEHOLDER):]
    if not fragments:
        return head[:at] + rest
    return b"".join((head[:at], b"<Goods>", *fragments, b"</Goods>", rest))


# --- Orders ---------------------------------------------------------------------------

_ORDER_STATUS = {"agreed": "Согласован", "cancelled": "Отменен"}


def order_status_text(status: str, fmt: FormatVersion) -> str:
    if status == "not_agreed":
        return fmt.not_agreed_status
    return _ORDER_STATUS[status]


def build_orders(orders: list[OrderData], fmt: FormatVersion) -> bytes:
    root = _root("Orders", fmt)
    for order in orders:
        attrib = {"Date": date_text(order.date), "Number": order.number, "UUID": order.uuid}
        for name, value in (
            ("AddressCity", order.address_city), ("AddressStreet", order.address_street),
            ("AddressBuilding", order.address_building), ("AddressApartment", order.address_apartment),
            ("AddressEntrance", order.address_entrance), ("AddressFloor", order.address_floor),
            ("Phone", order.phone), ("Email", order.email),
        ):
            if value:
                attrib[name] = value
        if order.delivery_date:
            attrib["DeliveryDate"] = date_text(order.delivery_date)
        attrib["Status"] = order_status_text(order.status, fmt)
        for name, value in (("Comment", order.comment), ("FirstName", order.first_name), ("LastName", order.last_name)):
            if value:
                attrib[name] = value
        el = _sub(root, fmt, "Order", attrib=attrib)
        if order.lines:
            goods = _sub(el, fmt, "Goods")
            for line in order.lines:
                line_attrib = {"Code": line.code, "Quantity": decimal_text(line.quantity), "Price": money(line.price),
                               "Sum": money(line.amount), "GoodUUID": line.good_uuid}
                if line.characteristic_uuid:
                    line_attrib["CharacteristicUUID"] = line.characteristic_uuid
                if line.pack_uuid:
                    line_attrib["PackUUID"] = line.pack_uuid
                _sub(goods, fmt, "Good", attrib=line_attrib)
        if order.payments:
            payments = _sub(el, fmt, "Payments")
            for p in order.payments:
                _sub(payments, fmt, "Payment", attrib={
                    "Cash": money(p.cash), "ElectronicPayment": money(p.electronic), "PrePayment": money(p.prepayment),
                    "PostPayment": money(p.postpayment), "Barter": money(p.barter),
                })
    return serialize(root)


# --- PostDocsResponse -----------------------------------------------------------------


def build_post_docs_response(*, success: bool, description: str, fmt: FormatVersion) -> bytes:
    root = _root("PostDocsResponse", fmt)
    _sub(root, fmt, "IsSuccess", boolean(success))
    if description:
        _sub(root, fmt, "Description", description)
    return serialize(root)


# --- SaleReports (what a device uploads; for simulators, benchmarks and tests) ---------


def build_sale_reports(shifts: list[SaleReportDoc], fmt: FormatVersion) -> bytes:
    """A PostDocs `SaleReports` document as 1С:Мобильная касса writes it."""
    root = _root("SaleReports", fmt)
    for shift in shifts:
        attrib = {"ShiftNumber": shift.shift_number, "OpeningDate": date_text(shift.opened_at)}
        if shift.closed_at is not None:
            attrib["ClosingDate"] = date_text(shift.closed_at)
        elif fmt.closing_date_required:
            raise BuildError(f"в формате {fmt.label} смену передают закрытой (ClosingDate обязателен)")
        if shift.uuid:
            attrib["UUID"] = str(shift.uuid)
        if not fmt.shift_state_element:
            attrib["ShiftState"] = str(shift.shift_state)
        report = _sub(root, fmt, "SaleReport", attrib=attrib)
        if shift.checks:
            checks = _sub(report, fmt, "Checks")
            for check in shift.checks:
                _check_element(checks, fmt, check)
        if shift.cash_movements:
            movements = _sub(report, fmt, "IncomeOutcomeChecks")
            for m in shift.cash_movements:
                attrib = {"Date": date_text(m.date), "Number": m.number, "Type": m.type, "Sum": money(m.amount)}
                if m.uuid:
                    attrib["UUID"] = str(m.uuid)
                _sub(movements, fmt, "IncomeOutcomeCheck", attrib=attrib)
        if fmt.shift_state_element:
            _sub(report, fmt, "ShiftState", str(shift.shift_state))
    return serialize(root)


def _check_element(parent, fmt: FormatVersion, check) -> None:
    attrib = {"Date": date_text(check.date), "Number": check.number, "TaxationSystem": str(check.taxation_system),
              "OperationType": str(check.operation_type)}
    if check.uuid:
        attrib["UUID"] = str(check.uuid)
    if check.ref_uuid:
        attrib["RefDocumentUUID"] = str(check.ref_uuid)
    if check.ref_type:
        attrib["RefDocumentType"] = check.ref_type
    el = _sub(parent, fmt, "Check", attrib=attrib)
    if check.lines:
        goods = _sub(el, fmt, "Goods")
        for line in check.lines:
            attrib = {"Code": line.code, "Quantity": decimal_text(line.quantity), "Price": money(line.price),
                      "Sum": money(line.amount), "TaxRate": line.tax_rate, "PaymentMethod": str(line.payment_method)}
            for name, value in (("GoodUUID", line.good_uuid), ("CharacteristicUUID", line.characteristic_uuid),
                                ("PackingUUID", line.packing_uuid)):
                if value:
                    attrib[name] = str(value)
            if line.excise_stamps and not fmt.excise_stamps:
                if len(line.excise_stamps) > 1:
                    raise BuildError(f"в формате {fmt.label} у строки чека одна акцизная марка")
                attrib["AlcoholExciseStamp"] = line.excise_stamps[0]
            good = _sub(goods, fmt, "Good", attrib=attrib)
            if line.excise_stamps and fmt.excise_stamps:
                stamps = _sub(good, fmt, "ExciseStamps")
                for stamp in line.excise_stamps:
                    _sub(stamps, fmt, "ExciseStamp", stamp)
    if check.payments:
        payments = _sub(el, fmt, "Payments")
        for p in check.payments:
            attrib = {"Cash": money(p.cash), "ElectronicPayment": money(p.electronic),
                      "PrePayment": money(p.prepayment), "PostPayment": money(p.postpayment),
                      "Barter": money(p.barter)}
            if p.option_code:
                attrib["ElectronicPaymentOptionCode"] = p.option_code
            if p.option_uuid:
                attrib["ElectronicPaymentOptionUUID"] = str(p.option_uuid)
            _sub(payments, fmt, "Payment", attrib=attrib)
