"""Remove the change feed's rows no device needs any more (run daily; the task worker does it too)."""
from django.core.management.base import BaseCommand

from offline_exchange.services.feed import feed_compact, feed_horizon, retention


class Command(BaseCommand):
    help = ("Сжатие ленты изменений: удаляет записи старше срока хранения, уже полученные всеми используемыми "
            "устройствами (последняя запись каждого товара остается).")

    def handle(self, *args, **options):
        removed = feed_compact()
        self.stdout.write(f"Удалено записей ленты изменений: {removed}; граница сжатия {feed_horizon()}, срок "
                          f"хранения {retention().days} дн.")
