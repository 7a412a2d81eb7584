"""The exchange journal: one entry per call, and uploads archived before they are processed."""
from __future__ import annotations

from ..models import ExchangeJournalEntry, OfflineDevice


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


def journal_write(*, entry: ExchangeJournalEntry | None = None, **fields) -> ExchangeJournalEntry:
    """Create the call's entry, or complete the one opened by `journal_receive`."""
    fields["error"] = fields.get("error", "")[:4000]
    fields["note"] = fields.get("note", "")[:4000]
    if entry is None:
        return ExchangeJournalEntry.objects.create(**fields)
    fields.pop("document", None)  # already archived; never rewritten
    ExchangeJournalEntry.objects.filter(pk=entry.pk).update(**fields)
    for key, value in fields.items():
        setattr(entry, key, value)
    return entry
