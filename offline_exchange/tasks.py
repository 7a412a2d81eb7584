"""Background jobs, run by the task worker (`manage.py db_worker` with the database backend)."""
from django_tasks import task

from .services.transfers import transfer_build


@task()
def price_list_build(*, transfer_id: str) -> None:
    transfer_build(transfer_id=transfer_id)


@task()
def change_feed_compact() -> int:
    """Daily: the feed's rows no device needs any more go (`manage.py feed_compact` does the same)."""
    from .services.feed import feed_compact

    return feed_compact()
