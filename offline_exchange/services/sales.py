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

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from common.money import to_money, to_quantity, vat_included
from common.ru import money_text, quantity_text
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
    ReportNumberCounter,
    SkuCode,
)
from offline_exchange.services.batching import chunks
from offline_exchange.services.checks import shift_checks_split, shift_checks_store
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
UNKNOWN_SHOWN = 20


@dataclass
class PostDocsResult:
    success: bool
    description: str
    content: bytes
    note: str = ""
    reports: list[RetailSalesReport] = field(default_factory=list)


def _answer(success: bool, description: str, fmt, note: str = "", reports=None) -> PostDocsResult:
    content = build_post_docs_response(success=success, description=description, fmt=fmt)
    return PostDocsResult(success, description, content, note, reports or [])


def post_docs(*, device: OfflineDevice, doc_type: str, document: bytes, user=None,
              journal_entry: ExchangeJournalEntry | None = None, max_bytes: int = 64 * 1024 * 1024) -> PostDocsResult:
    """Validate and import one PostDocs document; the answer is what the device is told."""
    fmt = get_format(device.format_version)
    if doc_type in SALES_DOC_TYPES:
        try:
            shifts = parse_sale_reports(document, fmt, max_bytes=max_bytes)
        except FormatViolation as exc:
            return _answer(False, f"{FORMAT_ERROR}\n{exc}", fmt)
        too_big = upload_limits_problem(shifts=shifts)
        if too_big:
            return _answer(False, too_big, fmt)
        outcome = sales_reports_import(device=device, shifts=shifts, user=user, journal_entry=journal_entry)
        return _answer(True, outcome.description, fmt, outcome.note, outcome.reports)
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
    reports, descriptions, notes, done = [], [], [], []
    for shift in shifts:
        # Returns of checks sold in another shift are booked apart («Отчет о розничных возвратах», as УТ 11.5).
        booked = shift_checks_split(shift=shift)
        draft = _Draft.build(shift=booked.own, device=device, register=register, catalog=catalog, mapping=mapping)
        report = _save(draft=draft, device=device, register=register, user=user, journal_entry=journal_entry)
        # Every check kept as its own records; a re-sent shift replaces them, in this transaction.
        shift_checks_store(report=report, booked=booked, device=device, register=register, catalog=catalog,
                           mapping=mapping, user=user, journal_entry=journal_entry)
        reports.append(report)
        done.append((shift, draft, report))
    # Numbered last, just before the commit: the numbering lock is held for milliseconds, not the whole upload.
    _numbers_assign(reports=[report for report in reports if report.number.startswith(PENDING_NUMBER)])
    for shift, draft, report in done:
        if draft.reasons:
            descriptions.append(
                f"Отчет о розничных продажах {report.number} (смена {shift.shift_number}) сохранен, но не проведен: "
                + "; ".join(draft.reasons)
            )
        notes.append(f"смена {shift.shift_number} → отчет {report.number} "
                     f"({'проведен' if report.posted else 'не проведен'}, всего {money_text(report.total)})"
                     + (f"; {'; '.join(draft.skipped)}" if draft.skipped else ""))
    if descriptions:
        description = "Данные загружены, но не все отчеты проведены.\n" + "\n".join(descriptions)
    else:
        description = SUCCESS
    return ImportOutcome(reports, description, "\n".join(notes))


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

    @classmethod
    def load(cls, shifts: list[SaleReportDoc], *, device: OfflineDevice) -> "_Catalog":
        numbers, codes, goods, chars, packs, orders = set(), set(), set(), set(), set(), set()
        for shift in shifts:
            for check in shift.checks:
                if check.ref_type == "Order" and check.ref_uuid:
                    orders.add(check.ref_uuid)
                for line in check.lines:
                    if line.code.strip():
                        codes.add(line.code.strip())
                    number = _sku_number(line.code)
                    if number is not None:
                        numbers.add(number)
                    if line.good_uuid:
                        goods.add(line.good_uuid)
                    if line.characteristic_uuid:
                        chars.add(line.characteristic_uuid)
                    if line.packing_uuid:
                        packs.add(line.packing_uuid)
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
        that item → that position; failing the code, the line's GoodUUID."""
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
    rate = check_line_rate(sent)  # 22, 22/122, 5/105 …: the calculated rates map to their base
    if rate:
        return rate, True
    return (item.vat_rate if item else VatRate.NONE), rate is not None


def _unknown_text(unknown: dict[tuple, list]) -> str:
    parts = []
    for (code, good_uuid), (lines, quantity, amount, prices) in list(unknown.items())[:UNKNOWN_SHOWN]:
        parts.append(
            f"код «{code or '(пусто)'}»" + (f" (идентификатор товара {good_uuid})" if good_uuid else "")
            + f": строк {lines}, количество {quantity_text(quantity)}, цена "
            + ", ".join(money_text(p) for p in sorted(prices)) + f", сумма {money_text(amount)}"
        )
    more = len(unknown) - UNKNOWN_SHOWN
    return ("не найдены товары по кодам из чеков — " + "; ".join(parts)
            + (f"; и еще {more} кодов" if more > 0 else "")
            + ". Сопоставьте коды с номенклатурой на странице отчета и перепроведите его из журнала")


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
    reasons: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, *, shift: SaleReportDoc, device, register, catalog: _Catalog, mapping) -> "_Draft":
        last_check = max((c.date for c in shift.checks), default=None)
        draft = cls(shift=shift, date=_local(shift.closed_at or last_check or shift.opened_at))
        unknown: dict[tuple, list] = {}
        odd_rates: set[str] = set()
        missing_orders: set[uuid.UUID] = set()
        expense_checks = advance_lines = 0
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
                position = catalog.position(line)
                item = catalog.items.get(position[0]) if position else None
                vat, understood = _vat_code(line.tax_rate, item)
                if not understood:
                    odd_rates.add(line.tax_rate)
                if position is None:
                    seen = unknown.setdefault((line.code, line.good_uuid), [0, Decimal(0), Decimal(0), set()])
                    seen[0] += 1
                    seen[1] += sign * line.quantity
                    seen[2] += sign * line.amount
                    seen[3].add(line.price)
                draft._add_line(line, position, vat, order, sign, catalog)
                if line.excise_stamps:
                    draft.stamps.extend((check.number, position[0] if position else None, line.code, stamp)
                                        for stamp in line.excise_stamps)
            paid = draft._add_payments(check, sign, register, mapping)
            if check.ref_type == "Order" and check.ref_uuid:
                entry = draft.settlements.setdefault(check.ref_uuid, [order, Decimal(0), Decimal(0)])
                # Ours: a return check's shipment is negative (1C adds it as if it were a sale).
                entry[1] += sign * shipped
                entry[2] += paid

        if unknown:
            draft.reasons.append(_unknown_text(unknown))
        if odd_rates:
            draft.reasons.append("непонятная ставка НДС в чеке: " + ", ".join(sorted(odd_rates))
                                 + " (взята ставка из карточки товара)")
        if missing_orders:
            draft.reasons.append("не найден заказ покупателя " + ", ".join(str(u) for u in sorted(missing_orders)))
        zero = [row for row in draft.goods.values() if row.quantity_packs == 0 and row.amount != 0]
        if zero:
            draft.reasons.append("нулевое количество при ненулевой сумме в строках с кодами "
                                 + ", ".join(row.sent_code or "(пусто)" for row in zero))
        if not shift.closed:
            draft.reasons.append("смена не закрыта (нет даты закрытия, статус смены «открыта»)")
        if register is None:
            draft.reasons.append(f"к оборудованию «{device.name}» не подключена касса ККМ")
        if expense_checks:
            draft.skipped.append(f"пропущено чеков расхода (OperationType 3/4): {expense_checks}")
        if advance_lines:
            draft.skipped.append(f"пропущено строк авансов и предоплат (PaymentMethod 1–3, 7): {advance_lines}")
        return draft

    def _add_line(self, line: CheckLineDoc, position, vat: str, order, sign: Decimal, catalog: _Catalog) -> None:
        item_id, ch_id, pack_id = position or (None, None, None)
        coefficient = catalog.pack_coefficient.get(pack_id, Decimal(1)) if pack_id else Decimal(1)
        # Unknown goods stay apart by what was sent, so two unknown codes never merge into one row.
        sent_key = (None, None) if position else (line.code, line.good_uuid)
        key = (item_id, ch_id, pack_id, line.price, vat, order.pk if order else None) + sent_key
        row = self.goods.get(key)
        if row is None:
            row = self.goods[key] = _Row(item_id, ch_id, pack_id, order, line.code, line.good_uuid, line.price, vat)
        row.quantity_packs += sign * line.quantity
        row.quantity += sign * line.quantity * coefficient
        row.amount += sign * line.amount
        if sign < 0:
            rkey = key[:5] + sent_key
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


PENDING_NUMBER = "~"


def _number_pending() -> str:
    """A unique stand-in until the upload's new reports are numbered together at its end."""
    return PENDING_NUMBER + uuid.uuid4().hex[:19]


def _numbers_assign(*, reports: list[RetailSalesReport]) -> None:
    """The upload's new reports get the next numbers of their organization's prefix in their year
    (ТДРТ-000001). Serialized on a counter row per prefix and year, locked in a fixed order, as the
    last writes before the commit: other prefixes never wait, and nobody waits for a whole upload."""
    groups: dict[tuple[str, int], list[RetailSalesReport]] = defaultdict(list)
    for report in reports:
        prefix = (report.organization.number_prefix if report.organization else "") or "00"
        groups[(prefix, report.number_year)].append(report)
    for (prefix, year), members in sorted(groups.items()):
        counter = _counter_locked(prefix=prefix, year=year)
        # The reports themselves stay the truth (a report written by other means is never numbered over).
        last = max(counter.last, (RetailSalesReport.objects.filter(number_year=year, number__startswith=f"{prefix}-")
                                  .aggregate(m=Max("number_seq"))["m"]) or 0)
        for report in members:
            last += 1
            pending, report.number, report.number_seq = report.number, f"{prefix}-{last:06d}", last
            RetailSalesReport.objects.filter(pk=report.pk).update(number=report.number, number_seq=last)
            # The history's first version shows the number the report got, not its stand-in.
            RetailSalesReport.history.filter(id=report.pk, number=pending).update(number=report.number,
                                                                                   number_seq=last)
        ReportNumberCounter.objects.filter(pk=counter.pk).update(last=last)


def _counter_locked(*, prefix: str, year: int) -> ReportNumberCounter:
    counter = ReportNumberCounter.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # two first uploads of a year may race to create it
                ReportNumberCounter.objects.create(prefix=prefix, year=year, last=0)
        except IntegrityError:
            pass
        counter = ReportNumberCounter.objects.select_for_update().get(prefix=prefix, year=year)
    return counter


def _payment_order(entry):
    (kind, code), _amount = entry
    return kind.pk, code


def _save(*, draft: _Draft, device: OfflineDevice, register, user, journal_entry) -> RetailSalesReport:
    shift = draft.shift
    if shift.uuid:
        report = RetailSalesReport.objects.filter(device=device, shift_uuid=shift.uuid).first()
    else:
        report = RetailSalesReport.objects.filter(device=device, shift_uuid__isnull=True,
                                                  shift_number=shift.shift_number,
                                                  shift_opened_at=_local(shift.opened_at)).first()
    resent = report is not None
    previous_orders: set[int] = set()
    if report is None:
        report = RetailSalesReport(device=device, shift_uuid=shift.uuid, shift_number=shift.shift_number,
                                   shift_opened_at=_local(shift.opened_at))
    else:
        previous_orders = set(SalesReportSettlement.objects.filter(report=report, order__isnull=False)
                              .values_list("order_id", flat=True))
        for model in (SalesReportGoodsLine, SalesReportReturnedLine, SalesReportCardPayment,
                      SalesReportBankCreditPayment, SalesReportSettlement, SalesReportCashMovement,
                      SalesReportExciseStamp):
            model.objects.filter(report=report).delete()

    goods = [row for row in draft.goods.values() if row.quantity_packs != 0 or row.amount != 0]
    goods_lines = []
    for n, row in enumerate(goods, 1):
        amount = to_money(row.amount)
        goods_lines.append(SalesReportGoodsLine(
            line_number=n, item_id=row.item_id, characteristic_id=row.characteristic_id, pack_id=row.pack_id,
            order=row.order, sent_code=row.sent_code, sent_good_uuid=row.sent_good_uuid,
            quantity_packs=to_quantity(row.quantity_packs), quantity=to_quantity(row.quantity), price=row.price,
            amount=amount, vat_rate=row.vat_rate, vat_amount=vat_included(amount, VatRate.percent(row.vat_rate)),
        ))
    returned_lines = []
    for n, row in enumerate(draft.returned.values(), 1):
        amount = to_money(row.amount)
        returned_lines.append(SalesReportReturnedLine(
            line_number=n, item_id=row.item_id, characteristic_id=row.characteristic_id, pack_id=row.pack_id,
            sent_code=row.sent_code, sent_good_uuid=row.sent_good_uuid, quantity_packs=to_quantity(row.quantity_packs),
            quantity=to_quantity(row.quantity), price=row.price, amount=amount, vat_rate=row.vat_rate,
            vat_amount=vat_included(amount, VatRate.percent(row.vat_rate)),
        ))
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

    card_total = sum((line.amount for line in cards), Decimal(0))
    credit_total = sum((line.amount for line in credits), Decimal(0))
    report.date = draft.date
    report.cash_register = register
    report.store = register.store if register else None
    report.organization = register.organization if register else device.organization
    report.warehouse = device.rule.warehouse
    report.prices_include_vat = True
    report.comment = f"Загружено из ККМ Офлайн: {device.name}"[:500]
    report.responsible = user if getattr(user, "pk", None) else None
    report.shift_closed_at = _local(shift.closed_at) if shift.closed_at else None
    report.shift_closed = shift.closed
    report.total = (sum((line.amount for line in goods_lines), Decimal(0)) if goods_lines
                    else to_money(draft.cash) + card_total + credit_total)
    report.vat_total = sum((line.vat_amount for line in goods_lines), Decimal(0))
    report.returns_total = sum((line.amount for line in returned_lines), Decimal(0))
    report.cash_total = to_money(draft.cash)
    report.prepayment_total = to_money(draft.prepayment)
    report.postpayment_total = to_money(draft.postpayment)
    report.barter_total = to_money(draft.barter)
    report.posted = not draft.reasons
    report.not_posted_reasons = "\n".join(draft.reasons)
    report.journal_entry = journal_entry
    report._history_user = report.responsible
    report._change_reason = "Повторная загрузка смены из ККМ" if resent else "Загрузка смены из ККМ"
    if not resent:
        report.number_year = report.date.year
        report.number, report.number_seq = _number_pending(), 0
    report.save()

    for line in goods_lines + returned_lines + cards + credits:
        line.report = report
    SalesReportGoodsLine.objects.bulk_create(goods_lines, batch_size=1000)
    SalesReportReturnedLine.objects.bulk_create(returned_lines, batch_size=1000)
    SalesReportCardPayment.objects.bulk_create(cards)
    SalesReportBankCreditPayment.objects.bulk_create(credits)
    SalesReportSettlement.objects.bulk_create([
        SalesReportSettlement(report=report, line_number=n, order=order, order_uuid=order_uuid,
                              shipped_amount=to_money(shipped), paid_amount=to_money(paid))
        for n, (order_uuid, (order, shipped, paid)) in enumerate(draft.settlements.items(), 1)
    ])
    SalesReportCashMovement.objects.bulk_create([
        SalesReportCashMovement(report=report, line_number=n, date=_local(m.date), number=m.number[:50],
                                direction=m.type, amount=to_money(m.amount), uuid=m.uuid)
        for n, m in enumerate(shift.cash_movements, 1)
    ])
    SalesReportExciseStamp.objects.bulk_create([
        SalesReportExciseStamp(report=report, line_number=n, check_number=check_number[:50], item_id=item_id,
                               sent_code=code, stamp=stamp)
        for n, (check_number, item_id, code, stamp) in enumerate(draft.stamps, 1)
    ], batch_size=1000)
    # Stock and orders follow the report: posted → its goods written off (a re-upload replaces the
    # movements), not posted → whatever an earlier upload wrote is removed.
    if report.posted:
        refused = sales_report_post(report=report, user=report.responsible)
        if refused:
            draft.reasons.append(refused)
            report.posted = False
            report.not_posted_reasons = "\n".join(draft.reasons)
            report.save(update_fields=["posted", "not_posted_reasons"])
    else:
        document_unpost(document=report, user=report.responsible)
    orders_follow_sales(order_ids=previous_orders | {order.pk for order, _s, _p in draft.settlements.values() if order})
    return report


def sales_reports_reload(*, entry: ExchangeJournalEntry, user=None) -> PostDocsResult:
    """Re-run the import of an archived upload, e.g. after the admin gave a missing good its SKU."""
    if entry.operation != "PostDocs" or not entry.document:
        raise ValueError("В этой записи журнала нет загруженного документа")
    if entry.device is None:
        raise ValueError("Запись журнала не связана с оборудованием")
    return post_docs(device=entry.device, doc_type=entry.doc_type or "SaleReports", document=bytes(entry.document),
                     user=user, journal_entry=entry)


def sales_report_repost(*, report: RetailSalesReport, user=None) -> PostDocsResult:
    """«Перепровести из журнала»: the report's stored upload imported again. The import finds the report
    by its shift and replaces its lines and movements, so no second report appears and stock moves once."""
    if report.journal_entry_id is None:
        raise ValueError("У отчета нет записи журнала обмена: перепроводить нечего.")
    return sales_reports_reload(entry=report.journal_entry, user=user)


@dataclass
class UnrecognizedCode:
    """One code of an unposted report's goods that matched no position (the lines are summed)."""

    code: str
    good_uuid: uuid.UUID | None
    checks: int | None  # None when the stored upload cannot be read again
    quantity: Decimal
    prices: list[Decimal]
    amount: Decimal


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
        same = (shift.uuid == report.shift_uuid if report.shift_uuid
                else shift.shift_number == report.shift_number)
        if not same:
            continue
        for check in shift.checks:
            for key in {(line.code, line.good_uuid) for line in check.lines}:
                counts[key] += 1
    return counts


def sales_report_unrecognized(*, report: RetailSalesReport) -> list[UnrecognizedCode]:
    """The codes of the report's goods (and returns) that are not a position of ours, in line order."""
    found: dict[tuple[str, uuid.UUID | None], UnrecognizedCode] = {}
    for model in (SalesReportGoodsLine, SalesReportReturnedLine):
        for line in model.objects.filter(report=report, item__isnull=True).order_by("line_number"):
            key = (line.sent_code, line.sent_good_uuid)
            row = found.get(key)
            if row is None:
                row = found[key] = UnrecognizedCode(line.sent_code, line.sent_good_uuid, None, Decimal(0), [],
                                                    Decimal(0))
            # Goods hold the net of sales and returns; a code only returned shows its returned lines.
            if model is SalesReportGoodsLine or not row.prices:
                row.quantity += line.quantity_packs
                row.amount += line.amount
            if line.price not in row.prices:
                row.prices.append(line.price)
    if found:
        checks = _checks_by_code(report)
        if checks is not None:
            for key, row in found.items():
                row.checks = checks.get(key, 0)
    return list(found.values())


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def sales_report_reasons_short(*, report: RetailSalesReport, unknown_codes: int) -> list[str]:
    """The stored reasons in a few words each, for the banner: «1 код не найден», «смена не закрыта»."""
    short = []
    for reason in filter(None, (text.strip() for text in report.not_posted_reasons.splitlines())):
        if reason.startswith("не найдены товары по кодам"):
            count = unknown_codes or 1
            short.append(f"{count} {_plural(count, 'код не найден', 'кода не найдены', 'кодов не найдены')}")
            continue
        # The details (codes, sums, hints) stay in the full text below the banner.
        for stop in (" (", " — ", ". "):
            reason = reason.split(stop, 1)[0]
        short.append(reason.rstrip("."))
    return short
