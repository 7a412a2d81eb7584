from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _feed_triggers_ensure(sender, using, **kwargs):
    # SQLite drops a table's triggers whenever a migration rebuilds the table; re-create them all after
    # every migrate (idempotent), so change capture survives any later migration of these tables.
    from django.db import connections

    from .feed_sql import feed_triggers_create

    feed_triggers_create(connections[using])


class OfflineExchangeConfig(AppConfig):
    name = "offline_exchange"
    verbose_name = "Обмен с офлайн оборудованием"

    def ready(self):
        post_migrate.connect(_feed_triggers_ensure, sender=self, dispatch_uid="offline_exchange_feed_triggers")
