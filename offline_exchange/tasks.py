"""Background jobs, run by the task worker (`manage.py db_worker` with the database backend)."""
from django_tasks import task

from .services.transfers import transfer_build


@task()
def price_list_build(*, transfer_id: str) -> None:
    transfer_build(transfer_id=transfer_id)
