"""Measure what cost of goods and the cash ledger add to posting (ratios within one process)."""
from django.core.management.base import BaseCommand

from bench import cost as benchmarks
from bench.exchange import emit, run_phases


class Command(BaseCommand):
    help = ("Бенчмарк себестоимости и денежных средств: смена из N чеков с ними и без них; перерасчет "
            "себестоимости после позднего поступления перед месяцем из M движений одного товара.")

    def add_arguments(self, parser):
        parser.add_argument("--checks", type=int, default=10000)
        parser.add_argument("--lines", type=int, default=3)
        parser.add_argument("--goods", type=int, default=2000, help="catalog size; the checks sell 500 of them")
        parser.add_argument("--repeat", type=int, default=3, help="shifts (and receipts) of each kind")
        parser.add_argument("--movements", type=int, default=1000, help="movements of the one item in the month")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "shift", "recost"], help="internal: one phase")

    def handle(self, *args, checks, lines, goods, repeat, movements, database_url, phase, **options):
        if phase == "generate":
            return emit(benchmarks.catalog_with_costs(goods=goods))
        if phase == "shift":
            return emit(benchmarks.shift_posting_measure(checks=checks, lines=lines, repeat=repeat))
        if phase == "recost":
            return emit(benchmarks.recost_measure(movements=movements, repeat=repeat))
        catalog, shift, recost = run_phases(
            "bench_cost", ["generate", "shift", "recost"],
            ["--checks", str(checks), "--lines", str(lines), "--goods", str(goods), "--repeat", str(repeat),
             "--movements", str(movements)], database_url)
        self.stdout.write(f"catalog: {catalog['items']} goods, {catalog['costed']} with an opening cost")
        self.stdout.write(
            f"shift of {shift['checks']} checks x {shift['lines']} lines: plain posting {shift['plain_median']} s "
            f"(runs {shift['plain_seconds']}), with cost and cash {shift['full_median']} s "
            f"(runs {shift['full_seconds']}); with / plain = {shift['ratio']}x; peak RSS {shift['peak_rss_mb']} MB")
        self.stdout.write(
            f"late receipt before a month of {recost['movements']} movements of one item: re-costed "
            f"{recost['rows_recosted']} rows; posting {recost['late_median']} s (runs {recost['late_seconds']}) "
            f"against {recost['in_order_median']} s in order (runs {recost['in_order_seconds']}); "
            f"late / in order = {recost['ratio']}x")
