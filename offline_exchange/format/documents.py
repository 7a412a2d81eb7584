"""Plain dataclasses of the documents the server sends to a device."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class PaymentOption:
    code: str
    payment_type: int
    name: str
    uuid: str | None = None


@dataclass
class SettingsData:
    company_name: str = ""
    store_name: str = ""
    taxation_systems: list[int] = field(default_factory=list)
    inn: str = ""
    kpp: str = ""
    sale_address: str = ""
    sale_location: str = ""
    sender_email: str = ""
    allow_discounts: bool | None = None
    allow_payment_cards: bool | None = None
    payment_options: list[PaymentOption] = field(default_factory=list)


@dataclass
class BarcodeData:
    value: str
    type: str = ""


@dataclass
class PackData:
    code: str
    uuid: str
    name: str
    units_per_pack: Decimal
    price: Decimal | None = None
    balance: Decimal | None = None
    barcodes: list[BarcodeData] = field(default_factory=list)


@dataclass
class CharacteristicData:
    code: str
    uuid: str
    name: str
    price: Decimal | None = None
    balance: Decimal | None = None
    barcodes: list[BarcodeData] = field(default_factory=list)
    packs: list[PackData] = field(default_factory=list)


@dataclass
class AlcoholData:
    is_excisable: bool
    kind_code: str
    container_size: Decimal
    strength: Decimal
    vendor_inn: str
    vendor_kpp: str
    is_draught: bool


@dataclass
class GoodData:
    uuid: str
    name: str
    tax_rate: str
    calculation_subject: int = 1
    code: str = ""
    price: Decimal | None = None
    balance: Decimal | None = None
    unit_code: str = ""
    unit_uuid: str = ""
    group_code: str = ""
    group_uuid: str = ""
    article: str = ""
    description: str = ""
    is_weight: bool = False
    # A marked good: its kind (1..22 as 3.3 numbers them; 3.1/3.2 carry 1..3 and mark the others without a code).
    marked_type_code: int | None = None
    classification_code: str = ""  # GoodClassificationCode, written from 3.2
    is_excisable: bool = False  # IsExcisable, written in 3.3
    alcohol: AlcoholData | None = None
    barcodes: list[BarcodeData] = field(default_factory=list)
    characteristics: list[CharacteristicData] = field(default_factory=list)
    packs: list[PackData] = field(default_factory=list)


@dataclass
class GroupData:
    code: str
    name: str
    uuid: str
    parent_code: str = ""
    parent_uuid: str = ""


@dataclass
class UnitData:
    code: str
    name: str
    uuid: str = ""
    okei_code: str = ""


@dataclass
class PriceListData:
    full: bool = False
    groups: list[GroupData] = field(default_factory=list)
    units: list[UnitData] = field(default_factory=list)
    goods: list[GoodData] = field(default_factory=list)


@dataclass
class OrderLineData:
    code: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    good_uuid: str
    characteristic_uuid: str = ""
    pack_uuid: str = ""


@dataclass
class PaymentData:
    cash: Decimal = Decimal("0")
    electronic: Decimal = Decimal("0")
    prepayment: Decimal = Decimal("0")
    postpayment: Decimal = Decimal("0")
    barter: Decimal = Decimal("0")


@dataclass
class OrderData:
    date: datetime
    number: str
    uuid: str
    status: str  # "not_agreed" | "agreed" | "cancelled"; the builder spells it per version
    address_city: str = ""
    address_street: str = ""
    address_building: str = ""
    address_apartment: str = ""
    address_entrance: str = ""
    address_floor: str = ""
    phone: str = ""
    email: str = ""
    delivery_date: datetime | None = None
    comment: str = ""
    first_name: str = ""
    last_name: str = ""
    lines: list[OrderLineData] = field(default_factory=list)
    payments: list[PaymentData] = field(default_factory=list)
