"""Measure the import of one synthetic closed shift through PostDocs' service path."""
from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = "Бенчмарк загрузки смены: N чеков по L строк через PostDocs (разбор, загрузка, ответ)."

    def add_arguments(self, parser):
        parser.add_argument("--checks", type=int, default=10000)
        parser.add_argument("--lines", type=int, default=3)
        parser.add_argument("--goods", type=int, default=2000, help="catalog size the checks sell from")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "import"], help="internal: one phase")

    def handle(self, *args, checks, lines, goods, database_url, phase, **options):
        if phase == "generate":
            return benchmarks.emit(benchmarks.catalog_create(goods=goods, package_size=1000))
        if phase == "import":
            return benchmarks.emit(benchmarks.sales_import_measure(checks=checks, lines=lines))
        catalog, result = benchmarks.run_phases(
            "bench_sales_import", ["generate", "import"],
            ["--checks", str(checks), "--lines", str(lines), "--goods", str(goods)], database_url)
        self.stdout.write(f"catalog: {catalog['items']} goods")
        self.stdout.write(
            f"shift: {result['checks']} checks x {result['lines']} lines, {result['megabytes']} MB document; "
            f"imported in {result['seconds']} s, {result['checks_per_second']} checks/s, "
            f"peak RSS {result['peak_rss_mb']} MB; report posted={result['posted']}, total {result['total']}")
