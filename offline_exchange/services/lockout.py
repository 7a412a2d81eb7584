"""Throttling of failed logins (the service's and the admin's), shared by every app server (it lives in the
database).

- A login that signed in from an address in the last EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS days is never
  locked out there: a store's NAT or guest Wi-Fi, where a stranger may guess the register's login, only
  slows it down: after a few failures each next attempt waits a delay that doubles up to a cap.
- Elsewhere failures lock out the pair (login, address) and the address.
- A login guessed from many addresses (a forged or rotating address) waits a growing delay everywhere but
  at its known addresses.

Attempts refused by a lock or a delay are answered before their password is checked, and are not
counted as failures (so a lock never extends itself). A delay is an answer "try later", never a sleep:
an app server process is never held by a guesser.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from offline_exchange.models import AuthFailure, KnownLoginAddress

# Failures of a login at its known address before the delay starts (typos while setting a register up).
KNOWN_FREE_FAILURES = 3


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds
    slowed: bool  # a delay, not a lock-out


def _window() -> timedelta:
    return timedelta(seconds=settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS)


def _known(*, ip: str | None, username: str, now) -> bool:
    if not (ip and username):
        return False
    since = now - timedelta(days=settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS)
    return KnownLoginAddress.objects.filter(username=username, ip=ip, last_success_at__gte=since).exists()


def _delay(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures: none for the first `free`, then 1, 2, 4, … up to `cap`."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 30))


def _remaining(last_at, delay: int, now) -> int:
    if last_at is None or not delay:
        return 0
    left = (last_at + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(left + 0.999))


def _known_addresses(username: str, now) -> list[str]:
    since = now - timedelta(days=settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DAYS)
    return list(KnownLoginAddress.objects.filter(username=username, last_success_at__gte=since)
                .values_list("ip", flat=True))


def lockout_check(*, ip: str | None, username: str, now=None) -> Refusal | None:
    """Why this attempt is refused before its password is even checked; None when it is not."""
    now = now or timezone.now()
    since = now - _window()
    window_minutes = max(1, settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS // 60)
    if _known(ip=ip, username=username, now=now):
        pair = AuthFailure.objects.filter(username=username, ip=ip, created_at__gte=since).aggregate(
            n=Count("pk"), last=Max("created_at"))
        left = _remaining(pair["last"], _delay(pair["n"], KNOWN_FREE_FAILURES,
                                               settings.EQUIPMENT_SERVICE_KNOWN_ADDRESS_DELAY_CAP_SECONDS), now)
        if left:
            return Refusal(f"Неудачные попытки входа пользователя «{username}» с адреса {ip}: следующая попытка "
                           f"возможна через {left} с. Проверьте пароль в настройках кассы.", left, slowed=True)
        return None
    if username and AuthFailure.objects.filter(username=username, ip=ip or None, created_at__gte=since).count() >= \
            settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER:
        return Refusal(f"Слишком много неудачных попыток входа пользователя «{username}» с адреса "
                       f"{ip or 'неизвестен'}; вход закрыт на {window_minutes} мин. Проверьте пароль в настройках "
                       "кассы.", settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS, slowed=False)
    if ip and AuthFailure.objects.filter(ip=ip, created_at__gte=since).count() >= \
            settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP:
        return Refusal(f"Слишком много неудачных попыток входа с адреса {ip}; вход с него закрыт на "
                       f"{window_minutes} мин. Проверьте пользователя и пароль в настройках кассы.",
                       settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS, slowed=False)
    if username:
        # The login's failures from every address but those it is known at (a register's own typos there
        # slow only that address down, above).
        anywhere = (AuthFailure.objects.filter(username=username, created_at__gte=since)
                    .exclude(ip__in=_known_addresses(username, now))
                    .aggregate(n=Count("pk"), last=Max("created_at")))
        left = _remaining(anywhere["last"], _delay(anywhere["n"], settings.EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_FREE,
                                                   settings.EQUIPMENT_SERVICE_LOCKOUT_PER_LOGIN_DELAY_CAP_SECONDS),
                          now)
        if left:
            return Refusal(f"Слишком много неудачных попыток входа пользователя «{username}» с разных адресов; "
                           f"следующая попытка возможна через {left} с.", left, slowed=True)
    return None


def lockout_reason(*, ip: str | None, username: str) -> str:
    """The refusal in words (empty when the attempt may go on)."""
    refusal = lockout_check(ip=ip, username=username)
    return refusal.message if refusal else ""


def lockout_record_failure(*, ip: str | None, username: str) -> None:
    AuthFailure.objects.create(ip=ip or None, username=username.replace("\x00", "")[:150])
    # Old failures no longer count; dropped here so the table stays small without a cron job.
    AuthFailure.objects.filter(created_at__lt=timezone.now() - _window()).delete()


def lockout_clear(*, ip: str | None, username: str) -> None:
    """A successful login forgets this login's failures from this address and remembers the address."""
    AuthFailure.objects.filter(username=username, ip=ip or None).delete()
    if ip:
        KnownLoginAddress.objects.update_or_create(username=username[:150], ip=ip,
                                                   defaults={"last_success_at": timezone.now()})


def lockout_state(*, usernames: list[str]) -> list[str]:
    """The lock-outs and delays in force for these logins, in words, for the exchange console."""
    now = timezone.now()
    since = now - _window()
    failures: dict[tuple[str, str], int] = {}
    for username, ip in AuthFailure.objects.filter(username__in=usernames, created_at__gte=since).values_list(
            "username", "ip"):
        failures[(username, ip)] = failures.get((username, ip), 0) + 1
    lines = []
    for (username, ip), count in sorted(failures.items(), key=lambda pair: -pair[1]):
        line = f"«{username}» с адреса {ip or '?'}: {count} неудачных попыток"
        refusal = lockout_check(ip=ip, username=username, now=now)
        if refusal is not None:
            line += " — вход замедлен" if refusal.slowed else " — вход закрыт"
        lines.append(line)
    return lines
