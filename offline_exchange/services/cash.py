"""After an upload's reports are posted and numbered: what the shift's checks say about cash and returns.

The reports keep the net of each shift (as 1C's do); the cash ledger wants the cash paid back on return
checks apart, and the cost of goods wants the sale a return check names. Both are read from the uploaded
document here and handed to `retail.services.cash`, which also makes the automatic «Выемка денежных
средств из кассы ККМ». Runs in the upload's transaction; a re-sent shift runs it again.
"""
from __future__ import annotations

from decimal import Decimal

from offline_exchange.format.sale_reports import CheckLineDoc, SaleReportDoc
from offline_exchange.models import CashRegister, DeviceCodeAlias, OfflineDevice, PaymentKind, SkuCode
from retail.models import Characteristic, Item, Pack, RetailSalesReport
from retail.services.cash import ReturnedLine, ShiftFacts, sales_report_shift_facts, sales_report_withdrawal_sync

SALE, SALE_RETURN = 1, 2
SETTLEMENT_METHODS = frozenset({4, 5, 6})  # the goods lines the import books (FFD 1214)


def _position(device: OfflineDevice, line: CheckLineDoc) -> tuple[int, int | None, Decimal] | None:
    """(item, characteristic, pack coefficient) of a return line, found as the import finds it: the
    register's own code mapping, then the SKU, then the GoodUUID; the line's characteristic and pack of
    that item complete it. Return lines that name a sale are few: a query or two each."""
    code = line.code.strip()
    found = DeviceCodeAlias.objects.filter(device=device, code=code).values_list(
        "item_id", "characteristic_id", "pack_id").first()
    if found is None and code.isdigit() and len(code) <= 10:
        found = SkuCode.objects.filter(number=int(code)).values_list("item_id", "characteristic_id", "pack_id").first()
    if found is None and line.good_uuid:
        item_id = Item.objects.filter(uuid=line.good_uuid).values_list("pk", flat=True).first()
        found = (item_id, None, None) if item_id else None
    if found is None:
        return None
    item_id, ch_id, pack_id = found
    if ch_id is None and line.characteristic_uuid:
        ch_id = Characteristic.objects.filter(uuid=line.characteristic_uuid, item_id=item_id).values_list(
            "pk", flat=True).first()
    if pack_id is None and line.packing_uuid:
        pack_id = Pack.objects.filter(uuid=line.packing_uuid, item_id=item_id).values_list("pk", flat=True).first()
    coefficient = Pack.objects.get(pk=pack_id).coefficient if pack_id else Decimal(1)
    return item_id, ch_id, coefficient


def shift_facts(*, shift: SaleReportDoc, device: OfflineDevice, register: CashRegister | None) -> ShiftFacts:
    facts = ShiftFacts()
    mapping, default = {}, None
    if register is not None:
        mapping = {m.code.strip(): m.payment_kind for m in register.payment_mappings.select_related("payment_kind")}
        default = register.default_electronic_payment_kind
    facts.sale_checks = [c.uuid for c in shift.checks if c.operation_type == SALE and c.uuid]
    own = set(facts.sale_checks)
    for check in shift.checks:
        if check.operation_type != SALE_RETURN:
            continue
        for payment in check.payments:
            facts.cash_returned += payment.cash
            kind = (mapping.get(payment.option_code) or default) if payment.electronic else None
            # As the import counts them: electronic payments of no kind, or of a cash kind, are cash.
            if payment.electronic and (kind is None or kind.type == PaymentKind.Type.CASH):
                facts.cash_returned += payment.electronic
        # A return of a sale of the same shift comes back at the average the sale left: no link to find.
        if check.ref_type != "Check" or not check.ref_uuid or check.ref_uuid in own:
            continue
        for line in check.lines:
            if line.payment_method not in SETTLEMENT_METHODS:
                continue
            position = _position(device, line)
            if position is not None:
                item_id, ch_id, coefficient = position
                facts.returned.append(ReturnedLine(item_id, ch_id, line.quantity * coefficient, check.ref_uuid))
    return facts


def sales_reports_settle(*, uploaded: list[tuple[RetailSalesReport, SaleReportDoc]], user=None) -> None:
    """Cash and return links of each uploaded shift, then the withdrawals (numbered last, as the reports are:
    the numbering lock is taken after every stock lock of the upload, never before one)."""
    for report, shift in uploaded:
        facts = shift_facts(shift=shift, device=report.device, register=report.cash_register)
        sales_report_shift_facts(report=report, facts=facts, user=user)
    for report, _shift in uploaded:
        sales_report_withdrawal_sync(report=report, user=user)
