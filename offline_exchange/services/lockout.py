"""Throttling of failed service logins, per login and per address, shared by every app server."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import AuthFailure


def _window() -> timedelta:
    return timedelta(seconds=settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS)


def lockout_reason(*, ip: str | None, username: str) -> str:
    """Why this attempt is refused before its password is even checked; empty when it is not."""
    since = timezone.now() - _window()
    minutes = max(1, settings.EQUIPMENT_SERVICE_LOCKOUT_WINDOW_SECONDS // 60)
    if ip and AuthFailure.objects.filter(ip=ip, created_at__gte=since).count() >= \
            settings.EQUIPMENT_SERVICE_LOCKOUT_PER_IP:
        return (f"Слишком много неудачных попыток входа с адреса {ip}; вход с него закрыт на {minutes} мин. "
                "Проверьте пользователя и пароль в настройках кассы.")
    if username and AuthFailure.objects.filter(username=username, created_at__gte=since).count() >= \
            settings.EQUIPMENT_SERVICE_LOCKOUT_PER_USER:
        return (f"Слишком много неудачных попыток входа пользователя «{username}»; вход закрыт на {minutes} мин. "
                "Проверьте пароль в настройках кассы.")
    return ""


def lockout_record_failure(*, ip: str | None, username: str) -> None:
    AuthFailure.objects.create(ip=ip or None, username=username[:150])
    # Old failures no longer count; dropped here so the table stays small without a cron job.
    AuthFailure.objects.filter(created_at__lt=timezone.now() - _window()).delete()


def lockout_clear(*, ip: str | None, username: str) -> None:
    """A successful login forgets this login's failures from this address."""
    AuthFailure.objects.filter(username=username, ip=ip or None).delete()
