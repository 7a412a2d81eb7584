"""Measure the import of one synthetic closed shift through PostDocs' service path, against the limit: lxml
parsing the same document into a tree, its time in the same process, its memory in a process of its own."""
from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = ("Бенчмарк загрузки смены: N чеков по L строк через PostDocs (разбор, загрузка, ответ) против "
            "разбора того же документа lxml в дерево (время и пиковая память); с --checks-kept — та же смена с "
            "сохранением чеков и без него поочередно в одном процессе (отношение медиан) и место, которое чеки "
            "занимают в базе, на строку чека.")

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
        parser.add_argument("--phase", choices=["generate", "document", "import", "limit", "compare"],
                            help="internal: one phase")

    def handle(self, *args, checks, lines, goods, checks_kept, repeat, marked_every, database_url, phase, **options):
        if phase == "generate":
            return benchmarks.emit(benchmarks.catalog_create(goods=goods, package_size=1000))
        if phase == "document":
            return benchmarks.emit(benchmarks.sales_document_write(checks=checks, lines=lines))
        if phase == "import":
            return benchmarks.emit(benchmarks.sales_import_measure(checks=checks, lines=lines))
        if phase == "limit":
            return benchmarks.emit(benchmarks.sales_limit_memory())
        if phase == "compare":
            return benchmarks.emit(benchmarks.sales_import_checks_kept(checks=checks, lines=lines, repeat=repeat,
                                                                       marked_every=marked_every))
        if checks_kept:
            return self._checks_kept(checks=checks, lines=lines, goods=goods, repeat=repeat,
                                     marked_every=marked_every, database_url=database_url)
        catalog, document, result, limit = benchmarks.run_phases(
            "bench_sales_import", ["generate", "document", "import", "limit"],
            ["--checks", str(checks), "--lines", str(lines), "--goods", str(goods)], database_url)
        out = self.stdout.write
        out(f"catalog: {catalog['items']} goods")
        out(f"shift: {result['checks']} checks x {result['lines']} lines, {document['megabytes']} MB document; "
            f"imported in {result['seconds']} s, {result['checks_per_second']} checks/s, peak RSS "
            f"{result['peak_rss_mb']} MB; report posted={result['posted']}, total {result['total']}")
        memory = round(result["peak_rss_mb"] / limit["peak_rss_mb"], 2) if limit["peak_rss_mb"] else "—"
        out(f"lxml limit (parsing the same document into a tree): {result['lxml_seconds']} s in the import's process "
            f"(median of 3), peak RSS {limit['peak_rss_mb']} MB in a process of its own "
            f"(before the parse {limit['before_mb']} MB)")
        out(f"ours / limit = {result['ratio_to_lxml']}x time, {memory}x peak memory")
        limit_seconds = result["lxml_seconds"]

        def ratio(seconds):  # a tiny shift's limit rounds to 0.0 s
            return f"{seconds / limit_seconds:.1f}x" if limit_seconds else "—"

        constraints = ""
        if result["database"] == "postgresql":
            constraints = (f" + their foreign keys checked at commit {result['constraints_seconds']} s "
                           f"({ratio(result['constraints_seconds'])})")
        out(f"floor of the design, timed in this run: the XSD-checked stream alone {result['stream_seconds']} s "
            f"({ratio(result['stream_seconds'])}, median of 3) + the kept checks' rows inserted "
            f"{result['kept_rows_seconds']} s ({ratio(result['kept_rows_seconds'])}){constraints} "
            f"= {result['floor_seconds']} s, {result['floor_ratio']}x the limit before any of our Python runs")

    def _checks_kept(self, *, checks, lines, goods, repeat, marked_every, database_url):
        catalog, result = benchmarks.run_phases(
            "bench_sales_import", ["generate", "compare"],
            ["--checks", str(checks), "--lines", str(lines), "--goods", str(goods), "--repeat", str(repeat),
             "--marked-every", str(marked_every)], database_url)
        self.stdout.write(f"catalog: {catalog['items']} goods")
        self.stdout.write(
            f"shift: {result['checks']} checks x {result['lines']} lines, {result['marked_lines']} lines marked; "
            f"{result['database']}, median of {result['repeat']} each, alternately in one process")
        self.stdout.write(
            f"import without keeping the checks: {result['seconds_without']} s {result['runs_without']}; "
            f"with the checks kept: {result['seconds_with']} s {result['runs_with']}; "
            f"ratio {result['ratio']}; each pair {result['pair_ratios']}, median {result['pair_ratio']}")
        self.stdout.write(
            f"lxml limit (the last shift parsed into a tree, median of 3): {result['lxml_seconds']} s; without / "
            f"limit = {result['without_to_lxml']}x, with / limit = {result['with_to_lxml']}x")
        self.stdout.write(
            f"checks kept: {result['check_lines_stored']} check lines in {result['storage_bytes']} bytes "
            f"(4 tables with their indexes): {result['bytes_per_line']} bytes a check line; "
            f"the lines' table alone {result['bytes_per_line_lines_table']} bytes a line")
