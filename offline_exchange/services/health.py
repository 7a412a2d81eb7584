"""What /healthz reports (the database, the task queue, the version), and each register's health as the
exchange console shows it: working, reports left unposted, a failed call, or silent too long."""
from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


def _version() -> str:
    try:
        return importlib.metadata.version("retail-equipment-service")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def health_check() -> tuple[bool, dict]:
    """(healthy, details). Unhealthy: the database is unreachable, or background builds are on and
    a task has waited longer than a build may be silent (no worker is taking them)."""
    details: dict = {"version": _version(), "database": "ok", "background_builds": False}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        details["database"] = f"error: {exc.__class__.__name__}"
        return False, details

    healthy = True
    background = bool(getattr(settings, "EQUIPMENT_SERVICE_BACKGROUND_BUILDS", False))
    details["background_builds"] = background
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        last = (DBTaskResult.objects.exclude(finished_at=None).order_by("-finished_at")
                .values_list("finished_at", flat=True).first())
        waited = (timezone.now() - oldest).total_seconds() if oldest else 0
        details["worker"] = {
            "tasks_waiting": waiting.count(),
            "oldest_waiting_seconds": round(waited, 1),
            "last_task_finished_at": last.isoformat() if last else None,
        }
        if background and waited > settings.EQUIPMENT_SERVICE_BUILD_STALE_SECONDS:
            details["worker"]["status"] = "no worker is taking tasks"
            healthy = False
        else:
            details["worker"]["status"] = "ok"
    return healthy, details


ERROR_STATUSES = ("fault", "refused", "denied")


class State:
    OK = "ok"
    UNPOSTED = "unposted"
    ERROR = "error"
    SILENT = "silent"


@dataclass(frozen=True)
class DeviceHealth:
    state: str
    label: str
    # Further troubles under the first one: a failing register may also have unposted reports.
    also: tuple[str, ...] = ()


def device_health(*, last_contact: datetime | None, last_status: str | None, unposted: int, now: datetime,
                  silence_hours: int) -> DeviceHealth:
    """The register's state, worst first: its last call failed; it has not called for `silence_hours`
    (or never); shifts it sent are not posted; otherwise it works."""
    found: list[tuple[str, str]] = []
    if last_status in ERROR_STATUSES:
        found.append((State.ERROR, "✖ ошибка"))
    if last_contact is None:
        found.append((State.SILENT, "⏱ обменов не было"))
    else:
        hours = int((now - last_contact).total_seconds() // 3600)
        if hours >= silence_hours:
            found.append((State.SILENT, f"⏱ нет связи {hours} ч"))
    if unposted:
        found.append((State.UNPOSTED, f"⚠ не проведено отчетов: {unposted}"))
    if not found:
        return DeviceHealth(State.OK, "✔ работает")
    (state, label), rest = found[0], found[1:]
    return DeviceHealth(state, label, tuple(text for _state, text in rest))


def ago_text(value: datetime | None, now: datetime) -> str:
    """«5 мин назад», as a register's owner says it; the exact time goes beside it."""
    if value is None:
        return ""
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "только что"
    if seconds < 3600:
        return f"{seconds // 60} мин назад"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} ч назад"
    return f"{seconds // 86400} дн. назад"
