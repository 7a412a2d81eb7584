"""Measure the import of one synthetic closed shift through PostDocs' service path, against the limit: lxml
parsing the same document into a tree, its time in the same process, its memory in a process of its own."""
from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = ("Бенчмарк загрузки смены: N чеков по L строк через PostDocs (разбор, загрузка, ответ) против "
            "разбора того же документа lxml в дерево (время и пиковая память).")

    def add_arguments(self, parser):
        parser.add_argument("--checks", type=int, default=10000)
        parser.add_argument("--lines", type=int, default=3)
        parser.add_argument("--goods", type=int, default=2000, help="catalog size the checks sell from")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "document", "import", "limit"],
                            help="internal: one phase")

    def handle(self, *args, checks, lines, goods, database_url, phase, **options):
        if phase == "generate":
            return benchmarks.emit(benchmarks.catalog_create(goods=goods, package_size=1000))
        if phase == "document":
            return benchmarks.emit(benchmarks.sales_document_write(checks=checks, lines=lines))
        if phase == "import":
            return benchmarks.emit(benchmarks.sales_import_measure(checks=checks, lines=lines))
        if phase == "limit":
            return benchmarks.emit(benchmarks.sales_limit_memory())
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
