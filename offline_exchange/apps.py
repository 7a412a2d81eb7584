from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate

# Plain SQL text, no models: safe to import while the apps load.
from offline_exchange.feed_sql import feed_triggers_create, feed_triggers_drop


def _feed_triggers_suspend(sender, using, **kwargs):
    # SQLite re-reads every trigger when a migration rebuilds a table (copy, drop, rename): a trigger of
    # another table that names the one being rebuilt (a unit's names its items) then fails the migration.
    # So on SQLite migrations run without them, and post_migrate creates them all again. (PostgreSQL alters
    # tables in place: its triggers stay, and app servers writing during a migrate are still captured.)
    if connections[using].vendor == "sqlite":
        feed_triggers_drop(connections[using])


def _feed_triggers_ensure(sender, using, **kwargs):
    # The installed triggers are made today's after every migrate, on SQLite and PostgreSQL alike (idempotent:
    # dropped and created again in one transaction). Migrations keep the SQL of their day (0011 created
    # older ones on PostgreSQL), and SQLite drops a table's triggers whenever a migration rebuilds the
    # table: change capture survives any later migration of these tables.
    feed_triggers_create(connections[using])


class OfflineExchangeConfig(AppConfig):
    name = "offline_exchange"
    verbose_name = "Обмен с офлайн оборудованием"

    def ready(self):
        pre_migrate.connect(_feed_triggers_suspend, sender=self, dispatch_uid="offline_exchange_feed_suspend")
        post_migrate.connect(_feed_triggers_ensure, sender=self, dispatch_uid="offline_exchange_feed_triggers")
