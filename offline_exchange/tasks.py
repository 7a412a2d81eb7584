"""Background jobs, run by the task worker (`manage.py db_worker` with the database backend)."""
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from offline_exchange.services.feed import feed_compact
from offline_exchange.services.journal import journal_purge
from offline_exchange.services.transfers import transfer_build

PURGE_EVERY = timedelta(days=1)


@task()
def price_list_build(*, transfer_id: str) -> None:
    transfer_build(transfer_id=transfer_id)


@task()
def journal_purge_daily() -> int:
    """Purge the exchange journal, then schedule the next run a day later: started once
    (`manage.py journal_purge --schedule`), it repeats for as long as a worker runs."""
    outcome = journal_purge()
    journal_purge_schedule()
    return outcome.entries


def journal_purge_schedule() -> bool:
    """Enqueue the next daily purge unless one is already waiting; True when one was enqueued."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.filter(task_path__endswith="journal_purge_daily", status="READY").exists():
            return False
    journal_purge_daily.using(run_after=timezone.now() + PURGE_EVERY).enqueue()
    return True


@task()
def change_feed_compact() -> int:
    """Daily: the feed's rows no device needs any more go (`manage.py feed_compact` does the same)."""

    return feed_compact()
