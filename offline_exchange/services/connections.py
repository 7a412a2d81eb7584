"""«Неизвестные подключения»: the calls the service refused because it did not know the caller.

Recorded where the refusal happens (the SOAP auth for logins, the journal for identifiers), one row per
identifier or per login and address with a counter: a misconfigured phone retrying every minute costs
an UPDATE.

Strangers cannot push the real phones out. A refused login that names no user of the base, from an
address no login has signed in from, is a stranger's: such refusals count in one row per address
(whatever logins it tries), and past `STRANGER_ROWS` addresses in one row for all the others. Rows that
look genuine (a caller that signed in, a login of the base, an address a store uses) are kept ahead of
strangers': past `KEEP_ROWS` strangers' rows go first, then the oldest. The journal's purge drops rows
older than the journal itself keeps.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from offline_exchange.models import DEVICE_ID_MAX_LENGTH, KnownLoginAddress, OfflineDevice, UnknownConnection
from retail.rights import scope_queryset, sees_every_store

logger = logging.getLogger(__name__)
KEEP_ROWS = 500
STRANGER_ROWS = 20
# Keys of strangers' rows: "*", newline, the address; "*" alone for all the addresses past STRANGER_ROWS.
STRANGER = "*"
# What the console lists: a phone set up wrongly last month has been fixed or forgotten since.
SHOWN_FOR = timedelta(days=7)
SHOWN_ROWS = 50

Kind = UnknownConnection.Kind
LOGIN_KINDS = (Kind.WRONG_PASSWORD, Kind.NOT_BOUND, Kind.NO_RIGHT, Kind.LOCKED_OUT)


def _key(*, kind: str, device_ref: str, username: str, address: str) -> str:
    if kind == Kind.UNKNOWN_DEVICE:
        return device_ref.strip().lower()
    # A newline, not NUL: PostgreSQL text cannot hold NUL, and an address never holds a newline.
    return f"{username}\n{address}"[:300]


def _stranger_key(address: str) -> str:
    return f"{STRANGER}\n{address}"


def _looks_genuine(*, kind: str, username: str, address: str) -> bool:
    """A refusal worth a row of its own: the caller signed in (an unknown identifier, a login not bound or
    without the right), or it tried a login of the base, or it calls from where a login has signed in."""
    if kind not in (Kind.WRONG_PASSWORD, Kind.LOCKED_OUT):
        return True
    if username and get_user_model().objects.filter(username=username).exists():
        return True
    since = timezone.now() - timedelta(days=settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS)
    return bool(address) and KnownLoginAddress.objects.filter(ip=address, last_success_at__gte=since).exists()


def unknown_connection_record(*, kind: str, device_ref: str = "", username: str = "",
                              address: str | None = None) -> None:
    """Count one refused call. Never raises into the caller's answer, nor spoils its transaction: it runs
    on the refusal path of calls from strangers, in a savepoint of its own."""
    try:
        with transaction.atomic():
            _record(kind=kind, device_ref=device_ref, username=username, address=address)
    except Exception:  # noqa: BLE001 - the console's register must never cost a device its answer
        logger.exception("could not record an unknown connection")


def _record(*, kind: str, device_ref: str, username: str, address: str | None) -> None:
    # A stranger's login may hold NUL, which PostgreSQL text cannot.
    device_ref, username = (device_ref or "").replace("\x00", ""), (username or "").replace("\x00", "")
    device_ref, username, address = device_ref.strip()[:100], username[:150], (address or "")[:45]
    key = _key(kind=kind, device_ref=device_ref, username=username, address=address)
    now = timezone.now()
    fields = {"device_ref": device_ref, "username": username, "address": address, "last_at": now}
    if not _looks_genuine(kind=kind, username=username, address=address):
        key = _stranger_key(address)
        if not UnknownConnection.objects.filter(kind=kind, key=key).exists() and UnknownConnection.objects.filter(
                key__startswith=f"{STRANGER}\n").count() >= STRANGER_ROWS:
            key, fields["address"] = STRANGER, ""  # every other stranger's address, in one row
    rows = UnknownConnection.objects.filter(kind=kind, key=key)
    if rows.update(count=F("count") + 1, **fields):
        return
    try:
        with transaction.atomic():
            UnknownConnection.objects.create(kind=kind, key=key, first_at=now, **fields)
    except IntegrityError:  # another process created it between our UPDATE and INSERT
        rows.update(count=F("count") + 1, **fields)
        return
    _trim()


def _trim() -> None:
    excess = UnknownConnection.objects.count() - KEEP_ROWS
    if excess <= 0:
        return
    strangers = UnknownConnection.objects.filter(kind__in=[Kind.WRONG_PASSWORD, Kind.LOCKED_OUT], key__startswith=STRANGER)
    stale = list(strangers.order_by("last_at", "pk").values_list("pk", flat=True)[:excess])
    if len(stale) < excess:
        stale += list(UnknownConnection.objects.exclude(pk__in=stale).order_by("last_at", "pk")
                      .values_list("pk", flat=True)[:excess - len(stale)])
    UnknownConnection.objects.filter(pk__in=stale).delete()


def unknown_connection_from_call(*, device_ref: str, user, address: str | None) -> None:
    """A signed-in caller named a device and got none: either no device has the identifier, or the
    login is not bound to the one that has it (the caller is told the same; the console is not)."""
    ref = (device_ref or "").strip()
    if not ref or len(ref) > DEVICE_ID_MAX_LENGTH or user is None:
        return
    device = (OfflineDevice.objects.annotate(ref=Lower(Trim("device_id"))).filter(ref=ref.lower())
              .only("pk").first())
    if device is None:
        unknown_connection_record(kind=Kind.UNKNOWN_DEVICE, device_ref=ref, username=user.username, address=address)
    elif not device.users.filter(pk=user.pk).exists():
        unknown_connection_record(kind=Kind.NOT_BOUND, device_ref=ref, username=user.username, address=address)
    # Otherwise the device is the caller's but switched off (not in use, file exchange): nobody unknown.


def unknown_connection_forget(*, username: str, address: str | None) -> None:
    """A login signed in from this address: its wrong-password and lock-out rows there are history."""
    UnknownConnection.objects.filter(kind__in=[Kind.WRONG_PASSWORD, Kind.LOCKED_OUT],
                                     key=_key(kind=Kind.WRONG_PASSWORD, device_ref="",
                                              username=username.replace("\x00", "")[:150],
                                              address=(address or "")[:45])).delete()


def unknown_connection_purge(*, before) -> int:
    return UnknownConnection.objects.filter(last_at__lt=before).delete()[0]


def unknown_connection_list(*, user, now=None) -> list[UnknownConnection]:
    """What the console shows this user: nothing to one who may not add devices (the block is there to
    create them); to staff limited to stores, every unknown identifier (it belongs to no store yet) but
    only the refused logins that are bound to their stores' devices."""

    if not user.has_perm("offline_exchange.add_offlinedevice"):
        return []
    now = now or timezone.now()
    rows = UnknownConnection.objects.filter(last_at__gte=now - SHOWN_FOR)
    # An identifier that a device has been given since is no longer unknown.
    named = OfflineDevice.objects.annotate(ref=Lower(Trim("device_id"))).filter(ref=OuterRef("key"))
    rows = rows.exclude(Q(kind=Kind.UNKNOWN_DEVICE) & Q(Exists(named)))
    if not sees_every_store(user):
        devices = scope_queryset(OfflineDevice.objects.all(), user)
        logins = devices.values_list("users__username", flat=True)
        rows = rows.filter(Q(kind=Kind.UNKNOWN_DEVICE) | Q(username__in=[name for name in logins if name]))
    return list(rows.order_by("-last_at", "-pk")[:SHOWN_ROWS])
