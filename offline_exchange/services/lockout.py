"""Throttling of failed service logins, shared by every app server (it lives in the database).

Failures lock out the pair (login, address) and the address, never a login everywhere: a register
keeps working from an address where its login has signed in before, whatever strangers guess from
elsewhere (or from its own network: the address lock does not apply to a login known there).
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from offline_exchange.models import AuthFailure, KnownLoginAddress


def _window() -> timedelta:
    return timedelta(seconds=settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS)


def _known(*, ip: str | None, username: str) -> bool:
    return bool(ip and username) and KnownLoginAddress.objects.filter(username=username, ip=ip).exists()


def lockout_reason(*, ip: str | None, username: str) -> str:
    """Why this attempt is refused before its password is even checked; empty when it is not."""
    since = timezone.now() - _window()
    minutes = max(1, settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS // 60)
    if username and AuthFailure.objects.filter(username=username, ip=ip or None, created_at__gte=since).count() >= \
            settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER:
        return (f"Слишком много неудачных попыток входа пользователя «{username}» с адреса {ip or 'неизвестен'}; "
                f"вход закрыт на {minutes} мин. Проверьте пароль в настройках кассы.")
    if ip and not _known(ip=ip, username=username) and \
            AuthFailure.objects.filter(ip=ip, created_at__gte=since).count() >= settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP:
        return (f"Слишком много неудачных попыток входа с адреса {ip}; вход с него закрыт на {minutes} мин. "
                "Проверьте пользователя и пароль в настройках кассы.")
    return ""


def lockout_record_failure(*, ip: str | None, username: str) -> None:
    AuthFailure.objects.create(ip=ip or None, username=username[:150])
    # Old failures no longer count; dropped here so the table stays small without a cron job.
    AuthFailure.objects.filter(created_at__lt=timezone.now() - _window()).delete()


def lockout_clear(*, ip: str | None, username: str) -> None:
    """A successful login forgets this login's failures from this address and remembers the address."""
    AuthFailure.objects.filter(username=username, ip=ip or None).delete()
    if ip:
        KnownLoginAddress.objects.update_or_create(username=username[:150], ip=ip,
                                                   defaults={"last_success_at": timezone.now()})


def lockout_state(*, usernames: list[str]) -> list[str]:
    """The lock-outs in force for these logins, in words, for the exchange console."""
    since = timezone.now() - _window()
    failures = {}
    for username, ip in AuthFailure.objects.filter(username__in=usernames, created_at__gte=since).values_list(
            "username", "ip"):
        failures[(username, ip)] = failures.get((username, ip), 0) + 1
    return [f"«{username}» с адреса {ip or '?'}: {count} неудачных попыток"
            + (" — вход закрыт" if count >= settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER else "")
            for (username, ip), count in sorted(failures.items(), key=lambda pair: -pair[1])]
