"""The exchange journal: one entry per call, and uploads archived before they are processed."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
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

# Refused calls without a valid login from one address, for one login tried, share an entry per hour.
AGGREGATE_WINDOW = timedelta(hours=1)
TWO_CLIENTS_WARNING = ("Два разных клиента обмениваются с одним идентификатором устройства в одной передаче "
                       "прайс-листа (адрес или программа клиента меняются): возможно, двум кассам задан один "
                       "идентификатор — прайс-лист разделится между ними. Задайте каждой кассе свой идентификатор.")


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


def journal_write(*, entry: ExchangeJournalEntry | None = None, **fields) -> ExchangeJournalEntry:
    """Create the call's entry, or complete the one opened by `journal_receive`."""
    fields["error"] = fields.get("error", "")[:4000]
    fields["note"] = fields.get("note", "")[:4000]
    if _two_clients(device=fields.get("device"), transfer_id=fields.get("transfer_id"),
                    address=fields.get("address"), user_agent=fields.get("user_agent", "")):
        fields["warning"] = TWO_CLIENTS_WARNING
    if entry is None:
        _unknown_caller(fields)
        if fields.get("status") == ExchangeJournalEntry.Status.DENIED and fields.get("user") is None:
            aggregated = _aggregate(fields)
            if aggregated is not None:
                return aggregated
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


def _aggregate(fields) -> ExchangeJournalEntry | None:
    """A stranger's guesses count up in one entry instead of adding a row each."""
    now = timezone.now()
    same = ExchangeJournalEntry.objects.filter(
        status=ExchangeJournalEntry.Status.DENIED, user=None, address=fields.get("address"),
        operation=fields.get("operation", ""), note=fields["note"], error=fields["error"],
        created_at__gte=now - AGGREGATE_WINDOW,
    ).order_by("-created_at").first()
    if same is None:
        return None
    ExchangeJournalEntry.objects.filter(pk=same.pk).update(repeats=F("repeats") + 1, last_at=now)
    same.refresh_from_db()
    return same


@dataclass
class PurgeOutcome:
    entries: int
    kept_for_reports: int
    known_addresses: int
    checks: int = 0


def journal_purge(*, days: int | None = None) -> PurgeOutcome:
    """Drop journal entries older than the retention (EXCHANGE_JOURNAL_RETENTION_DAYS, 180 by default),
    except those a Retail Sales Report refers to: its upload stays while the report exists. Deleted in
    batches, each its own short transaction, so the journal stays writable meanwhile."""

    days = settings.EXCHANGE_JOURNAL_RETENTION_DAYS if days is None else days
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
    return PurgeOutcome(entries=deleted, kept_for_reports=kept, known_addresses=addresses, checks=checks)
