"""The address a call comes from, for lock-outs, the journal and the console."""
from django.conf import settings


def client_address(request) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        # The right-most address is the one our own proxy added; anything left of it is the client's word.
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None
