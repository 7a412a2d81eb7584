"""The seed's demo base: what a store admin would have after following the set-up instruction."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from common.money import to_money
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CashMovementDoc, CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.models import (
    CashRegister,
    ExchangeRule,
    ExchangeSettings,
    OfflineDevice,
    PaymentKind,
    PaymentMapping,
    SkuCode,
)
from offline_exchange.services.sales import sales_reports_import
from offline_exchange.services.sku import sku_generate_for_rule
from retail.models import (
    STOCK_DOCUMENTS,
    AccountingSettings,
    Barcode,
    CashWithdrawal,
    Characteristic,
    Counterparty,
    CustomerOrder,
    CustomerOrderLine,
    CustomerOrderPayment,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    ItemGroup,
    OpeningBalance,
    OpeningBalanceLine,
    Organization,
    Pack,
    Price,
    PriceType,
    RetailSalesReport,
    StockCount,
    StockCountLine,
    Store,
    Unit,
    Warehouse,
    WriteOff,
    WriteOffLine,
)
from retail.services.numbering import document_number_assign
from retail.services.orders import order_save
from retail.services.posting import document_post, document_unpost, stock_book_quantity

DEMO_DEVICE_ID = "0001234567890123"
# A second register on format 3.3, what current 1C servers preset, so both versions can be tried.
DEMO_DEVICE_33_ID = "0001234567890124"
# The registers the demo sets up; its `sync` login is bound to them (and only to them).
DEMO_DEVICE_IDS = [DEMO_DEVICE_ID, DEMO_DEVICE_33_ID]
SYNC_GROUP = "Выполнение синхронизации данных"
PRICE_DATE = dt.date(2024, 1, 1)
# Stable ids, so a second run and every machine give the same base.
NS = uuid.UUID("6f1c3c7e-6a42-4a53-9d1e-2b8f0c9e0a10")


def _uuid(key: str) -> uuid.UUID:
    return uuid.uuid5(NS, key)


@dataclass
class DemoItem:
    key: str
    name: str
    article: str
    group: str
    price: str
    vat: str = "none"
    unit: str = "796"
    barcode: str = ""
    weight: bool = False
    characteristics: tuple = ()
    packs: tuple = ()  # (name, coefficient, barcode)
    marking: int | None = None
    alcohol: bool = False
    kind: str = Item.Kind.GOODS
    subject: int = 1
    balance: str = "10"


ITEMS = [
    DemoItem("puzzle", "СТЕР Пазл 1000 Английский котенок", "79052", "toys", "183.00", barcode="4607131410042"),
    DemoItem("beetle", "Автомобиль \"Жук\"", "П-0780", "toys", "250.00", barcode="4630005120787"),
    DemoItem("cubes", "Кубики деревянные 12 шт", "КД-12", "toys", "320.00", vat="20", barcode="4601234500017"),
    DemoItem("doll", "Кукла «Маша» 30 см", "КМ-30", "toys", "899.00", vat="20", barcode="4601234500024"),
    DemoItem("ball", "Мяч резиновый 15 см", "МР-15", "toys", "145.00", vat="20", barcode="4601234500031"),
    DemoItem("constructor", "Конструктор «Город» 250 деталей", "КГ-250", "toys", "1490.00", vat="20", barcode="4601234500048"),
    DemoItem("bodysuit", "Боди детское хлопок", "БД-01", "clothes", "450.00", vat="10",
             characteristics=(("Рост 62, белый", "4601234500055"), ("Рост 68, белый", "4601234500062"),
                              ("Рост 74, голубой", "4601234500079"))),
    DemoItem("socks", "Носки детские", "НД-02", "clothes", "95.00", vat="20",
             characteristics=(("Размер 12", "4601234500086"), ("Размер 14", "4601234500093"))),
    DemoItem("sandals", "Сандалии детские кожаные", "СД-25", "shoes", "1890.00", vat="20", barcode="4601234500109",
             marking=3),
    DemoItem("diapers", "Подгузники размер 3, 1 шт", "ПГ-3", "care", "25.00", vat="10", barcode="4601234500116",
             packs=(("Упаковка 52 шт", "52", "4601234500123"),)),
    DemoItem("wipes", "Салфетки влажные детские 80 шт", "СВ-80", "care", "129.00", vat="20", barcode="4601234500130",
             packs=(("Коробка 12 упак.", "12", "4601234500147"),)),
    DemoItem("puree", "Пюре яблочное 90 г", "ПЯ-90", "food", "54.00", vat="10", barcode="4601234500154",
             packs=(("Упаковка 6 шт", "6", "4601234500161"),)),
    DemoItem("cookies", "Печенье детское весовое", "ПД-В", "food", "410.00", vat="10", unit="166", weight=True,
             barcode="2200100000005", balance="12.5"),
    DemoItem("apples", "Яблоки Голден, вес.", "ЯГ-В", "food", "129.90", vat="10", unit="166", weight=True,
             barcode="2200101000004", balance="35.5"),
    DemoItem("juice", "Сок детский яблочный 0,2 л", "СД-02", "food", "49.00", vat="10", barcode="4601234500178"),
    DemoItem("milk", "Смесь молочная 350 г", "СМ-350", "food", "760.00", vat="10", barcode="4601234500185"),
    DemoItem("cigarettes", "Сигареты «Пример» 20 шт", "СП-20", "other", "180.00", vat="20", barcode="4600266011725",
             marking=2, subject=2),
    DemoItem("wine", "Вино красное сухое 0,75 л", "ВК-075", "other", "749.00", vat="20", barcode="4601234567916",
             alcohol=True, subject=2),
    DemoItem("gift_wrap", "Упаковка подарка", "", "services", "50.00", kind=Item.Kind.SERVICE, subject=4, balance="0"),
    DemoItem("balloon", "Шар воздушный", "ШВ-1", "toys", "35.00", vat="20", barcode="4601234500192", balance="0"),
    DemoItem("book", "Книга «Сказки» твердый переплет", "КС-01", "books", "520.00", vat="10", barcode="9785170000011"),
    DemoItem("pencils", "Карандаши цветные 24 цв.", "КЦ-24", "books", "260.00", vat="20", barcode="4601234500208"),
]

GROUPS = [
    ("01", "Детские товары", None), ("toys", "Игрушки", "01"), ("clothes", "Одежда", "01"),
    ("shoes", "Обувь", "01"), ("care", "Гигиена", "01"), ("food", "Детское питание", "01"),
    ("books", "Книги и канцтовары", "01"), ("services", "Услуги", None), ("other", "Прочее", None),
]


def _register(*, name: str, device: OfflineDevice, org, store, card: PaymentKind) -> CashRegister:
    register, _ = CashRegister.objects.update_or_create(name=name, defaults={
        "kind": CashRegister.Kind.OFFLINE, "organization": org, "store": store, "device": device,
        "default_electronic_payment_kind": card})
    PaymentMapping.objects.update_or_create(cash_register=register, code="1", defaults={
        "name": "Банковская карта", "payment_kind": card})
    return register


DEMO_USERS = {"admin", "sync"}
DEMO_ORGANIZATION = 'Торговый дом "Комплексный"'
DEMO_STORE = 'Магазин "Детские товары", Воронеж'


def demo_base_is_empty() -> bool:
    """Nothing anyone made yet: no login, organization, store, item or device (a freshly migrated base)."""
    return not any(model.objects.exists() for model in (User, Organization, Store, Item, OfflineDevice))


def demo_base_foreign_data() -> list[str]:
    """What in this database the demo did not create (empty for an empty or a demo base)."""
    found = []
    users = list(User.objects.exclude(username__in=DEMO_USERS).values_list("username", flat=True)[:5])
    if users:
        found.append("пользователи " + ", ".join(users))
    organizations = list(Organization.objects.exclude(name=DEMO_ORGANIZATION).values_list("name", flat=True)[:5])
    if organizations:
        found.append("организации " + ", ".join(organizations))
    stores = list(Store.objects.exclude(name=DEMO_STORE).values_list("name", flat=True)[:5])
    if stores:
        found.append("магазины " + ", ".join(stores))
    return found
def _opening_cost(d: DemoItem) -> Decimal:
    """The seed's goods cost 60% of their retail price: the demo's margins look like a store's."""
    return to_money(Decimal(d.price) * Decimal("0.6"))


def _opening_balances(*, organization, warehouse, lines) -> OpeningBalance:
    """The seed's balances as a posted «Ввод начальных остатков»; a second run brings them back.

    Every other document the demo made on the warehouse is unposted first, so the seed's stock is
    exactly these quantities again."""
    for model in [*STOCK_DOCUMENTS, CashWithdrawal]:
        for document in model.objects.filter(posted=True).exclude(uuid=_uuid("opening")):
            document_unpost(document=document)
    for report in RetailSalesReport.objects.filter(posted=True, warehouse=warehouse):
        document_unpost(document=report)
    opening, _ = OpeningBalance.objects.update_or_create(uuid=_uuid("opening"), defaults={
        "date": dt.datetime.combine(PRICE_DATE, dt.time(9, 0)), "organization": organization, "warehouse": warehouse,
        "comment": "Остатки на начало работы с бэк-офисом"})
    document_number_assign(document=opening)
    opening.save()
    opening.lines.all().delete()
    OpeningBalanceLine.objects.bulk_create([
        OpeningBalanceLine(document=opening, line_number=n, item=item, characteristic=ch, quantity=quantity,
                           price=cost)
        for n, (item, ch, quantity, cost) in enumerate([line for line in lines if line[2]], 1)])
    document_post(document=opening, reason="Демонстрационная база")
    return opening


def _demo_settings() -> None:
    """Goods get SKUs by themselves, the exchange is on, orders are closed by a person."""
    config = ExchangeSettings.load()
    config.auto_generate_sku = True
    config.offline_exchange_enabled = True
    config.save()
    # The walkthrough shows 1C's way: the courier's sale leaves ТДРТ-000001 «Готов к закрытию» and a person
    # closes it. Set, not assumed: a demo base upgraded from before manual closing was the default kept the
    # automatic closing it ran on (retail 0120), and a re-run brings the seed back.
    accounting = AccountingSettings.load()
    accounting.manual_order_closing = True
    accounting.save()


def _demo_places():
    """The organization, the store with its warehouses, and the retail price type."""
    retail_price, _ = PriceType.objects.get_or_create(name="Розничная цена")
    org, _ = Organization.objects.update_or_create(
        name=DEMO_ORGANIZATION,
        defaults={"inn": "7701234566", "kpp": "770101001", "taxation_systems": [0], "email": "check@complex.example",
                  "number_prefix": "ТДРТ"},
    )
    store, _ = Store.objects.update_or_create(
        name=DEMO_STORE,
        defaults={"address": "394036, г. Воронеж, ул. Карла Маркса, д. 67", "retail_price_type": retail_price},
    )
    main_wh, _ = Warehouse.objects.update_or_create(name="Общий склад", defaults={"store": store})
    Warehouse.objects.update_or_create(name='Отдел магазина "Детские товары"', defaults={"store": store})

    return org, store, main_wh, retail_price


def _demo_catalog(*, retail_price) -> tuple[dict[str, Item], list[tuple]]:
    """The goods with their groups, units, prices, characteristics, packs and barcodes; and the opening
    balance lines (item, characteristic, quantity, cost)."""
    units = {}
    for code, name in (("796", "шт"), ("166", "кг")):
        units[code], _ = Unit.objects.update_or_create(okei_code=code, defaults={"name": name, "uuid": _uuid(f"unit:{code}")})

    groups: dict[str, ItemGroup] = {}
    for index, (key, name, parent) in enumerate(GROUPS, start=1):
        groups[key], _ = ItemGroup.objects.update_or_create(
            uuid=_uuid(f"group:{key}"),
            defaults={"code": f"{index:02d}", "name": name, "parent": groups.get(parent) if parent else None},
        )

    items: dict[str, Item] = {}
    opening_lines: list[tuple] = []
    for d in ITEMS:
        item, _ = Item.objects.update_or_create(uuid=_uuid(f"item:{d.key}"), defaults={
            "name": d.name, "article": d.article, "group": groups[d.group], "base_unit": units[d.unit],
            "vat_rate": d.vat, "is_weight": d.weight, "marking_kind": d.marking, "kind": d.kind,
            "calculation_subject": d.subject, "is_alcohol": d.alcohol,
            **({"alcohol_is_excisable": True, "alcohol_kind_code": "400", "alcohol_volume": Decimal("0.75"),
                "alcohol_strength": Decimal("12.5"), "alcohol_vendor_inn": "2309012345",
                "alcohol_vendor_kpp": "230901001"} if d.alcohol else {}),
        })
        items[d.key] = item
        Price.objects.update_or_create(price_type=retail_price, item=item, characteristic=None, date=PRICE_DATE,
                                       defaults={"value": Decimal(d.price)})
        if d.barcode:
            Barcode.objects.update_or_create(value=d.barcode, defaults={"item": item, "characteristic": None, "pack": None,
                                                                        "barcode_type": "EAN13"})
        for ch_name, ch_barcode in d.characteristics:
            ch, _ = Characteristic.objects.update_or_create(uuid=_uuid(f"char:{d.key}:{ch_name}"),
                                                            defaults={"item": item, "name": ch_name})
            Barcode.objects.update_or_create(value=ch_barcode, defaults={"item": item, "characteristic": ch, "pack": None,
                                                                         "barcode_type": "EAN13"})
            opening_lines.append((item, ch, Decimal(d.balance), _opening_cost(d)))
        for pack_name, coefficient, pack_barcode in d.packs:
            pack, _ = Pack.objects.update_or_create(uuid=_uuid(f"pack:{d.key}:{pack_name}"), defaults={
                "item": item, "name": pack_name, "coefficient": Decimal(coefficient)})
            Barcode.objects.update_or_create(value=pack_barcode, defaults={"item": item, "characteristic": None,
                                                                           "pack": pack, "barcode_type": "EAN13"})
        if not d.characteristics and d.kind == Item.Kind.GOODS:
            opening_lines.append((item, None, Decimal(d.balance), _opening_cost(d)))

    return items, opening_lines


def _demo_devices(*, org, store, main_wh):
    """The exchange rule, the two registers (formats 3.1 and 3.3) and the payment kinds."""
    rule, _ = ExchangeRule.objects.update_or_create(
        name="Мобильная касса: Общий склад", defaults={"warehouse": main_wh, "export_groups": True})
    device, _ = OfflineDevice.objects.update_or_create(device_id=DEMO_DEVICE_ID, defaults={
        "name": "1С:Мобильная касса (Воронеж)", "organization": org, "rule": rule, "in_use": True,
        "format_version": 3001, "exchange_kind": OfflineDevice.ExchangeKind.WEB_SERVICE,
        "allow_discounts": False, "allow_payment_cards": True, "items_per_package": 10,
    })
    card, _ = PaymentKind.objects.update_or_create(name="Оплата платежной картой",
                                                   defaults={"type": PaymentKind.Type.PAYMENT_CARD})
    PaymentKind.objects.update_or_create(name="Наличные", defaults={"type": PaymentKind.Type.CASH})
    PaymentKind.objects.update_or_create(name="Кредит Банк Воронеж", defaults={
        "type": PaymentKind.Type.BANK_CREDIT, "bank": 'АО "Банк Воронеж"', "commission_percent": Decimal("3.50")})
    register = _register(name="Мобильная касса ККМ", device=device, org=org, store=store, card=card)
    device_33, _ = OfflineDevice.objects.update_or_create(device_id=DEMO_DEVICE_33_ID, defaults={
        "name": "1С:Мобильная касса 2 (Воронеж, формат 3.3)", "organization": org, "rule": rule, "in_use": True,
        "format_version": 3003, "exchange_kind": OfflineDevice.ExchangeKind.WEB_SERVICE,
        "allow_discounts": False, "allow_payment_cards": True, "items_per_package": 10,
    })
    register_33 = _register(name="Мобильная касса ККМ 2", device=device_33, org=org, store=store, card=card)
    # A second run brings edited goods back to the seed: the feed's triggers record every row it changes.
    sku_generate_for_rule(rule=rule)

    return rule, device, register, device_33, register_33


def _demo_order(*, org, store, main_wh, register, items) -> CustomerOrder:
    """ТДРТ-000001, to be delivered by the courier's register."""
    customer, _ = Counterparty.objects.update_or_create(name="Розничный покупатель", defaults={
        "first_name": "Иван", "last_name": "Петров", "phone": "+7 900 000-00-00"})
    order, _ = CustomerOrder.objects.update_or_create(number="ТДРТ-000001", defaults={
        "date": dt.datetime(2024, 3, 15, 10, 5), "status": CustomerOrder.Status.AGREED, "is_cancelled": False,
        "counterparty": customer, "store": store, "warehouse": main_wh, "organization": org,
        "desired_date": dt.datetime(2024, 3, 16, 12, 0), "address_city": "Воронеж",
        "address_street": "ул. Плехановская", "address_building": "10", "address_apartment": "5",
        "phone": "+7 900 000-00-00", "email": "client@example.org", "comment": "Позвонить за час",
        "courier_cash_register": register,
    })
    order_save(order=order)  # its year and sequence, so the next order of the prefix is ТДРТ-000002
    order.lines.all().delete()
    order.payments.all().delete()
    # 183,00 + 183,00 at 10% VAT (not the catalog's rate: the order's own terms) = 366,00, VAT 33,27.
    CustomerOrderLine.objects.create(order=order, item=items["puzzle"], quantity=Decimal("2"), price=Decimal("183.00"),
                                     amount=Decimal("366.00"), vat_rate="10", vat_amount=Decimal("33.27"))
    CustomerOrderPayment.objects.create(order=order, date=dt.datetime(2024, 3, 15, 10, 10),
                                        kind=CustomerOrderPayment.Kind.ELECTRONIC, amount=Decimal("100.00"))

    return order


def _demo_logins() -> None:
    """The sync login bound to the demo registers, and the superuser."""
    # The migration creates the group; get_or_create keeps the demo working after a flushed database.
    sync_group, _ = Group.objects.get_or_create(name=SYNC_GROUP)
    sync_group.permissions.add(Permission.objects.get(codename="sync_data", content_type__app_label="offline_exchange"))
    sync_user, _ = User.objects.get_or_create(username="sync")
    sync_user.set_password("sync")
    sync_user.is_active = True
    sync_user.save()
    sync_user.groups.add(sync_group)
    # A login syncs only the registers bound to it.
    for demo_device in OfflineDevice.objects.filter(device_id__in=DEMO_DEVICE_IDS):
        demo_device.users.add(sync_user)
    admin, _ = User.objects.get_or_create(username="admin")
    admin.set_password("admin")
    admin.is_staff = admin.is_superuser = admin.is_active = True
    admin.save()


@transaction.atomic
def demo_base_create(*, base_name: str = "rt") -> dict:
    """Create (or bring back to the seed's state) the demo base; returns what was set up."""
    _demo_settings()
    org, store, main_wh, retail_price = _demo_places()
    items, opening_lines = _demo_catalog(retail_price=retail_price)
    _opening_balances(organization=org, warehouse=main_wh, lines=opening_lines)
    rule, device, register, device_33, register_33 = _demo_devices(org=org, store=store, main_wh=main_wh)
    order = _demo_order(org=org, store=store, main_wh=main_wh, register=register, items=items)
    _demo_logins()
    return {
        "organization": org, "store": store, "warehouse": main_wh, "rule": rule, "device": device,
        "cash_register": register, "device_33": device_33, "cash_register_33": register_33, "order": order, "items": len(items), "base_name": base_name,
    }


HISTORY_GOODS = [("79052", "183.00", "none"), ("П-0780", "250.00", "none"), ("КД-12", "320.00", "20"),
                 ("КМ-30", "899.00", "20"), ("МР-15", "145.00", "20"), ("СД-02", "49.00", "10"),
                 ("ЯГ-В", "129.90", "10")]


def _sellable():

    codes = dict(SkuCode.objects.filter(characteristic=None, pack=None).values_list("item__article", "number"))
    return [SellableGood(str(codes[article]), Decimal(price), tax, weight=article.endswith("-В"))
            for article, price, tax in HISTORY_GOODS]


def demo_history_create(*, today: dt.date | None = None) -> dict:
    """A week of a store's life, so every report shows something: a receipt, a shift a day (through the
    same import as a register's upload), a write-off and a count. Dates follow today; a second run the
    same day gives the same documents."""

    today = today or dt.date.today()
    org = Organization.objects.get(number_prefix="ТДРТ")
    warehouse = Warehouse.objects.get(name="Общий склад")
    device = OfflineDevice.objects.get(device_id=DEMO_DEVICE_ID)
    item = {i.article: i for i in Item.objects.all()}
    supplier, _ = Counterparty.objects.get_or_create(name='ООО "Игрушки оптом"')

    def document(model, key, day, hour, lines, line_model, **fields):
        doc, _ = model.objects.update_or_create(uuid=_uuid(f"history:{key}"), defaults={
            "date": dt.datetime.combine(today - dt.timedelta(days=day), dt.time(hour, 0)), "organization": org,
            **fields})
        document_number_assign(document=doc)
        doc.save()
        doc.lines.all().delete()
        for n, values in enumerate(lines, 1):
            line_model.objects.create(document=doc, line_number=n, **values)
        document_post(document=doc, reason="Демонстрационная база")
        return doc

    receipt = document(GoodsReceipt, "receipt", 6, 8, [
        {"item": item[article], "quantity": Decimal(quantity), "price": Decimal(price),
         "amount": Decimal(quantity) * Decimal(price)}
        for article, quantity, price in (("79052", 20, "110.00"), ("П-0780", 30, "150.00"), ("КД-12", 24, "190.00"),
                                         ("КМ-30", 12, "540.00"), ("МР-15", 30, "80.00"), ("СД-02", 48, "28.00"),
                                         ("ЯГ-В", "25.5", "79.00"))
    ], GoodsReceiptLine, warehouse=warehouse, supplier=supplier, supplier_document="УПД-1187")

    goods, shifts = _sellable(), []
    for n, day in enumerate(range(6, 0, -1), 1):
        opened = dt.datetime.combine(today - dt.timedelta(days=day), dt.time(9, 0))
        doc = synthetic_shift(goods=goods, checks=4 + n % 3, lines=2, opened_at=opened, shift_number=str(n),
                              seed=n, returns_every=5)
        doc.uuid = _uuid(f"history:shift:{n}")
        doc.closed_at = opened.replace(hour=21)
        doc.cash_movements = [
            CashMovementDoc(date=opened, number="1", type="Income", amount=Decimal("2000.00"),
                            uuid=_uuid(f"history:shift:{n}:in")),
            CashMovementDoc(date=doc.closed_at, number="2", type="Outcome", amount=Decimal("1500.00"),
                            uuid=_uuid(f"history:shift:{n}:out")),
        ]
        shifts.append(doc)
    reports = sales_reports_import(device=device, shifts=shifts).reports

    write_off = document(WriteOff, "write-off", 3, 19, [{"item": item["МР-15"], "quantity": Decimal(1)}],
                         WriteOffLine, warehouse=warehouse, reason="Брак: порван при выкладке")
    count_at = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(22, 0))
    book = stock_book_quantity(warehouse_id=warehouse.pk, item_id=item["КД-12"].pk, characteristic_id=None,
                               at=count_at)
    count = document(StockCount, "count", 2, 22, [
        {"item": item["КД-12"], "counted_quantity": book - 1},
        {"item": item["КМ-30"], "counted_quantity": stock_book_quantity(
            warehouse_id=warehouse.pk, item_id=item["КМ-30"].pk, characteristic_id=None, at=count_at)},
    ], StockCountLine, warehouse=warehouse, comment="Пересчет игрушек")
    return {"receipt": receipt, "reports": reports, "write_off": write_off, "count": count}


class DemoBaseMissingError(Exception):
    """The shift names the demo's goods and order, which this base does not have."""


def demo_seed_shift(*, when: dt.datetime | None = None) -> bytes:
    """What the demo register would upload after a day: one «СТЕР Пазл» and one «Автомобиль "Жук"» for
    cash, and the courier's check that ships and pays order ТДРТ-000001 (prepaid 100,00 by card).
    Reads the base, writes nothing."""

    when = (when or dt.datetime.now()).replace(microsecond=0)
    codes = dict(SkuCode.objects.filter(item__article__in=("79052", "П-0780"), characteristic=None, pack=None)
                 .values_list("item__article", "number"))
    order = CustomerOrder.objects.filter(number="ТДРТ-000001").first()
    if len(codes) != 2 or order is None:
        raise DemoBaseMissingError("В базе нет демо-данных (товаров «СТЕР Пазл» и «Автомобиль \"Жук\"» с кодами SKU "
                                   "и заказа ТДРТ-000001): смену демо-кассы не из чего составить. Загрузите "
                                   "демо-базу: manage.py demo_data.")
    code = {article: str(number) for article, number in codes.items()}

    def pay(cash="0", prepaid="0"):
        return PaymentDoc(cash=Decimal(cash), electronic=Decimal(0), prepayment=Decimal(prepaid),
                          postpayment=Decimal(0), barter=Decimal(0))

    def good(article, quantity, price, tax):
        quantity, price = Decimal(quantity), Decimal(price)
        return CheckLineDoc(line=0, code=code[article], quantity=quantity, price=price, amount=quantity * price,
                            tax_rate=tax, payment_method=4)

    checks = [
        CheckDoc(line=0, date=when - dt.timedelta(hours=2), number="1", taxation_system=0, operation_type=1,
                 uuid=_uuid(f"seed:{when:%Y%m%d%H%M%S}:1"),
                 lines=[good("79052", 1, "183.00", "none"), good("П-0780", 1, "250.00", "none")],
                 payments=[pay(cash="433.00")]),
        CheckDoc(line=0, date=when - dt.timedelta(hours=1), number="2", taxation_system=0, operation_type=1,
                 uuid=_uuid(f"seed:{when:%Y%m%d%H%M%S}:2"), ref_uuid=order.uuid, ref_type="Order",
                 lines=[good("79052", 2, "183.00", "10")], payments=[pay(cash="266.00", prepaid="100.00")]),
    ]
    shift = SaleReportDoc(line=0, shift_number="100", opened_at=when - dt.timedelta(hours=3), closed_at=when,
                          shift_state=1, uuid=_uuid(f"seed:{when:%Y%m%d%H%M%S}"), checks=checks, cash_movements=[])
    return build_sale_reports([shift], FORMAT_3001)
