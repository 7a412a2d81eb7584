"""Migrations run by the tests through the executor, as `manage.py migrate` runs them: on SQLite the change
feed's triggers are dropped first, and at the end they are made today's on every database (post_migrate does
this after a real migrate; offline_exchange.apps says why)."""
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from offline_exchange.feed_sql import feed_triggers_create, feed_triggers_drop


def migrate(executor: MigrationExecutor, targets) -> None:
    if connection.vendor == "sqlite":
        feed_triggers_drop(connection)
    executor.migrate(targets)
    feed_triggers_create(connection)  # False, creating nothing, where the feed's tables are not there yet
