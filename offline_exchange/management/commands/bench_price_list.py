"""Measure a full price-list transfer of a synthetic catalog, and an incremental one after price changes."""
from django.core.management.base import BaseCommand

from offline_exchange import benchmarks


class Command(BaseCommand):
    help = "Бенчмарк выгрузки прайс-листа: полная передача N товаров пакетами и изменения после 100 цен."

    def add_arguments(self, parser):
        parser.add_argument("--goods", type=int, default=10000)
        parser.add_argument("--package-size", type=int, default=1000)
        parser.add_argument("--changes", type=int, default=100, help="price changes before the incremental list")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "full", "incremental"], help="internal: one phase")

    def handle(self, *args, goods, package_size, changes, database_url, phase, **options):
        if phase == "generate":
            return benchmarks.emit(benchmarks.catalog_create(goods=goods, package_size=package_size))
        if phase == "full":
            return benchmarks.emit(benchmarks.transfer_measure(full=True, with_limit=True))
        if phase == "incremental":
            benchmarks.prices_change(count=changes)
            return benchmarks.emit(benchmarks.transfer_measure(full=False, with_limit=False))
        catalog, full, incremental = benchmarks.run_phases(
            "bench_price_list", ["generate", "full", "incremental"],
            ["--goods", str(goods), "--package-size", str(package_size), "--changes", str(changes)], database_url)
        out = self.stdout.write
        out(f"catalog: {catalog['items']} goods, {catalog['characteristics']} characteristics, {catalog['packs']} "
            f"packs, {catalog['barcodes']} barcodes, {catalog['groups']} groups (generated in {catalog['seconds']} s)")
        out(f"full transfer: {full['goods']} goods in {full['packages']} packages of {package_size}, "
            f"{full['megabytes']} MB, {full['seconds']} s, {full['goods_per_second']} goods/s, "
            f"peak RSS {full['peak_rss_mb']} MB")
        out(f"lxml limit (serializing the same documents from trees): {full['lxml_seconds']} s; "
            f"ours / limit = {full['ratio_to_lxml']}x")
        out(f"incremental after {changes} price changes: {incremental['goods']} goods, {incremental['packages']} "
            f"packages, {incremental['seconds']} s, peak RSS {incremental['peak_rss_mb']} MB")
