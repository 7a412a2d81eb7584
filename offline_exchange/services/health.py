"""What /healthz reports: the database, the task queue (the worker's signs of life), the version."""
from __future__ import annotations

import importlib.metadata

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
