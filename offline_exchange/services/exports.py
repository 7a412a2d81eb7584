"""Settings, GetGood and orders for a device (PROTOCOL §4, §5 GetGood, §6)."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from offline_exchange.exceptions import ExchangeError
from offline_exchange.format.builders import build_orders, build_price_list, build_settings
from offline_exchange.format.codes import position_code
from offline_exchange.format.documents import OrderData, OrderLineData, PaymentData, PaymentOption, SettingsData
from offline_exchange.format.versions import get_format
from offline_exchange.models import CashRegister, OfflineDevice, OrderDue, SkuCode
from offline_exchange.services.feed import feed_high_water, orders_changed
from offline_exchange.services.price_list import device_format, price_list_collect
from retail.models import Barcode, CustomerOrder, SalesReportSettlement

# A cancellation is never sold, so no sale proves it arrived: it goes with this many GetDocs answers.
CANCELLED_ORDER_SENDS = 3


def order_is_exportable(order: CustomerOrder) -> bool:
    return not (order.status == CustomerOrder.Status.CLOSED and not order.is_cancelled)


def settings_collect(*, device: OfflineDevice) -> SettingsData:
    organization = device.organization
    store = device.rule.warehouse.store
    register = CashRegister.objects.filter(device=device).first()
    options = []
    if register is not None:
        for mapping in register.payment_mappings.select_related("payment_kind").order_by("code"):
            kind = mapping.payment_kind
            options.append(PaymentOption(
                code=mapping.code, payment_type=kind.electronic_payment_type,
                name=mapping.name or kind.name, uuid=str(kind.uuid),
            ))
    return SettingsData(
        company_name=organization.name,
        store_name=store.name if store else "",
        taxation_systems=organization.taxation_system_codes(),
        inn=organization.inn,
        kpp=organization.kpp,
        sale_address=store.address if store else "",
        sender_email=organization.email,
        # Written even when false, so the device switches the feature off.
        allow_discounts=device.allow_discounts,
        allow_payment_cards=device.allow_payment_cards,
        payment_options=options,
    )


def settings_export(*, device: OfflineDevice) -> bytes:
    return build_settings(settings_collect(device=device), get_format(device.format_version))


def _leaf_barcodes(good) -> list[str]:
    """The barcodes of a per-position Good's one position (on the Good, its characteristic or its pack)."""
    holders = [good, *good.characteristics, *good.packs]
    holders += [pack for ch in good.characteristics for pack in ch.packs]
    return [barcode.value for holder in holders for barcode in holder.barcodes]


def good_by_barcode(*, device: OfflineDevice, barcode: str) -> bytes:
    """The position of the device's rule having this barcode, in the device's shape; an empty PriceList
    when none."""
    fmt = device_format(device)
    value = (barcode or "").strip()
    found = Barcode.objects.filter(value=value).first()
    item_ids = [found.item_id] if found else []
    collected = price_list_collect(device=device, item_ids=item_ids, full=False)
    data = collected.data
    data.groups = []
    if device.goods_shape == OfflineDevice.GoodsShape.POSITIONS:
        # A weighed good's barcodes are not sent (the scales print them): then all its positions.
        data.goods = [good for good in data.goods if value in _leaf_barcodes(good)] or data.goods
    elif found and found.characteristic_id:
        wanted = str(found.characteristic.uuid)
        for good in data.goods:
            good.characteristics = [ch for ch in good.characteristics if ch.uuid == wanted]
    if not data.goods:
        data.units = []
    return build_price_list(data, fmt)


def _order_status(order: CustomerOrder) -> str:
    if order.is_cancelled:
        return "cancelled"
    if order.status == CustomerOrder.Status.AGREED:
        return "agreed"
    return "not_agreed"


def _order_data(order: CustomerOrder, sku: dict[str, int]) -> OrderData:
    """An order as the format writes it; a line's Code is its position's code as the price list writes it."""
    counterparty = order.counterparty
    data = OrderData(
        date=order.date, number=order.number, uuid=str(order.uuid), status=_order_status(order),
        address_city=order.address_city, address_street=order.address_street,
        address_building=order.address_building, address_apartment=order.address_apartment,
        address_entrance=order.address_entrance, address_floor=order.address_floor,
        phone=order.phone or (counterparty.phone if counterparty else ""),
        email=order.email or (counterparty.email if counterparty else ""),
        delivery_date=order.desired_date, comment=order.comment,
        first_name=counterparty.first_name if counterparty else "",
        last_name=counterparty.last_name if counterparty else "",
    )
    for line in order.lines.all():
        key = SkuCode.key_for(line.item_id, line.characteristic_id, line.pack_id)
        if key not in sku:
            raise ExchangeError(
                f"Заказ {order.number}: у позиции «{line.item.name}» нет кода SKU; сгенерируйте SKU и повторите обмен"
            )
        data.lines.append(OrderLineData(
            code=position_code(sku[key], is_weight=line.item.is_weight), quantity=line.quantity, price=line.price, amount=line.amount,
            good_uuid=str(line.item.uuid),
            characteristic_uuid=str(line.characteristic.uuid) if line.characteristic_id else "",
            pack_uuid=str(line.pack.uuid) if line.pack_id else "",
        ))
    # As 1C writes an order's prepayments: cash receipts as Cash, card payments as ElectronicPayment
    # (the register then counts them as paid, not as an advance to be offset).
    cash = sum((p.amount for p in order.payments.all() if p.kind == p.Kind.CASH), Decimal("0"))
    electronic = sum((p.amount for p in order.payments.all() if p.kind != p.Kind.CASH), Decimal("0"))
    if cash:
        data.payments.append(PaymentData(cash=cash))
    if electronic:
        data.payments.append(PaymentData(electronic=electronic))
    return data


@transaction.atomic
def orders_export(*, device: OfflineDevice) -> bytes:
    """The courier orders of the device's register changed since the orders last sent (every open one the
    first time), and every order sent before that the register has not proven it received: delivered at
    least once, not at most once (a lost answer would lose them). The watermark moves to the feed position
    read before the orders were; what is due stays due until `orders_due_confirm`."""
    fmt = get_format(device.format_version)
    device = OfflineDevice.objects.select_for_update().get(pk=device.pk)
    upto = feed_high_water()
    changed = orders_changed(device=device, upto=upto)
    orders_qs = CustomerOrder.objects.filter(courier_cash_register__device=device)
    if changed is not None:
        due = set(OrderDue.objects.filter(device=device).values_list("order_id", flat=True))
        orders_qs = orders_qs.filter(pk__in=sorted(changed | due))
    orders = _orders_exportable(orders_qs)
    content = _orders_content(orders, fmt)
    OfflineDevice.objects.filter(pk=device.pk).update(orders_watermark=upto)
    _orders_due_record(device=device, orders=orders, changed=changed)
    return content


def _orders_exportable(orders_qs) -> list[CustomerOrder]:
    return [order for order in orders_qs.select_related("counterparty")
            .prefetch_related("lines__item", "lines__characteristic", "lines__pack", "payments")
            .order_by("date", "number") if order_is_exportable(order)]


def _orders_content(orders: list[CustomerOrder], fmt) -> bytes:
    item_ids = {line.item_id for order in orders for line in order.lines.all()}
    sku = dict(SkuCode.objects.filter(item_id__in=item_ids).values_list("position_key", "number"))
    return build_orders([_order_data(order, sku) for order in orders], fmt)


def orders_document(*, device: OfflineDevice) -> bytes:
    """Every open courier order of the device's register as GetDocs writes it, read only (nothing moves, nothing
    is marked due): what the register holds once it has taken the orders sent to it («Что получила касса»)."""
    orders = _orders_exportable(CustomerOrder.objects.filter(courier_cash_register__device=device))
    return _orders_content(orders, get_format(device.format_version))


def _orders_due_record(*, device: OfflineDevice, orders: list[CustomerOrder], changed: set[int] | None) -> None:
    """What this answer carried stays due, unless the register has already sold it (its later versions are
    bookkeeping the register needs no proof of); a cancellation stops after CANCELLED_ORDER_SENDS answers;
    an order no longer sent (closed, moved to another register) is no longer due."""
    sent = {order.pk: order for order in orders}
    sold = set(SalesReportSettlement.objects.filter(report__device=device, order_id__in=sorted(sent))
               .values_list("order_id", flat=True))
    OrderDue.objects.filter(device=device).exclude(order_id__in=sorted(set(sent) - sold)).delete()
    known = set(OrderDue.objects.filter(device=device).values_list("order_id", flat=True))
    now = timezone.now()
    OrderDue.objects.bulk_create([OrderDue(device=device, order_id=pk, sends=0) for pk in sorted(set(sent) - sold - known)])
    # A new version of an order (a cancellation among them) is counted from its own first send.
    renewed = OrderDue.objects.filter(device=device)
    if changed is not None:
        renewed = renewed.filter(order_id__in=sorted(changed))
    renewed.update(sends=0)
    OrderDue.objects.filter(device=device).update(sends=F("sends") + 1, last_sent_at=now)
    cancelled = [pk for pk, order in sent.items() if order.is_cancelled]
    OrderDue.objects.filter(device=device, order_id__in=cancelled, sends__gte=CANCELLED_ORDER_SENDS).delete()


def orders_due_confirm(*, device: OfflineDevice, order_ids: set[int]) -> None:
    """The register uploaded a sale of these orders: it has them, they need not be sent again."""
    if order_ids:
        OrderDue.objects.filter(device=device, order_id__in=sorted(order_ids)).delete()
