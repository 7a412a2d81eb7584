"""PostDocs: a device's closed shifts become Retail Sales Reports (Отчет о розничных продажах).

The uploaded document is archived in the exchange journal by the caller before this runs
(`journal_receive`); everything here happens in one transaction per upload, so a document
is imported whole or not at all, and a re-sent shift replaces its report instead of adding one.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.collector import collector_paused
from common.money import to_money, to_quantity, vat_included
from common.ru import money_text
from offline_exchange.format.builders import build_post_docs_response
from offline_exchange.format.rates import check_line_rate
from offline_exchange.format.sale_reports import (
    CheckDoc,
    CheckLineDoc,
    SaleReportDoc,
    count_alcohol_tare_openings,
    count_price_checker_reports,
    parse_sale_reports,
)
from offline_exchange.format.schema import FormatViolation
from offline_exchange.format.versions import get_format
from offline_exchange.models import (
    CashRegister,
    DeviceCodeAlias,
    ExchangeJournalEntry,
    OfflineDevice,
    PaymentKind,
    SkuCode,
)
from offline_exchange.services.batching import chunks
from offline_exchange.services.cash import sales_reports_settle
from offline_exchange.services.checks import (
    BookedShift,
    returns_reports_number,
    shift_checks_split,
    shift_checks_store,
)
from offline_exchange.services.exports import orders_due_confirm
from retail.models import (
    Characteristic,
    CustomerOrder,
    Item,
    Pack,
    RetailSalesReport,
    SalesReportBankCreditPayment,
    SalesReportCardPayment,
    SalesReportCashMovement,
    SalesReportExciseStamp,
    SalesReportGoodsLine,
    SalesReportReturnedLine,
    SalesReportSettlement,
    VatRate,
)
from retail.services.orders import orders_follow_sales
from retail.services.posting import document_unpost, sales_report_post
from retail.services.reasons import (
    SHIFT_NOT_CLOSED,
    no_register_reason,
    odd_vat_rates_reason,
    order_not_found_reason,
    reason_text,
    unknown_codes_reason,
    zero_quantity_reason,
)
from retail.services.sales_reports import (
    PENDING_NUMBER,
    UnrecognizedCode,
    number_pending,
    report_unrecognized_codes,
    sales_reports_number,
)

SALES_DOC_TYPES = frozenset({"SaleReports", "SalesReport", "SaleReport"})
# Validated and archived in the journal; 1С:Розница's own handlers for them do nothing either.
ARCHIVED_DOC_TYPES = {
    "AlcoholTareOpening": (count_alcohol_tare_openings, "вскрытий алкогольной тары"),
    "PriceCheckerReport": (count_price_checker_reports, "отчетов о ценниках"),
}
SUCCESS = "Данные успешно загружены"
FORMAT_ERROR = ("При чтении файла-отчета произошла ошибка. "
                "Формат отчета не соответствует версии формата обмена.")
SALE, SALE_RETURN = 1, 2
SETTLEMENT_METHODS = frozenset({4, 5, 6})  # full payment, partial payment and credit, credit (FFD 1214)


@dataclass
class PostDocsResult:
    success: bool
    description: str
    content: bytes
    note: str = ""
    reports: list[RetailSalesReport] = field(default_factory=list)
    warning: str = ""  # for the journal entry and the console: something the admin must look at


def _answer(success: bool, description: str, fmt, note: str = "", reports=None, warning: str = "") -> PostDocsResult:
    content = build_post_docs_response(success=success, description=description, fmt=fmt)
    return PostDocsResult(success, description, content, note, reports or [], warning)


def post_docs(*, device: OfflineDevice, doc_type: str, document: bytes, user=None,
              journal_entry: ExchangeJournalEntry | None = None, max_bytes: int = 64 * 1024 * 1024) -> PostDocsResult:
    """Validate and import one PostDocs document; the answer is what the device is told."""
    fmt = get_format(device.format_version)
    if doc_type in SALES_DOC_TYPES:
        with collector_paused():  # the shift's objects are read and imported without the collector's passes
            try:
                shifts = parse_sale_reports(document, fmt, max_bytes=max_bytes)
            except FormatViolation as exc:
                return _answer(False, f"{FORMAT_ERROR}\n{exc}", fmt)
            hostile = hostile_lines_problem(shifts=shifts)
            if hostile:
                return _answer(False, hostile, fmt)
            too_big = upload_limits_problem(shifts=shifts)
            if too_big:
                return _answer(False, too_big, fmt)
            outcome = sales_reports_import(device=device, shifts=shifts, user=user, journal_entry=journal_entry)
        return _answer(True, outcome.description, fmt, outcome.note, outcome.reports, outcome.warning)
    if doc_type in ARCHIVED_DOC_TYPES:
        validate, what = ARCHIVED_DOC_TYPES[doc_type]
        try:
            count = validate(document, fmt, max_bytes=max_bytes)
        except FormatViolation as exc:
            return _answer(False, f"{FORMAT_ERROR}\n{exc}", fmt)
        return _answer(True, SUCCESS, fmt, f"Сохранено в журнале обмена: {count} {what}; не обрабатывается.")
    shown = doc_type[:100] or "(пусто)"
    return _answer(False, f"Тип документа {shown} не поддерживается. Поддерживаются: SaleReports, "
                          f"AlcoholTareOpening, PriceCheckerReport.", fmt)


def hostile_lines_problem(*, shifts: list[SaleReportDoc]) -> str:
    """A sale line's quantity must be above zero and its price and sum not below: a return is its own check
    (OperationType 2), never a negative line, which would raise the stock by a sale. Nothing is written."""
    found = []
    for shift in shifts:
        for check in shift.checks:
            for line in check.lines:
                if line.quantity > 0 and line.price >= 0 and line.amount >= 0:
                    continue  # (the 300,000 right lines of a long shift cost no list each)
                wrong = [f"{what} {value}" for what, value, bad in (
                    ("количество", line.quantity, line.quantity <= 0), ("цена", line.price, line.price < 0),
                    ("сумма", line.amount, line.amount < 0)) if bad]
                if wrong:
                    found.append(f"Строка {line.line}: смена {shift.shift_number}, чек {check.number}, товар с кодом "
                                 f"«{line.code or '(пусто)'}»: {', '.join(wrong)}")
    if not found:
        return ""
    shown = found[:20] + ([f"и еще строк: {len(found) - 20}"] if len(found) > 20 else [])
    return ("Выгрузка не загружена: в строках чеков количество должно быть больше нуля, цена и сумма — не "
            "меньше нуля (возврат пробивается отдельным чеком возврата). Ничего не загружено.\n" + "\n".join(shown))


def upload_limits_problem(*, shifts: list[SaleReportDoc]) -> str:
    """Why one upload is too big to import in one transaction (the device is told to send fewer shifts)."""
    checks = sum(len(shift.checks) for shift in shifts)
    lines = sum(len(check.lines) for shift in shifts for check in shift.checks)
    for count, limit, what in ((len(shifts), settings.EQUIPMENT_SERVICE_MAX_SHIFTS_PER_UPLOAD, "смен"),
                               (checks, settings.EQUIPMENT_SERVICE_MAX_CHECKS_PER_UPLOAD, "чеков"),
                               (lines, settings.EQUIPMENT_SERVICE_MAX_LINES_PER_UPLOAD, "строк чеков")):
        if count > limit:
            return (f"Выгрузка слишком большая: {count} {what} при пределе {limit}. Ничего не загружено; "
                    "выгрузите смены по частям (по одной смене за обмен), а если предел превышает одна смена — "
                    "обратитесь к администратору сервера.")
    return ""


@dataclass
class ImportOutcome:
    reports: list[RetailSalesReport]
    description: str
    note: str
    warning: str = ""


class ShiftConflict(Exception):
    """Another shift of the device already holds this shift's number and opening time."""

    def __init__(self, report: RetailSalesReport):
        super().__init__(report.number)
        self.report = report


def shift_conflict_text(*, shift: SaleReportDoc, report: RetailSalesReport) -> str:
    return (f"Смена {shift.shift_number} от {_local(shift.opened_at):%d.%m.%Y %H:%M:%S} не загружена: "
            f"смена с тем же номером и временем открытия, но другим идентификатором и временем закрытия, уже "
            f"загружена как {report}. Это разные смены под одним номером (касса сбросила нумерацию смен или "
            f"двум кассам задано одно подключение); документ сохранен в журнале обмена, проверьте кассу.")


@transaction.atomic
def sales_reports_import(*, device: OfflineDevice, shifts: list[SaleReportDoc], user=None,
                         journal_entry: ExchangeJournalEntry | None = None) -> ImportOutcome:
    """Import every shift of one upload, all or nothing."""
    # One upload of a device at a time: a second copy of the same shift, sent while the first
    # is still being written, waits here and then finds the report to replace.
    # Only the device's row, and NO KEY: posting registers goods for the other devices (their rows'
    # key-share locks), so a plain FOR UPDATE of the device and its joined organization would
    # deadlock two registers uploading at once on PostgreSQL.
    device = (OfflineDevice.objects.select_for_update(of=("self",), no_key=True)
              .select_related("rule__warehouse", "organization").get(pk=device.pk))
    register = (CashRegister.objects.filter(device=device)
                .select_related("store", "organization", "default_electronic_payment_kind").first())
    catalog = _Catalog.load(shifts, device=device)
    mapping = {}
    if register is not None:
        mapping = {m.code.strip(): m.payment_kind for m in register.payment_mappings.select_related("payment_kind")}
    reports, descriptions, notes, done, conflicts = [], [], [], [], []
    for shift in shifts:
        # Returns of checks sold in another shift are booked apart («Отчет о розничных возвратах», as УТ 11.5):
        # the report books the rest, each return is booked once, by its own document.
        booked = shift_checks_split(shift=shift)
        draft = _Draft.build(shift=booked.own, device=device, register=register, catalog=catalog, mapping=mapping)
        try:
            report = _save(draft=draft, booked=booked, catalog=catalog, mapping=mapping, device=device,
                           register=register, user=user, journal_entry=journal_entry)
        except ShiftConflict as conflict:
            # Never booked: the other shift keeps its report; the admin is told on the console and journal.
            conflicts.append(shift_conflict_text(shift=shift, report=conflict.report))
            continue
        reports.append(report)
        done.append((shift, draft, report))
    # Numbered last, just before the commit: the numbering lock is held for milliseconds, not the whole upload.
    sales_reports_number(reports=[report for report in reports if report.number.startswith(PENDING_NUMBER)])
    returns_reports_number(reports=reports)
    # Cash and return links of what each report books: the shift without the returns booked apart.
    sales_reports_settle(uploaded=[(report, draft.shift) for _shift, draft, report in done], user=user)
    for shift, draft, report in done:
        if draft.reasons:
            descriptions.append(
                f"Отчет о розничных продажах {report.number} (смена {shift.shift_number}) сохранен, но не проведен: "
                + "; ".join(reason_text(reason) for reason in draft.reasons)
            )
        notes.append(f"смена {shift.shift_number} → отчет {report.number} "
                     f"({'проведен' if report.posted else 'не проведен'}, всего {money_text(report.total)})"
                     + (f"; {'; '.join(draft.skipped)}" if draft.skipped else ""))
    descriptions += conflicts
    notes += conflicts
    if descriptions:
        description = "Данные загружены, но не все отчеты проведены.\n" + "\n".join(descriptions)
    else:
        description = SUCCESS
    return ImportOutcome(reports, description, "\n".join(notes), "\n".join(conflicts))


def _sku_number(code: str) -> int | None:
    return int(code) if code.isdigit() and len(code) <= 10 else None


@dataclass
class _Catalog:
    """Everything the upload refers to, read in a fixed number of queries per chunk of keys."""

    sku: dict[int, tuple[int, int | None, int | None]]
    aliases: dict[str, tuple[int, int | None, int | None]]
    items: dict[int, Item]
    item_by_uuid: dict[uuid.UUID, int]
    chars: dict[uuid.UUID, tuple[int, int]]
    packs: dict[uuid.UUID, tuple[int, int]]
    pack_coefficient: dict[int, Decimal]
    orders: dict[uuid.UUID, CustomerOrder]
    positions: dict[tuple, tuple | None] = field(default_factory=dict)

    @classmethod
    def load(cls, shifts: list[SaleReportDoc], *, device: OfflineDevice) -> "_Catalog":
        numbers, codes, goods, chars, packs, orders = set(), set(), set(), set(), set(), set()
        # A shift sells the same few hundred positions again and again: each distinct one looked at once.
        sent = set()
        for shift in shifts:
            for check in shift.checks:
                if check.ref_type == "Order" and check.ref_uuid:
                    orders.add(check.ref_uuid)
                sent.update([(line.code, line.good_uuid, line.characteristic_uuid, line.packing_uuid)
                             for line in check.lines])
        for code, good_uuid, characteristic_uuid, packing_uuid in sent:
            if code.strip():
                codes.add(code.strip())
            number = _sku_number(code)
            if number is not None:
                numbers.add(number)
            if good_uuid:
                goods.add(good_uuid)
            if characteristic_uuid:
                chars.add(characteristic_uuid)
            if packing_uuid:
                packs.add(packing_uuid)
        catalog = cls({}, {}, {}, {}, {}, {}, {}, {})
        # Only devices that were ever given a mapping pay for the look-up of their codes.
        if DeviceCodeAlias.objects.filter(device=device).exists():
            for chunk in chunks(sorted(codes)):
                for code, item_id, ch_id, pack_id in DeviceCodeAlias.objects.filter(
                        device=device, code__in=chunk).values_list("code", "item_id", "characteristic_id", "pack_id"):
                    catalog.aliases[code] = (item_id, ch_id, pack_id)
        for chunk in chunks(sorted(numbers)):
            for number, item_id, ch_id, pack_id in SkuCode.objects.filter(number__in=chunk).values_list(
                    "number", "item_id", "characteristic_id", "pack_id"):
                catalog.sku[number] = (item_id, ch_id, pack_id)
        for chunk in chunks(sorted(goods)):
            catalog.item_by_uuid.update(Item.objects.filter(uuid__in=chunk).values_list("uuid", "pk"))
        for chunk in chunks(sorted(chars)):
            for ch_uuid, pk, item_id in Characteristic.objects.filter(uuid__in=chunk).values_list("uuid", "pk", "item_id"):
                catalog.chars[ch_uuid] = (pk, item_id)
        for chunk in chunks(sorted(packs)):
            for pack_uuid, pk, item_id in Pack.objects.filter(uuid__in=chunk).values_list("uuid", "pk", "item_id"):
                catalog.packs[pack_uuid] = (pk, item_id)
        positions = list(catalog.sku.values()) + list(catalog.aliases.values())
        item_ids = {v[0] for v in positions} | set(catalog.item_by_uuid.values())
        pack_ids = {v[2] for v in positions if v[2]} | {v[0] for v in catalog.packs.values()}
        for chunk in chunks(sorted(item_ids)):
            catalog.items.update((item.pk, item) for item in Item.objects.filter(pk__in=chunk).only(
                "pk", "name", "vat_rate", "deletion_mark"))
        for chunk in chunks(sorted(pack_ids)):
            catalog.pack_coefficient.update(Pack.objects.filter(pk__in=chunk).values_list("pk", "coefficient"))
        for chunk in chunks(sorted(orders)):
            catalog.orders.update((o.uuid, o) for o in CustomerOrder.objects.filter(uuid__in=chunk))
        return catalog

    def position(self, line: CheckLineDoc) -> tuple[int, int | None, int | None] | None:
        """The device's own mapping of the code first (the admin's decision for this register), then
        code → SKU position; a base-position code plus the line's pack/characteristic UUID of
        that item → that position; failing the code, the line's GoodUUID. Each distinct line's answer
        once: a shift of 100,000 checks sells the same few hundred positions."""
        key = (line.code, line.good_uuid, line.characteristic_uuid, line.packing_uuid)
        if key not in self.positions:
            self.positions[key] = self._position(line)
        return self.positions[key]

    def _position(self, line: CheckLineDoc) -> tuple[int, int | None, int | None] | None:
        found = self.aliases.get(line.code.strip())
        number = _sku_number(line.code)
        if found is None and number is not None:
            found = self.sku.get(number)
        if found is None and line.good_uuid in self.item_by_uuid:
            found = (self.item_by_uuid[line.good_uuid], None, None)
        if found is None:
            return None
        item_id, ch_id, pack_id = found
        if ch_id is None and line.characteristic_uuid in self.chars:
            ch_pk, owner = self.chars[line.characteristic_uuid]
            ch_id = ch_pk if owner == item_id else None
        if pack_id is None and line.packing_uuid in self.packs:
            pack_pk, owner = self.packs[line.packing_uuid]
            pack_id = pack_pk if owner == item_id else None
        return item_id, ch_id, pack_id


def _vat_code(sent: str, item: Item | None) -> tuple[str, bool]:
    """The check line's rate as our VatRate value, falling back to the item's; (rate, understood)."""
    return _vat_of(sent, item.vat_rate if item else VatRate.NONE)


@lru_cache(maxsize=1024)  # a shift repeats a few rate strings over and over: each is read once
def _vat_of(sent: str, fallback: str) -> tuple[str, bool]:
    rate = check_line_rate(sent)  # 22, 22/122, 5/105 …: the calculated rates map to their base
    if rate:
        return rate, True
    return fallback, rate is not None


@dataclass(slots=True)
class _LineFacts:
    """What the report makes of a check line's code, UUIDs and rate: its position (None: not ours), the
    position's key, what unknown goods are kept apart by, the VAT rate, the pack's coefficient."""

    position: tuple | None
    place: tuple
    sent: tuple
    vat: str
    understood: bool
    coefficient: Decimal

    @classmethod
    def of(cls, line: CheckLineDoc, catalog: _Catalog) -> "_LineFacts":
        position = catalog.position(line)
        item = catalog.items.get(position[0]) if position else None
        vat, understood = _vat_code(line.tax_rate, item)
        pack_id = position[2] if position else None
        coefficient = catalog.pack_coefficient.get(pack_id, Decimal(1)) if pack_id else Decimal(1)
        # Unknown goods stay apart by what was sent, so two unknown codes never merge into one row.
        sent = (None, None) if position else (line.code, line.good_uuid)
        return cls(position, position or (None, None, None), sent, vat, understood, coefficient)


@dataclass
class _Row:
    item_id: int | None
    characteristic_id: int | None
    pack_id: int | None
    order: CustomerOrder | None
    sent_code: str
    sent_good_uuid: uuid.UUID | None
    price: Decimal
    vat_rate: str
    quantity_packs: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)


@dataclass
class _Draft:
    shift: SaleReportDoc
    date: datetime
    goods: dict = field(default_factory=dict)
    returned: dict = field(default_factory=dict)
    stamps: list = field(default_factory=list)
    cards: dict = field(default_factory=lambda: defaultdict(Decimal))
    credits: dict = field(default_factory=lambda: defaultdict(Decimal))
    settlements: dict = field(default_factory=dict)
    cash: Decimal = Decimal(0)
    prepayment: Decimal = Decimal(0)
    postpayment: Decimal = Decimal(0)
    barter: Decimal = Decimal(0)
    reasons: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, *, shift: SaleReportDoc, device, register, catalog: _Catalog, mapping) -> "_Draft":
        last_check = max((c.date for c in shift.checks), default=None)
        draft = cls(shift=shift, date=_local(shift.closed_at or last_check or shift.opened_at))
        unknown: dict[tuple, list] = {}
        odd_rates: set[str] = set()
        missing_orders: set[uuid.UUID] = set()
        expense_checks = advance_lines = 0
        # What a line's position, rate and pack make of it, once for each distinct line: a shift of 100,000
        # checks repeats a few hundred.
        known: dict[tuple, _LineFacts] = {}
        for check in shift.checks:
            if check.operation_type not in (SALE, SALE_RETURN):
                expense_checks += 1
                continue
            sign = Decimal(-1) if check.operation_type == SALE_RETURN else Decimal(1)
            order = None
            if check.ref_type == "Order" and check.ref_uuid:
                order = catalog.orders.get(check.ref_uuid)
                if order is None:
                    missing_orders.add(check.ref_uuid)
            shipped = Decimal(0)
            for line in check.lines:
                if line.payment_method not in SETTLEMENT_METHODS:
                    advance_lines += 1
                    continue
                shipped += line.amount
                facts = known.get((line.code, line.good_uuid, line.characteristic_uuid, line.packing_uuid,
                                   line.tax_rate))
                if facts is None:
                    facts = _LineFacts.of(line, catalog)
                    known[(line.code, line.good_uuid, line.characteristic_uuid, line.packing_uuid,
                           line.tax_rate)] = facts
                position = facts.position
                if not facts.understood:
                    odd_rates.add(line.tax_rate)
                if position is None:
                    seen = unknown.setdefault((line.code, line.good_uuid), [0, Decimal(0), Decimal(0), set()])
                    seen[0] += 1
                    seen[1] += sign * line.quantity
                    seen[2] += sign * line.amount
                    seen[3].add(line.price)
                draft._add_line(line, facts, order, sign)
                if line.excise_stamps:
                    draft.stamps.extend((check.number, position[0] if position else None, line.code, stamp)
                                        for stamp in line.excise_stamps)
            paid = draft._add_payments(check, sign, register, mapping)
            if check.ref_type == "Order" and check.ref_uuid:
                entry = draft.settlements.setdefault(check.ref_uuid, [order, Decimal(0), Decimal(0)])
                # Ours: a return check's shipment is negative (1C adds it as if it were a sale).
                entry[1] += sign * shipped
                entry[2] += paid

        draft._reasons_add(unknown=unknown, odd_rates=odd_rates, missing_orders=missing_orders, device=device,
                           register=register)
        if expense_checks:
            draft.skipped.append(f"пропущено чеков расхода (OperationType 3/4): {expense_checks}")
        if advance_lines:
            draft.skipped.append(f"пропущено строк авансов и предоплат (PaymentMethod 1–3, 7): {advance_lines}")
        return draft

    def _reasons_add(self, *, unknown: dict, odd_rates: set, missing_orders: set, device, register) -> None:
        """Why the report cannot be posted as it came, in the order the store admin reads them."""
        if unknown:
            self.reasons.append(unknown_codes_reason([(code, good_uuid, *seen)
                                                      for (code, good_uuid), seen in unknown.items()]))
        if odd_rates:
            self.reasons.append(odd_vat_rates_reason(odd_rates))
        if missing_orders:
            self.reasons.append(order_not_found_reason(missing_orders))
        zero = [row.sent_code for row in self.goods.values() if row.quantity_packs == 0 and row.amount != 0]
        if zero:
            self.reasons.append(zero_quantity_reason(zero))
        if not self.shift.closed:
            self.reasons.append({"code": SHIFT_NOT_CLOSED})
        if register is None:
            self.reasons.append(no_register_reason(device.name))

    def _add_line(self, line: CheckLineDoc, facts: _LineFacts, order, sign: Decimal) -> None:
        item_id, ch_id, pack_id = facts.place
        vat, coefficient = facts.vat, facts.coefficient
        key = (facts.place, line.price, vat, order.pk if order else None, facts.sent)
        row = self.goods.get(key)
        if row is None:
            row = self.goods[key] = _Row(item_id, ch_id, pack_id, order, line.code, line.good_uuid, line.price, vat)
        quantity = line.quantity if sign > 0 else -line.quantity
        row.quantity_packs += quantity
        row.quantity += quantity * coefficient
        row.amount += line.amount if sign > 0 else -line.amount
        if sign < 0:
            rkey = (facts.place, line.price, vat, facts.sent)
            back = self.returned.get(rkey)
            if back is None:
                back = self.returned[rkey] = _Row(item_id, ch_id, pack_id, None, line.code, line.good_uuid,
                                                  line.price, vat)
            back.quantity_packs += line.quantity
            back.quantity += line.quantity * coefficient
            back.amount += line.amount

    def _add_payments(self, check: CheckDoc, sign: Decimal, register, mapping) -> Decimal:
        paid = Decimal(0)
        default_kind = register.default_electronic_payment_kind if register is not None else None
        for payment in check.payments:
            self.cash += sign * payment.cash
            self.prepayment += sign * payment.prepayment
            self.postpayment += sign * payment.postpayment
            self.barter += sign * payment.barter
            paid += sign * (payment.cash + payment.electronic)
            if payment.electronic:
                kind = mapping.get(payment.option_code) or default_kind
                amount = sign * payment.electronic
                if kind is None or kind.type == PaymentKind.Type.CASH:
                    self.cash += amount
                elif kind.type == PaymentKind.Type.BANK_CREDIT:
                    self.credits[(kind, payment.option_code)] += amount
                else:
                    self.cards[(kind, payment.option_code)] += amount
        return paid


def _local(value: datetime) -> datetime:
    # Devices write local time without an offset; one that does send an offset is converted.
    if timezone.is_aware(value):
        return timezone.make_naive(value, timezone.get_default_timezone())
    return value


def _payment_order(entry):
    (kind, code), _amount = entry
    return kind.pk, code


@dataclass
class _Lines:
    """What one shift's report holds besides its header, built before anything is written."""

    goods: list[SalesReportGoodsLine]
    returned: list[SalesReportReturnedLine]
    cards: list[SalesReportCardPayment]
    credits: list[SalesReportBankCreditPayment]


def _save(*, draft: _Draft, booked: BookedShift, catalog: _Catalog, mapping: dict, device: OfflineDevice, register,
          user, journal_entry) -> RetailSalesReport:
    """One shift written as its report: found (a re-sent shift) or new, its lines, payments and totals
    replaced, then posted or unposted, the orders it sold followed, and its checks kept."""
    report, previous_orders = _report_for(shift=draft.shift, device=device)
    lines = _Lines(*_goods_lines(draft), *_payment_lines(draft))
    _header_fill(report=report, draft=draft, device=device, register=register, user=user,
                 journal_entry=journal_entry)
    _totals_fill(report=report, draft=draft, lines=lines)
    report.save()
    _lines_write(report=report, draft=draft, lines=lines)
    _stock_follow(report=report, draft=draft)
    sold = {order.pk for order, _s, _p in draft.settlements.values() if order}
    orders_follow_sales(order_ids=previous_orders | sold)
    orders_due_confirm(device=device, order_ids=sold)
    _checks_keep(report=report, booked=booked, catalog=catalog, mapping=mapping, device=device, register=register,
                 user=user, journal_entry=journal_entry)
    return report


def _checks_keep(*, report: RetailSalesReport, booked: BookedShift, catalog: _Catalog, mapping: dict,
                 device: OfflineDevice, register, user, journal_entry) -> None:
    """Every check of the shift kept as its own records, its returns of other shifts' checks as their own
    documents; a re-sent shift replaces both, in this transaction (`services.checks`)."""
    shift_checks_store(report=report, booked=booked, device=device, register=register, catalog=catalog,
                       mapping=mapping, user=user, journal_entry=journal_entry)


def _report_for(*, shift: SaleReportDoc, device: OfflineDevice) -> tuple[RetailSalesReport, set[int]]:
    """The shift's report, emptied of its lines if an earlier upload wrote it, and the orders it sold then;
    or a new one, numbered with a stand-in until the upload's end."""
    report = _shift_report(shift=shift, device=device)
    if report is None:
        report = RetailSalesReport(device=device, shift_uuid=shift.uuid, shift_number=shift.shift_number,
                                   shift_opened_at=_local(shift.opened_at))
        report.number, report.number_seq = number_pending(), 0
        report._change_reason = "Загрузка смены из ККМ"
        return report, set()
    if shift.uuid:
        report.shift_uuid = shift.uuid  # the register's identifier of today; the old one still finds it by number
    previous_orders = set(SalesReportSettlement.objects.filter(report=report, order__isnull=False)
                          .values_list("order_id", flat=True))
    for model in (SalesReportGoodsLine, SalesReportReturnedLine, SalesReportCardPayment,
                  SalesReportBankCreditPayment, SalesReportSettlement, SalesReportCashMovement,
                  SalesReportExciseStamp):
        model.objects.filter(report=report).delete()
    report._change_reason = "Повторная загрузка смены из ККМ"
    return report, previous_orders


def _shift_report(*, shift: SaleReportDoc, device: OfflineDevice) -> RetailSalesReport | None:
    """A shift is known by its UUID and by (device, shift number, opening time): a register that re-sends it
    under a new UUID, or without one, replaces its report like a same-UUID re-send. Two shifts with one
    number and opening time but different UUIDs are the same shift unless both are closed at different
    moments: a closing time is final, so then they are two shifts and the second is a conflict."""
    if shift.uuid:
        report = RetailSalesReport.objects.filter(device=device, shift_uuid=shift.uuid).first()
        if report is not None:
            return report
    report = (RetailSalesReport.objects.filter(device=device, shift_number=shift.shift_number,
                                               shift_opened_at=_local(shift.opened_at))
              .order_by("pk").first())
    if report is None:
        return None
    if (shift.uuid and report.shift_uuid and report.shift_uuid != shift.uuid and shift.closed
            and report.shift_closed and report.shift_closed_at is not None and shift.closed_at is not None
            and report.shift_closed_at != _local(shift.closed_at)):
        raise ShiftConflict(report)
    return report


def _goods_lines(draft: _Draft) -> tuple[list[SalesReportGoodsLine], list[SalesReportReturnedLine]]:
    goods = []
    for n, row in enumerate((row for row in draft.goods.values() if row.quantity_packs != 0 or row.amount != 0), 1):
        amount = to_money(row.amount)
        goods.append(SalesReportGoodsLine(
            line_number=n, item_id=row.item_id, characteristic_id=row.characteristic_id, pack_id=row.pack_id,
            order=row.order, sent_code=row.sent_code, sent_good_uuid=row.sent_good_uuid,
            quantity_packs=to_quantity(row.quantity_packs), quantity=to_quantity(row.quantity), price=row.price,
            amount=amount, vat_rate=row.vat_rate, vat_amount=vat_included(amount, VatRate.percent(row.vat_rate)),
        ))
    returned = []
    for n, row in enumerate(draft.returned.values(), 1):
        amount = to_money(row.amount)
        returned.append(SalesReportReturnedLine(
            line_number=n, item_id=row.item_id, characteristic_id=row.characteristic_id, pack_id=row.pack_id,
            sent_code=row.sent_code, sent_good_uuid=row.sent_good_uuid, quantity_packs=to_quantity(row.quantity_packs),
            quantity=to_quantity(row.quantity), price=row.price, amount=amount, vat_rate=row.vat_rate,
            vat_amount=vat_included(amount, VatRate.percent(row.vat_rate)),
        ))
    return goods, returned


def _payment_lines(draft: _Draft) -> tuple[list[SalesReportCardPayment], list[SalesReportBankCreditPayment]]:
    cards = [SalesReportCardPayment(line_number=n, payment_kind=kind, option_code=code, amount=to_money(amount))
             for n, ((kind, code), amount) in enumerate(sorted(draft.cards.items(), key=_payment_order), 1)
             if amount]
    credits = []
    for n, ((kind, code), amount) in enumerate(sorted(draft.credits.items(), key=_payment_order), 1):
        if amount:
            credits.append(SalesReportBankCreditPayment(
                line_number=n, payment_kind=kind, bank=kind.bank, option_code=code, amount=to_money(amount),
                commission_percent=kind.commission_percent,
                commission_amount=to_money(amount * kind.commission_percent / 100),
            ))
    return cards, credits


def _header_fill(*, report: RetailSalesReport, draft: _Draft, device: OfflineDevice, register, user,
                 journal_entry) -> None:
    shift = draft.shift
    report.date = draft.date
    if report.pk is None:
        report.number_year = report.date.year
    report.cash_register = register
    report.store = register.store if register else None
    report.organization = register.organization if register else device.organization
    report.warehouse = device.rule.warehouse
    report.prices_include_vat = True
    report.comment = f"Загружено из ККМ Офлайн: {device.name}"[:500]
    report.responsible = user if getattr(user, "pk", None) else None
    report.shift_closed_at = _local(shift.closed_at) if shift.closed_at else None
    report.shift_closed = shift.closed
    report.posted = not draft.reasons
    report.not_posted_reasons = list(draft.reasons)
    report.journal_entry = journal_entry
    report._history_user = report.responsible


def _totals_fill(*, report: RetailSalesReport, draft: _Draft, lines: _Lines) -> None:
    card_total = sum((line.amount for line in lines.cards), Decimal(0))
    credit_total = sum((line.amount for line in lines.credits), Decimal(0))
    report.total = (sum((line.amount for line in lines.goods), Decimal(0)) if lines.goods
                    else to_money(draft.cash) + card_total + credit_total)
    report.vat_total = sum((line.vat_amount for line in lines.goods), Decimal(0))
    report.returns_total = sum((line.amount for line in lines.returned), Decimal(0))
    report.cash_total = to_money(draft.cash)
    report.prepayment_total = to_money(draft.prepayment)
    report.postpayment_total = to_money(draft.postpayment)
    report.barter_total = to_money(draft.barter)


def _lines_write(*, report: RetailSalesReport, draft: _Draft, lines: _Lines) -> None:
    for line in lines.goods + lines.returned + lines.cards + lines.credits:
        line.report = report
    SalesReportGoodsLine.objects.bulk_create(lines.goods, batch_size=1000)
    SalesReportReturnedLine.objects.bulk_create(lines.returned, batch_size=1000)
    SalesReportCardPayment.objects.bulk_create(lines.cards)
    SalesReportBankCreditPayment.objects.bulk_create(lines.credits)
    SalesReportSettlement.objects.bulk_create([
        SalesReportSettlement(report=report, line_number=n, order=order, order_uuid=order_uuid,
                              shipped_amount=to_money(shipped), paid_amount=to_money(paid))
        for n, (order_uuid, (order, shipped, paid)) in enumerate(draft.settlements.items(), 1)
    ])
    SalesReportCashMovement.objects.bulk_create([
        SalesReportCashMovement(report=report, line_number=n, date=_local(m.date), number=m.number[:50],
                                direction=m.type, amount=to_money(m.amount), uuid=m.uuid)
        for n, m in enumerate(draft.shift.cash_movements, 1)
    ])
    SalesReportExciseStamp.objects.bulk_create([
        SalesReportExciseStamp(report=report, line_number=n, check_number=check_number[:50], item_id=item_id,
                               sent_code=code, stamp=stamp)
        for n, (check_number, item_id, code, stamp) in enumerate(draft.stamps, 1)
    ], batch_size=1000)


def _stock_follow(*, report: RetailSalesReport, draft: _Draft) -> None:
    """Stock follows the report: posted → its goods written off (a re-upload replaces the movements),
    not posted → whatever an earlier upload wrote is removed."""
    if not report.posted:
        document_unpost(document=report, user=report.responsible)
        return
    refused = sales_report_post(report=report, user=report.responsible)
    if refused:
        draft.reasons.append(refused)
        report.posted = False
        report.not_posted_reasons = list(draft.reasons)
        report.save(update_fields=["posted", "not_posted_reasons"])


def sales_reports_reload(*, entry: ExchangeJournalEntry, user=None) -> PostDocsResult:
    """Re-run the import of an archived upload, e.g. after the admin gave a missing good its SKU."""
    if entry.operation != "PostDocs" or not entry.document:
        raise ValueError("В этой записи журнала нет загруженного документа")
    if entry.device is None:
        raise ValueError("Запись журнала не связана с оборудованием")
    newer = _newer_upload_problem(entry=entry)
    if newer:
        raise ValueError(newer)
    return post_docs(device=entry.device, doc_type=entry.doc_type or "SaleReports", document=bytes(entry.document),
                     user=user, journal_entry=entry)


def _newer_upload_problem(*, entry: ExchangeJournalEntry) -> str:
    """An older upload of a shift must not replace what a newer one wrote: the register's later upload
    holds every check of the earlier one and more (a reload of it would silently bring back the old content)."""
    if entry.doc_type and entry.doc_type not in SALES_DOC_TYPES:
        return ""
    try:
        shifts = parse_sale_reports(bytes(entry.document), get_format(entry.device.format_version))
    except (FormatViolation, ValueError):
        return ""  # the import itself says what is wrong with it
    for shift in shifts:
        try:
            report = _shift_report(shift=shift, device=entry.device)
        except ShiftConflict:
            continue
        stands_on = report.journal_entry if report is not None else None
        if stands_on is not None and (stands_on.created_at, stands_on.pk) > (entry.created_at, entry.pk):
            return (f"{report} уже загружен из более поздней выгрузки смены {shift.shift_number} "
                    f"({stands_on.created_at:%d.%m.%Y %H:%M:%S}); эта выгрузка "
                    f"({entry.created_at:%d.%m.%Y %H:%M:%S}) старее и заменила бы отчет прежним содержимым. "
                    f"Проведите отчеты последней выгрузки смены («Провести отчеты загрузки» в журнале обмена).")
    return ""


def sales_report_repost(*, report: RetailSalesReport, user=None) -> PostDocsResult:
    """«Провести» on the report's page: its stored upload imported again. The import finds the report
    by its shift and replaces its lines and movements, so no second report appears and stock moves once."""
    if report.journal_entry_id is None:
        raise ValueError("У отчета нет записи журнала обмена: перепроводить нечего.")
    return sales_reports_reload(entry=report.journal_entry, user=user)


def _checks_by_code(report: RetailSalesReport) -> dict[tuple[str, uuid.UUID | None], int] | None:
    # Report lines are summed by position and price, so how many checks sold a code is read from the upload.
    entry = report.journal_entry
    if entry is None or not entry.document:
        return None
    try:
        shifts = parse_sale_reports(bytes(entry.document), get_format(report.device.format_version))
    except (FormatViolation, ValueError):
        return None
    counts: dict[tuple[str, uuid.UUID | None], int] = defaultdict(int)
    for shift in shifts:
        same = ((report.shift_uuid is not None and shift.uuid == report.shift_uuid)
                or (shift.shift_number == report.shift_number and _local(shift.opened_at) == report.shift_opened_at))
        if not same:
            continue
        for check in shift.checks:
            for key in {(line.code, line.good_uuid) for line in check.lines}:
                counts[key] += 1
    return counts


def sales_report_unrecognized(*, report: RetailSalesReport) -> list[UnrecognizedCode]:
    """The codes of the report's goods (and returns) that are not a position of ours, in line order, with
    how many checks of its stored upload sold each."""
    found = report_unrecognized_codes(report=report)
    if found:
        checks = _checks_by_code(report)
        if checks is not None:
            for row in found:
                row.checks = checks.get((row.code, row.good_uuid), 0)
    return found
