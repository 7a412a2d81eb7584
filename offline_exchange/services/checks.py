"""Every check of an uploaded shift kept as its own records, and returns of checks sold in another shift
booked as their own «Отчет о розничных возвратах» (as УТ 11.5 books them), from the PostDocs import.

Called by the import (`sales.sales_reports_import`) inside its transaction, after the shift's report is saved:
a re-sent shift replaces its checks and its returns documents at once, or nothing changes.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.db import connection, transaction
from django.utils import timezone

from common.money import to_money, to_quantity, vat_included
from offline_exchange.format.rates import check_line_rate
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, SaleReportDoc
from offline_exchange.models import CashRegister, ExchangeJournalEntry, OfflineDevice, PaymentKind
from retail.models import (
    Check,
    CheckLine,
    CheckMarkingCode,
    CheckPayment,
    RetailReturnsReport,
    RetailReturnsReportLine,
    RetailReturnsReportPayment,
    RetailSalesReport,
    SalesReportCheck,
    VatRate,
)
from retail.services.costing import rows_insert
from retail.services.numbering import document_number_assign
from retail.services.posting import PostingError, document_delete, document_post, document_unpost
from retail.services.reasons import no_register_reason, unknown_codes_reason
from retail.services.sales_reports import PENDING_NUMBER, number_pending

SALE_RETURN = 2
SETTLEMENT_METHODS = frozenset({4, 5, 6})  # as the report: full payment, partial payment and credit, credit


class Positions(Protocol):
    """What the import already read for the upload (sales._Catalog): positions by code, items, packs, orders."""

    items: dict
    pack_coefficient: dict
    orders: dict

    def position(self, line: CheckLineDoc) -> tuple[int, int | None, int | None] | None: ...


@dataclass
class BookedShift:
    """A shift as its report books it (`own`: without returns of other shifts' checks) and those returns."""

    shift: SaleReportDoc
    own: SaleReportDoc
    foreign: list[CheckDoc]


def shift_checks_split(*, shift: SaleReportDoc) -> BookedShift:
    """Returns of a check that is not in this shift (RefDocumentType Check, its UUID not among the shift's
    checks) are booked apart; returns of this shift's own checks, and returns naming no check, stay in its
    report as before."""
    own_uuids = {check.uuid for check in shift.checks if check.uuid}
    foreign = [check for check in shift.checks
               if check.operation_type == SALE_RETURN and check.ref_type == Check.RefType.CHECK
               and check.ref_uuid is not None and check.ref_uuid not in own_uuids]
    if not foreign:
        return BookedShift(shift, shift, [])
    apart = {id(check) for check in foreign}
    own = dataclasses.replace(shift, checks=[check for check in shift.checks if id(check) not in apart])
    return BookedShift(shift, own, foreign)


def _local(value: datetime) -> datetime:
    # As the import: devices write local time; one that sends an offset is converted.
    if timezone.is_aware(value):
        return timezone.make_naive(value, timezone.get_default_timezone())
    return value


def _kind_of(code: str, mapping: dict, register: CashRegister | None) -> PaymentKind | None:
    # The report's rule: the register's mapping of the code, else its default electronic kind.
    kind = mapping.get(code)
    if kind is None and register is not None:
        kind = register.default_electronic_payment_kind
    return kind


@transaction.atomic
def shift_checks_store(*, report: RetailSalesReport, booked: BookedShift, device: OfflineDevice,
                       register: CashRegister | None, catalog: Positions, mapping: dict, user=None,
                       journal_entry: ExchangeJournalEntry | None = None) -> int:
    """Replace the shift's checks with the uploaded ones and its returns documents with the returns of other
    shifts' checks it holds; returns how many checks were stored."""
    checks_delete(report_ids=[report.pk])
    returns = _returns_reports_save(report=report, booked=booked, device=device, register=register,
                                    catalog=catalog, mapping=mapping, user=user, journal_entry=journal_entry)
    stored = _checks_insert(report=report, checks=booked.shift.checks, catalog=catalog, mapping=mapping,
                            register=register, returns=returns)
    _returns_late_linked(report=report, checks=booked.shift.checks, user=user)
    return stored


def _returns_late_linked(*, report: RetailSalesReport, checks: list[CheckDoc], user) -> None:
    """Returns booked before their sale reached us (a register that was offline longer, or another register
    of the store): now that the sale's shift is here they are linked to it and re-posted, so their goods
    come back at the cost that shift took them out at (as main's return links of a sales report are)."""
    sold = {check.uuid: check for check in checks if check.uuid and check.operation_type != SALE_RETURN}
    if not sold:
        return
    # The shift's checks are stored by now: the database finds the returns waiting for one of them in one
    # query (lists of the shift's UUIDs took 50 queries of 2,000 for 100,000 checks).
    kept = Check.objects.filter(report=report, uuid__isnull=False).exclude(operation=SALE_RETURN).values("uuid")
    waiting = list(RetailReturnsReport.objects.filter(sale_report=None, sale_check_uuid__in=kept)
                   .exclude(shift_report=report).order_by("date", "pk"))
    for document in waiting:
        sale = sold[document.sale_check_uuid]
        document.sale_report = report
        document.sale_check_number = sale.number[:50]
        document.sale_date = _local(sale.date)
        RetailReturnsReport.objects.filter(pk=document.pk).update(
            sale_report=report, sale_check_number=document.sale_check_number, sale_date=document.sale_date)
        if document.posted:
            document_post(document=document, user=user,
                          reason="Проведение: загружена смена с продажей возвращенного товара")


def _checks_only_delete(column: str, values: list[int]) -> int:
    """The check rows themselves in one statement, their children already gone (Django's cascade would
    first load every check of the shift)."""
    if not values:
        return 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(Check._meta.db_table)} WHERE {quote(column)} IN "
                       f"({', '.join(['%s'] * len(values))})", values)
        return cursor.rowcount


def checks_delete(*, report_ids: list[int]) -> int:
    """The checks of these reports and their lines, codes and payments, children first, each one statement
    (the children have no relations of their own: Django deletes them without loading them)."""
    checks = Check.objects.filter(report_id__in=report_ids)
    for model in (CheckMarkingCode, CheckPayment, CheckLine):
        model.objects.filter(check_doc__in=checks.values("pk")).delete()
    return _checks_only_delete(Check._meta.get_field("report").column, list(report_ids))


def _insert_many(model, names: list[str], rows: list[list]) -> None:
    """The rows (values in `names`' order, as the driver takes them) in one statement whatever the shift's
    size (`rows_insert`: COPY on PostgreSQL). Django's bulk_create builds an instance a row and, on SQLite,
    a statement per 999 values (30,000 lines: 330 statements)."""
    rows_insert(model, names, rows, prepared=True)


def _uuid_value(value):
    # As UUIDField stores it: a uuid where the database has the type (PostgreSQL), else its 32 hex digits.
    return value


def _uuid_hex(value):
    return value.hex if value is not None else None


def _checks_insert(*, report, checks: list[CheckDoc], catalog: Positions, mapping: dict, register,
                   returns: dict[int, RetailReturnsReport]) -> int:
    zero = Decimal(0)
    as_uuid = _uuid_value if connection.features.has_native_uuid_field else _uuid_hex
    report_id = report.pk
    orders, order_ref = catalog.orders, Check.RefType.ORDER
    rows = []
    for check in checks:
        order = orders.get(check.ref_uuid) if check.ref_uuid and check.ref_type == order_ref else None
        document = returns.get(id(check)) if returns else None
        cash = electronic = prepayment = postpayment = barter = zero
        for p in check.payments:
            cash += p.cash
            electronic += p.electronic
            prepayment += p.prepayment
            postpayment += p.postpayment
            barter += p.barter
        total = zero
        for line in check.lines:
            total += line.amount
        date = check.date
        rows.append([
            report_id, check.number[:50], date if date.tzinfo is None else _local(date),
            check.operation_type, check.taxation_system, as_uuid(check.uuid), as_uuid(check.ref_uuid),
            check.ref_type, order.pk if order else None, document.pk if document is not None else None, total,
            len(check.lines), cash, electronic, prepayment, postpayment, barter,
        ])
    _insert_many(Check, ["report", "number", "date", "operation", "taxation_system", "uuid", "ref_uuid", "ref_type",
                         "order", "returns_report", "total", "line_count", "cash", "electronic", "prepayment",
                         "postpayment", "barter"], rows)
    # The new checks' ids in the order they were inserted (the shift's checks were deleted just before, and
    # ids grow in the order of one session's inserts).
    ids = list(Check.objects.filter(report_id=report.pk).order_by("pk").values_list("pk", flat=True))
    if len(ids) != len(checks):  # never expected: the upload is rolled back rather than checks mismatched
        raise RuntimeError(f"чеков смены записано {len(ids)}, а в выгрузке {len(checks)}")

    lines, codes, payments = [], [], []
    # A shift sells the same few hundred positions again and again: each looked up once, with the line's
    # code and rate as stored.
    positions: dict[tuple, tuple] = {}
    for check_id, check in zip(ids, checks):
        for n, line in enumerate(check.lines, 1):
            key = (line.code, line.good_uuid, line.characteristic_uuid, line.packing_uuid, line.tax_rate)
            found = positions.get(key)
            if found is None:
                item_id, ch_id, pack_id = catalog.position(line) or (None, None, None)
                found = positions[key] = (line.code[:36], item_id, ch_id, pack_id, line.tax_rate[:10])
            code, item_id, ch_id, pack_id, rate = found
            lines.append((check_id, n, code, item_id, ch_id, pack_id, line.quantity, line.price, line.amount, rate,
                          line.payment_method))
            if line.excise_stamps:
                for stamp in line.excise_stamps:
                    if stamp:
                        codes.append([check_id, n, stamp])
        for payment in check.payments:
            if payment.electronic:
                kind = _kind_of(payment.option_code, mapping, register)
                payments.append([check_id, kind.pk if kind else None, payment.option_code[:36], payment.electronic])
    _insert_many(CheckLine, ["check_doc", "line_number", "code", "item", "characteristic", "pack", "quantity",
                             "price", "amount", "vat_rate", "payment_method"], lines)
    _insert_many(CheckMarkingCode, ["check_doc", "line_number", "code"], codes)
    _insert_many(CheckPayment, ["check_doc", "payment_kind", "option_code", "amount"], payments)
    return len(ids)


# --- «Отчет о розничных возвратах» ------------------------------------------------------------


def _returns_reports_save(*, report, booked: BookedShift, device, register, catalog: Positions, mapping: dict,
                          user, journal_entry) -> dict[int, RetailReturnsReport]:
    """One document per return of another shift's check, found again by the check on a re-send; those of
    this shift no longer in it go. Returns {id(check doc): document}."""
    existing = {(doc.check_uuid or doc.check_number): doc for doc in
                RetailReturnsReport.objects.filter(shift_report=report)}
    if booked.foreign:
        # A return re-sent under a shift that changed its UUID is still the same return of this device.
        uuids = [check.uuid for check in booked.foreign if check.uuid]
        for doc in RetailReturnsReport.objects.filter(device=device, check_uuid__in=uuids).exclude(shift_report=report):
            existing[doc.check_uuid] = doc
    refs = [c.ref_uuid for c in booked.foreign]
    sales = {check.uuid: check for check in Check.objects.filter(uuid__in=refs).exclude(report=report)
             .select_related("report")}
    # A sale whose kept check the retention purged is still known to its report (retail.SalesReportCheck).
    sale_reports = dict(SalesReportCheck.objects.filter(uuid__in=refs).exclude(report=report)
                        .values_list("uuid", "report_id"))
    done: dict[int, RetailReturnsReport] = {}
    kept: set[int] = set()
    for check in booked.foreign:
        document = existing.get(check.uuid or check.number[:50])
        document = _returns_report_save(document=document, report=report, check=check, sale=sales.get(check.ref_uuid),
                                        sale_report_id=sale_reports.get(check.ref_uuid), device=device,
                                        register=register, catalog=catalog, mapping=mapping, user=user,
                                        journal_entry=journal_entry)
        done[id(check)] = document
        kept.add(document.pk)
    for document in existing.values():
        if document.pk not in kept and document.shift_report_id == report.pk:
            document_delete(document=document, user=user)  # the re-sent shift no longer holds that return
    return done


def _returns_report_save(*, document: RetailReturnsReport | None, report, check: CheckDoc, sale: Check | None,
                         sale_report_id: int | None, device, register, catalog: Positions, mapping: dict, user,
                         journal_entry) -> RetailReturnsReport:
    resent = document is not None
    if document is None:
        document = RetailReturnsReport(device=device, check_uuid=check.uuid)
    document.shift_report = report
    document.date = _local(check.date)
    document.check_number = check.number[:50]
    document.store = register.store if register else None
    document.cash_register = register
    document.organization = register.organization if register else device.organization
    document.warehouse = device.rule.warehouse
    document.sale_check_uuid = check.ref_uuid
    document.sale_report_id = sale.report_id if sale is not None else sale_report_id
    document.sale_check_number = sale.number if sale is not None else ""
    document.sale_date = sale.date if sale is not None else None
    document.comment = f"Возврат по чеку другой смены, загружен из ККМ Офлайн: {device.name}"[:500]
    document.responsible = user if getattr(user, "pk", None) else None
    document.journal_entry = journal_entry

    lines, unknown = [], {}
    for line in check.lines:
        if line.payment_method not in SETTLEMENT_METHODS:
            continue
        position = catalog.position(line)
        item_id, ch_id, pack_id = position or (None, None, None)
        item = catalog.items.get(item_id) if item_id else None
        rate = check_line_rate(line.tax_rate) or (item.vat_rate if item else VatRate.NONE)
        coefficient = catalog.pack_coefficient.get(pack_id, Decimal(1)) if pack_id else Decimal(1)
        amount = to_money(line.amount)
        if position is None:
            # As the sales report names them: code, lines, quantity, prices, sum (returned, so positive).
            seen = unknown.setdefault((line.code, line.good_uuid), [0, Decimal(0), Decimal(0), set()])
            seen[0] += 1
            seen[1] += line.quantity
            seen[2] += line.amount
            seen[3].add(line.price)
        lines.append(RetailReturnsReportLine(
            line_number=len(lines) + 1, item_id=item_id, characteristic_id=ch_id, pack_id=pack_id,
            sent_code=line.code[:36], sent_good_uuid=line.good_uuid if position is None else None,
            quantity_packs=to_quantity(line.quantity), quantity=to_quantity(line.quantity * coefficient),
            price=line.price, amount=amount, vat_rate=rate, vat_amount=vat_included(amount, VatRate.percent(rate))))
    refunds: dict[tuple, Decimal] = defaultdict(Decimal)
    cash = Decimal(0)
    for payment in check.payments:
        cash += payment.cash
        if payment.electronic:
            kind = _kind_of(payment.option_code, mapping, register)
            if kind is None or kind.type == PaymentKind.Type.CASH:
                cash += payment.electronic  # as the report books an electronic payment of no kind
            else:
                refunds[(kind, payment.option_code)] += payment.electronic
    # Reasons as data, as the sales report's (retail.services.reasons).
    reasons = []
    if unknown:
        reasons.append(unknown_codes_reason([(code, good_uuid, *seen) for (code, good_uuid), seen in unknown.items()]))
    if register is None:
        reasons.append(no_register_reason(device.name))
    document.total = sum((line.amount for line in lines), Decimal(0))
    document.vat_total = sum((line.vat_amount for line in lines), Decimal(0))
    document.cash_total = to_money(cash)
    document.electronic_total = to_money(sum(refunds.values(), Decimal(0)))
    document.not_posted_reasons = reasons
    document._history_user = document.responsible
    document._change_reason = ("Повторная загрузка смены из ККМ" if resent else "Загрузка смены из ККМ")
    if not resent:
        # A stand-in until the upload numbers its new documents, last (`returns_reports_number`).
        document.number, document.number_year, document.number_seq = number_pending(), document.date.year, 0
    document.save()
    document.lines.all().delete()
    document.payments.all().delete()
    for line in lines:
        line.document = document
    RetailReturnsReportLine.objects.bulk_create(lines)
    RetailReturnsReportPayment.objects.bulk_create([
        RetailReturnsReportPayment(document=document, line_number=n, payment_kind=kind, option_code=code,
                                   amount=to_money(amount))
        for n, ((kind, code), amount) in enumerate(sorted(refunds.items(), key=lambda e: (e[0][0].pk, e[0][1])), 1)
    ])
    if reasons:
        document_unpost(document=document, user=document.responsible)
        return document
    try:
        with transaction.atomic():
            document_post(document=document, user=document.responsible,
                          reason="Проведение отчета о возвратах при загрузке смены")
    except PostingError as exc:
        document.not_posted_reasons = [exc.reason]
        document.save(update_fields=["not_posted_reasons", "updated_at"])
        document_unpost(document=document, user=document.responsible)
    return document


@transaction.atomic
def returns_reports_number(*, reports: list[RetailSalesReport]) -> None:
    """The returns documents these shifts' uploads made get their numbers by the numbering service, after the
    upload's reports are numbered and just before its commit (as the reports, the counter stays locked for
    milliseconds; the counters are always taken in the same order: reports, then returns documents)."""
    for document in (RetailReturnsReport.objects.filter(shift_report__in=reports, number__startswith=PENDING_NUMBER)
                     .select_related("organization").order_by("date", "pk")):
        pending, document.number = document.number, ""
        document_number_assign(document=document)
        RetailReturnsReport.objects.filter(pk=document.pk).update(
            number=document.number, number_year=document.number_year, number_seq=document.number_seq)
        # The history's first version shows the number the document got, not its stand-in.
        RetailReturnsReport.history.filter(id=document.pk, number=pending).update(
            number=document.number, number_year=document.number_year, number_seq=document.number_seq)


def checks_purge(*, before: datetime, batch: int = 5000) -> int:
    """Drop the checks older than `before` (the retention, EXCHANGE_CHECKS_RETENTION_DAYS), in batches each
    its own short transaction. Reports and returns documents stay; a shift whose upload the journal keeps can
    be reloaded to bring its checks back."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(Check.objects.filter(date__lt=before).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            for model in (CheckMarkingCode, CheckPayment, CheckLine):
                model.objects.filter(check_doc_id__in=ids).delete()
            deleted += _checks_only_delete(Check._meta.pk.column, ids)
