"""The exchange journal: one entry per call, and uploads archived before they are processed."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from offline_exchange.models import AuthFailure, ExchangeJournalEntry, KnownLoginAddress, OfflineDevice
from offline_exchange.services.checks import checks_purge
from offline_exchange.services.connections import (
    Kind,
    unknown_connection_from_call,
    unknown_connection_purge,
    unknown_connection_record,
)
from retail.models import RetailSalesReport

logger = logging.getLogger(__name__)
PURGE_BATCH = 5000

# A stranger's refused calls (no valid login) share one entry per address, kind of refusal and hour, with
# the logins tried; an address gets at most so many entries a day, and all strangers together so many an
# hour: past that every refusal counts in one entry of the hour that lists the addresses. However many
# logins or addresses a flood tries, the journal grows by a few dozen rows a day.
REFUSAL_WINDOW = timedelta(hours=1)
REFUSAL_ROWS_PER_ADDRESS_PER_DAY = 12
REFUSAL_ROWS_PER_WINDOW = 30
REFUSAL_OVERFLOW = "overflow"
TRIED_KEPT = 20
TWO_CLIENTS_WARNING = ("Два разных клиента обмениваются с одним идентификатором устройства в одной передаче "
                       "прайс-листа (адрес или программа клиента меняются): возможно, двум кассам задан один "
                       "идентификатор — прайс-лист разделится между ними. Задайте каждой кассе свой идентификатор.")


def upload_status(*, success: bool, unposted: bool) -> str:
    """The journal status of an upload: refused, taken with a report left unposted (a warning: the device
    was told «успешно», the store admin has something to fix), or taken whole."""
    if not success:
        return ExchangeJournalEntry.Status.REFUSED
    return ExchangeJournalEntry.Status.WARNING if unposted else ExchangeJournalEntry.Status.OK


def journal_upload_result(*, entry: ExchangeJournalEntry, success: bool, unposted: bool,
                          description: str) -> ExchangeJournalEntry:
    """The stored upload imported again (from the journal or a report's page): its entry says how it stands
    now, so the journal's «Предупреждение» disappears once its reports are posted."""
    status = upload_status(success=success, unposted=unposted)
    error = "" if status == ExchangeJournalEntry.Status.OK else description[:4000]
    ExchangeJournalEntry.objects.filter(pk=entry.pk).update(status=status, error=error)
    entry.status, entry.error = status, error
    return entry


def journal_receive(*, device: OfflineDevice | None, device_ref: str, operation: str, user, doc_type: str,
                    document: bytes, request_bytes: int) -> ExchangeJournalEntry:
    """Archive an upload before anything else happens to it.

    Runs in its own (autocommit) write, outside the import transaction, so the document is
    kept whatever the import does next: refuse it, fail half-way, or lose its process.
    """
    return ExchangeJournalEntry.objects.create(
        device=device, device_ref=device_ref[:100], operation=operation,
        user=user if getattr(user, "pk", None) else None, status=ExchangeJournalEntry.Status.RECEIVED,
        request_bytes=request_bytes, doc_type=doc_type[:40], document=document,
    )


def _two_clients(*, device, transfer_id, address, user_agent) -> bool:
    """Another client (address or User-Agent) has already called in this transfer of this device."""
    if device is None or transfer_id is None or not (address or user_agent):
        return False
    others = ExchangeJournalEntry.objects.filter(device=device, transfer_id=transfer_id,
                                                 status=ExchangeJournalEntry.Status.OK)
    return others.filter(~Q(address=address) | ~Q(user_agent=user_agent or "")).exclude(
        address=None, user_agent="").exists()


def journal_write(*, entry: ExchangeJournalEntry | None = None, refusal: str = "", login: str = "",
                  **fields) -> ExchangeJournalEntry:
    """Create the call's entry, or complete the one opened by `journal_receive`. A refusal of a caller
    without a valid login (`refusal`: its kind, `login`: the login it tried) is counted, not added."""
    fields["error"] = fields.get("error", "")[:4000]
    fields["note"] = fields.get("note", "")[:4000]
    if _two_clients(device=fields.get("device"), transfer_id=fields.get("transfer_id"),
                    address=fields.get("address"), user_agent=fields.get("user_agent", "")):
        fields["warning"] = "\n".join(filter(None, [fields.get("warning", ""), TWO_CLIENTS_WARNING]))
    fields["warning"] = fields.get("warning", "")[:4000]
    if entry is None:
        _unknown_caller(fields)
        if fields.get("status") == ExchangeJournalEntry.Status.DENIED and fields.get("user") is None:
            return _refusal_write(fields, refusal=refusal or "other", login=login)
        return ExchangeJournalEntry.objects.create(**fields)
    fields.pop("document", None)  # already archived; never rewritten
    ExchangeJournalEntry.objects.filter(pk=entry.pk).update(**fields)
    for key, value in fields.items():
        setattr(entry, key, value)
    return entry


def _unknown_caller(fields) -> None:
    """A signed-in caller the service did not serve as a device goes to «Неизвестные подключения»:
    one that named no device of its own, or one without the sync right (refused logins without a
    valid password are recorded by the SOAP auth itself)."""

    user, device_ref = fields.get("user"), (fields.get("device_ref") or "").strip()
    if user is None or fields.get("device") is not None:
        return
    try:
        if device_ref:
            unknown_connection_from_call(device_ref=device_ref, user=user, address=fields.get("address"))
        elif fields.get("status") == ExchangeJournalEntry.Status.DENIED:
            unknown_connection_record(kind=Kind.NO_RIGHT, username=user.username, address=fields.get("address"))
    except Exception:  # noqa: BLE001 - the console's register must never cost the journal its entry
        logger.exception("could not record an unknown connection")


def _tried_add(tried: dict, *, login: str, address: str | None) -> dict:
    """The logins (and addresses) a refused caller tried: the first TRIED_KEPT of each, and how many calls
    brought one beyond them."""
    tried = {"logins": [], "more_logins": 0, "addresses": [], "more_addresses": 0, **(tried or {})}
    for name, value in (("logins", login.replace("\x00", "")[:150]), ("addresses", address)):
        if value and value not in tried[name]:
            if len(tried[name]) < TRIED_KEPT:
                tried[name].append(value)
            else:
                tried[f"more_{name}"] += 1
    return tried


def _listed(values: list[str], more: int, quote: bool) -> str:
    text = ", ".join(f"«{value}»" if quote else value for value in values)
    return text + (" и другие" if more else "")


def _refusal_note(*, address: str | None, tried: dict, overflow: bool) -> str:
    parts = []
    if overflow:
        parts.append("адреса: " + (_listed(tried["addresses"], tried["more_addresses"], quote=False) or "неизвестны"))
    else:
        parts.append(f"адрес {address or 'неизвестен'}")
    logins = _listed(tried["logins"], tried["more_logins"], quote=True)
    parts.append(f"пользователи: {logins}" if logins else "без учетных данных")
    return "; ".join(parts)


def _refusal_write(fields, *, refusal: str, login: str) -> ExchangeJournalEntry:
    """Count a stranger's refusal in its entry of the hour, or open one within the caps."""
    now = timezone.now()
    address = fields.get("address")
    strangers = ExchangeJournalEntry.objects.filter(status=ExchangeJournalEntry.Status.DENIED, user=None)
    recent = strangers.filter(created_at__gte=now - REFUSAL_WINDOW)
    with transaction.atomic():
        row = recent.filter(refusal=refusal, address=address).order_by("-created_at", "-pk").first()
        if row is None:
            today = strangers.filter(address=address, created_at__gte=now - timedelta(days=1))
            if address is not None and today.count() >= REFUSAL_ROWS_PER_ADDRESS_PER_DAY:
                row = today.order_by("-created_at", "-pk").first()
            elif recent.exclude(refusal=REFUSAL_OVERFLOW).count() >= REFUSAL_ROWS_PER_WINDOW:
                row = recent.filter(refusal=REFUSAL_OVERFLOW).order_by("-created_at", "-pk").first()
                if row is None:
                    tried = _tried_add({}, login=login, address=address)
                    return ExchangeJournalEntry.objects.create(**{
                        **fields, "address": None, "refusal": REFUSAL_OVERFLOW, "tried": tried, "last_at": now,
                        "error": (f"Отказы без входа сверх {REFUSAL_ROWS_PER_WINDOW} записей журнала за час "
                                  "считаются в этой записи"),
                        "note": _refusal_note(address=None, tried=tried, overflow=True)})
            else:
                tried = _tried_add({}, login=login, address=None)
                return ExchangeJournalEntry.objects.create(**{
                    **fields, "refusal": refusal, "tried": tried, "last_at": now,
                    "note": _refusal_note(address=address, tried=tried, overflow=False)})
        row = ExchangeJournalEntry.objects.select_for_update().get(pk=row.pk)
        overflow = row.refusal == REFUSAL_OVERFLOW
        row.tried = _tried_add(row.tried, login=login, address=address if overflow else None)
        row.note = _refusal_note(address=row.address, tried=row.tried, overflow=overflow)
        row.repeats += 1
        row.last_at = now
        row.save(update_fields=["tried", "note", "repeats", "last_at"])
    return row


# No upload is processed for this long: an entry still «received» after it lost its process.
STALE_UPLOAD_AGE = timedelta(hours=1)
STALE_UPLOAD_ERROR = ("Обработка выгрузки прервана: процесс сервера остановился, не закончив ее. Ничего из нее "
                      "не записано; документ сохранен в этой записи — касса повторит выгрузку, или нажмите "
                      "«Провести отчеты загрузки» в журнале обмена.")


def journal_stale_uploads_fail(*, now=None) -> int:
    """Entries left «received» by a killed process become failures with the reason (the import is one
    transaction, so nothing of theirs was written); returns how many."""
    now = now or timezone.now()
    return ExchangeJournalEntry.objects.filter(
        status=ExchangeJournalEntry.Status.RECEIVED, created_at__lt=now - STALE_UPLOAD_AGE,
    ).update(status=ExchangeJournalEntry.Status.FAULT, error=STALE_UPLOAD_ERROR)


@dataclass
class PurgeOutcome:
    entries: int
    kept_for_reports: int
    known_addresses: int
    checks: int = 0
    stale_uploads: int = 0


def journal_purge(*, days: int | None = None) -> PurgeOutcome:
    """Drop journal entries older than the retention (EXCHANGE_JOURNAL_RETENTION_DAYS, 180 by default),
    except those a Retail Sales Report refers to: its upload stays while the report exists. Deleted in
    batches, each its own short transaction, so the journal stays writable meanwhile."""

    days = settings.EXCHANGE_JOURNAL_RETENTION_DAYS if days is None else days
    stale = journal_stale_uploads_fail()
    cutoff = timezone.now() - timedelta(days=days)
    old = ExchangeJournalEntry.objects.filter(created_at__lt=cutoff)
    needed = RetailSalesReport.objects.exclude(journal_entry=None).values("journal_entry_id")
    purgeable = old.exclude(pk__in=needed)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(purgeable.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
            if not batch:
                break
            deleted += ExchangeJournalEntry.objects.filter(pk__in=batch).delete()[0]
    kept = old.count()
    addresses = KnownLoginAddress.objects.filter(last_success_at__lt=cutoff).delete()[0]
    AuthFailure.objects.filter(created_at__lt=timezone.now() - timedelta(
        seconds=settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS)).delete()
    unknown_connection_purge(before=cutoff)
    # The kept checks by their own retention (the journal's unless EXCHANGE_CHECKS_RETENTION_DAYS says otherwise).
    checks = checks_purge(before=timezone.now() - timedelta(days=settings.EXCHANGE_CHECKS_RETENTION_DAYS))
    return PurgeOutcome(entries=deleted, kept_for_reports=kept, known_addresses=addresses, stale_uploads=stale,
                        checks=checks)
