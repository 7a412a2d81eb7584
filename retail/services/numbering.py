"""One numbering for every numbered document (store documents, customer orders, Retail Sales Reports):
ТДРТ-000001 — the organization's prefix and the sequence of the document's kind in its year, as 1C numbers.

A counter row per (kind, prefix, year) is locked while a number is taken and stays locked until the
transaction ends: two documents of one kind, prefix and year never share a number, and nothing else waits
for them. So numbers are taken as late in a transaction as the caller can (an upload numbers its reports
just before its commit).
"""
from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Max

from retail.models import DocumentCounter

NO_PREFIX = "00"  # a document of no organization, or of one without a prefix, as 1C numbers it


def prefix_of(organization) -> str:
    """The prefix of the numbers of the organization's documents."""
    return (organization.number_prefix if organization is not None else "") or NO_PREFIX


def kind_of(model) -> str:
    """The counter's name for a kind of document: its model's label (retail.goodsreceipt)."""
    return model._meta.label_lower


def number_text(prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:06d}"


def own_sequence(*, number: str, prefix: str) -> int | None:
    """The sequence of a number typed in the organization's own form (ТДРТ-000007 → 7); None for any other
    form. Stored beside a typed number, so the next automatic number never repeats it."""
    match = re.fullmatch(rf"{re.escape(prefix)}-(\d{{1,9}})", number)
    return int(match.group(1)) if match else None


def _counter_locked(*, kind: str, prefix: str, year: int) -> DocumentCounter:
    counter = DocumentCounter.objects.select_for_update().filter(kind=kind, prefix=prefix, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # the first two documents of a year may race to create it
                DocumentCounter.objects.create(kind=kind, prefix=prefix, year=year, last=0)
        except IntegrityError:
            pass
        counter = DocumentCounter.objects.select_for_update().get(kind=kind, prefix=prefix, year=year)
    return counter


@transaction.atomic
def numbers_take(*, model, prefix: str, year: int, count: int = 1) -> range:
    """The next `count` sequences of the model's documents of the prefix in the year, reserved for the
    caller; the counter stays locked until the caller's transaction ends."""
    counter = _counter_locked(kind=kind_of(model), prefix=prefix, year=year)
    # The documents stay the truth: a number written by other means (an order's number typed in the
    # organization's own form) is never given again.
    written = (model.objects.filter(number_year=year, number__startswith=f"{prefix}-")
               .aggregate(m=Max("number_seq"))["m"]) or 0
    first = max(counter.last, written) + 1
    DocumentCounter.objects.filter(pk=counter.pk).update(last=first + count - 1)
    return range(first, first + count)


@transaction.atomic
def document_number_assign(*, document) -> None:
    """An unnumbered document gets the next number of its kind for its organization's prefix in its year
    (ТДРТ-000001); a numbered one keeps its number."""
    if document.number:
        return
    prefix, year = prefix_of(document.organization if document.organization_id else None), document.date.year
    (sequence,) = numbers_take(model=type(document), prefix=prefix, year=year)
    document.number, document.number_year, document.number_seq = number_text(prefix, sequence), year, sequence
