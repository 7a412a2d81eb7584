"""HTTP Basic authentication as a 1C publication does it (UTF-8 logins, Cyrillic included)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model

from offline_exchange.services import lockout
from offline_exchange.services.addresses import client_address
from offline_exchange.services.connections import Kind, unknown_connection_forget, unknown_connection_record


def basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older clients send the login in the Windows code page.
        text = raw.decode("cp1251", errors="replace")
    username, sep, password = text.partition(":")
    if not sep:
        return None
    return username, password


class _VerifiedCredentials:
    """Logins whose password this process has already checked.

    A device sends Basic credentials with every call; checking them with Django's password
    hasher costs ~0.2 s of CPU each time, more than the call itself. A hit still reads the user
    and must find the same login name, a stamp of the same password hash and an active account,
    so a renamed login, a changed password or a blocked user stops working at once, in every
    process (each reads the database). Keys and stamps are HMACs: no password or hash is kept.
    """

    def __init__(self, size: int = 1024):
        self.size = size
        self.entries: OrderedDict[bytes, tuple[int, str, bytes, float]] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def _hmac(text: str) -> bytes:
        return hmac.new(settings.SECRET_KEY.encode(), text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    @classmethod
    def key(cls, username: str, password: str, ip: str | None = None) -> bytes:
        # The address is part of the key: a login checked from one address is no pass from another,
        # where a lock-out of that pair may be in force.
        return cls._hmac(f"{username}\0{password}\0{ip or ''}")

    @classmethod
    def stamp(cls, user) -> bytes:
        return cls._hmac(f"{user.pk}\0{user.get_username()}\0{user.password}")

    def get(self, key: bytes, username: str):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[3] < time.monotonic():
                self.entries.pop(key, None)
                return None
            self.entries.move_to_end(key)
        pk, name, stamp, _expires = entry
        user = get_user_model().objects.filter(pk=pk).first()
        if (user is None or not user.is_active or name != username or user.get_username() != username
                or not hmac.compare_digest(self.stamp(user), stamp)):
            with self.lock:
                self.entries.pop(key, None)
            return None
        return user

    def put(self, key: bytes, user) -> None:
        ttl = getattr(settings, "EQUIPMENT_SERVICE_AUTH_CACHE_SECONDS", 300)
        if ttl <= 0:
            return
        with self.lock:
            self.entries[key] = (user.pk, user.get_username(), self.stamp(user), time.monotonic() + ttl)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


verified = _VerifiedCredentials()


class LoginRefused(Exception):
    """Too many failed logins: the attempt is refused before its password is checked."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def basic_authenticate(request):
    """The user of the request's Basic credentials, or None; raises LoginRefused when locked out.

    A login this process has already checked from this address is trusted without a lock-out check; in
    a fresh process the lock-out (by login and address, and by address) still lets a register through
    from where it has signed in before, whatever is guessed elsewhere.
    """
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        return None
    ip = client_address(request)
    key = verified.key(*credentials, ip)
    user = verified.get(key, credentials[0])
    if user is not None:
        return user
    refusal = lockout.lockout_check(ip=ip, username=credentials[0])
    if refusal is not None:
        # Shown on the console by login and address; the password tried is never kept.
        unknown_connection_record(kind=Kind.LOCKED_OUT, username=credentials[0], address=ip)
        raise LoginRefused(refusal.message, refusal.retry_after)
    user = authenticate(request, username=credentials[0], password=credentials[1])
    if user is None or not user.is_active:
        lockout.lockout_record_failure(ip=ip, username=credentials[0])
        unknown_connection_record(kind=Kind.WRONG_PASSWORD, username=credentials[0], address=ip)
        return None
    lockout.lockout_clear(ip=ip, username=credentials[0])
    unknown_connection_forget(username=credentials[0], address=ip)
    verified.put(key, user)
    return user
