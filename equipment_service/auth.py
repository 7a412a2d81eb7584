"""HTTP Basic authentication as a 1C publication does it (UTF-8 logins, Cyrillic included)."""
from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate

SYNC_PERMISSION = "offline_exchange.sync_data"


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


def basic_authenticate(request):
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        return None
    user = authenticate(request, username=credentials[0], password=credentials[1])
    if user is None or not user.is_active:
        return None
    return user


def can_sync(user) -> bool:
    return user.has_perm(SYNC_PERMISSION)
