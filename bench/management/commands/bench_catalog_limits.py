"""How a catalog file bomb is refused: seconds and traced memory, beside an ordinary file's load in this run."""
from django.core.management.base import BaseCommand

from bench.catalog import catalog_limits_measure

TARGET_SECONDS, TARGET_MB = 2.0, 100.0


class Command(BaseCommand):
    help = "Бенчмарк пределов файлов справочников: отказ XLSX-бомбы (время, память) рядом с загрузкой обычного файла."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=300_000, help="строк в бомбе")

    def handle(self, *args, rows, **options):
        for figure in catalog_limits_measure(rows=rows):
            if "seconds" not in figure:
                self.stdout.write(f"{figure['case']}: пиковая память {figure['peak_rss_mb']} МБ")
                continue
            self.stdout.write(f"{figure['case']}: {figure['kilobytes']} КБ, {figure['seconds']} с, "
                              f"память {figure['peak_mb']} МБ (цель: ≤ {TARGET_SECONDS} с, ≤ {TARGET_MB:.0f} МБ)")
