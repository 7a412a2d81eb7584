"""Purge the exchange journal past its retention (EXCHANGE_JOURNAL_RETENTION_DAYS); uploads a report refers to stay."""
from django.core.management.base import BaseCommand

from offline_exchange.services.journal import journal_purge
from offline_exchange.tasks import journal_purge_schedule


class Command(BaseCommand):
    help = ("Удаляет записи журнала обмена старше срока хранения (EXCHANGE_JOURNAL_RETENTION_DAYS, 180 дней); "
            "выгрузки, на которые ссылаются отчеты о розничных продажах, сохраняются. Чеки касс удаляются "
            "по своему сроку (EXCHANGE_CHECKS_RETENTION_DAYS, по умолчанию тот же).")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="срок хранения в днях (по умолчанию из настроек)")
        parser.add_argument("--schedule", action="store_true",
                            help="поставить ежедневную очистку в очередь фоновых задач (db_worker)")

    def handle(self, *args, days=None, schedule=False, **options):
        outcome = journal_purge(days=days)
        self.stdout.write(f"Удалено записей журнала: {outcome.entries}; сохранено для отчетов: "
                          f"{outcome.kept_for_reports}; забыто адресов входа: {outcome.known_addresses}; "
                          f"прерванных выгрузок отмечено ошибкой: {outcome.stale_uploads}; "
                          f"удалено чеков старше срока хранения: {outcome.checks}")
        if schedule:
            queued = journal_purge_schedule()
            self.stdout.write("Ежедневная очистка поставлена в очередь." if queued
                              else "Ежедневная очистка уже в очереди.")
