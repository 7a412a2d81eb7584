"""Measure the import of one synthetic closed shift through PostDocs' service path."""
from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = ("Бенчмарк загрузки смены: N чеков по L строк через PostDocs (разбор, загрузка, ответ); с --checks-kept — "
            "та же смена с сохранением чеков и без него поочередно в одном процессе (отношение медиан) и место, "
            "которое чеки занимают в базе, на строку чека.")

    def add_arguments(self, parser):
        parser.add_argument("--checks", type=int, default=10000)
        parser.add_argument("--lines", type=int, default=3)
        parser.add_argument("--goods", type=int, default=2000, help="catalog size the checks sell from")
        parser.add_argument("--checks-kept", action="store_true",
                            help="compare the import with the checks kept against without (same run)")
        parser.add_argument("--repeat", type=int, default=3, help="with --checks-kept: imports of each kind")
        parser.add_argument("--marked-every", type=int, default=5,
                            help="with --checks-kept: every N-th line carries a marking code (0: none)")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "import", "compare"], help="internal: one phase")

    def handle(self, *args, checks, lines, goods, checks_kept, repeat, marked_every, database_url, phase, **options):
        if phase == "generate":
            return benchmarks.emit(benchmarks.catalog_create(goods=goods, package_size=1000))
        if phase == "import":
            return benchmarks.emit(benchmarks.sales_import_measure(checks=checks, lines=lines))
        if phase == "compare":
            return benchmarks.emit(benchmarks.sales_import_checks_kept(checks=checks, lines=lines, repeat=repeat,
                                                                       marked_every=marked_every))
        last = "compare" if checks_kept else "import"
        catalog, result = benchmarks.run_phases(
            "bench_sales_import", ["generate", last],
            ["--checks", str(checks), "--lines", str(lines), "--goods", str(goods), "--repeat", str(repeat),
             "--marked-every", str(marked_every)], database_url)
        self.stdout.write(f"catalog: {catalog['items']} goods")
        if checks_kept:
            self.stdout.write(
                f"shift: {result['checks']} checks x {result['lines']} lines, {result['marked_lines']} lines marked; "
                f"{result['database']}, median of {result['repeat']} each, alternately in one process")
            self.stdout.write(
                f"import without keeping the checks: {result['seconds_without']} s {result['runs_without']}; "
                f"with the checks kept: {result['seconds_with']} s {result['runs_with']}; "
                f"ratio {result['ratio']}; each pair {result['pair_ratios']}, median {result['pair_ratio']}")
            self.stdout.write(
                f"checks kept: {result['check_lines_stored']} check lines in {result['storage_bytes']} bytes "
                f"(4 tables with their indexes): {result['bytes_per_line']} bytes a check line; "
                f"the lines' table alone {result['bytes_per_line_lines_table']} bytes a line")
            return
        self.stdout.write(
            f"shift: {result['checks']} checks x {result['lines']} lines, {result['megabytes']} MB document; "
            f"imported in {result['seconds']} s, {result['checks_per_second']} checks/s, "
            f"peak RSS {result['peak_rss_mb']} MB; report posted={result['posted']}, total {result['total']}")
