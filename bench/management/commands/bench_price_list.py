"""Measure a full price-list transfer of a synthetic catalog, and an incremental one after price changes."""
from dataclasses import asdict

from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = "Бенчмарк выгрузки прайс-листа: полная передача N товаров пакетами и изменения после 100 цен."

    def add_arguments(self, parser):
        parser.add_argument("--goods", type=int, default=10000)
        parser.add_argument("--package-size", type=int, default=1000)
        parser.add_argument("--changes", type=int, default=100, help="price changes before the incremental list")
        parser.add_argument("--repeat", type=int, default=5,
                            help="transfers from the cache (and runs of the lxml limit) measured; medians compared")
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "full", "incremental"], help="internal: one phase")

    def handle(self, *args, goods, package_size, changes, repeat, database_url, phase, **options):
        if phase == "generate":
            figures = benchmarks.catalog_create(goods=goods, package_size=package_size)
            benchmarks.database_settle()
            return benchmarks.emit(figures)
        if phase == "full":
            # One process, as one app server: the first register's list builds every Good, the next
            # register's comes from the cache.
            first = benchmarks.transfer_measure(full=True, with_limit=False, floor=True)
            cached = benchmarks.transfer_measure(full=True, with_limit=True, device_id=benchmarks.NEXT_DEVICE_ID,
                                                 repeat=repeat)
            return benchmarks.emit({"first": asdict(first), "cached": asdict(cached)})
        if phase == "incremental":
            benchmarks.prices_change(count=changes)
            return benchmarks.emit(benchmarks.transfer_measure(full=False, with_limit=False))
        catalog, full, incremental = benchmarks.run_phases(
            "bench_price_list", ["generate", "full", "incremental"],
            ["--goods", str(goods), "--package-size", str(package_size), "--changes", str(changes),
             "--repeat", str(repeat)], database_url)
        out = self.stdout.write
        out(f"catalog: {catalog['items']} goods, {catalog['characteristics']} characteristics, {catalog['packs']} "
            f"packs, {catalog['barcodes']} barcodes, {catalog['groups']} groups (generated in {catalog['seconds']} s)")
        first, cached = full["first"], full["cached"]
        out(f"full transfer, first after the catalog load (every Good built and cached): {first['goods']} goods "
            f"in {first['packages']} packages of {package_size}, {first['megabytes']} MB, {first['seconds']} s, "
            f"{first['goods_per_second']} goods/s, peak RSS {first['peak_rss_mb']} MB")
        out(f"full transfer, next device (Goods from the cache; median of {repeat}): {cached['goods']} goods in "
            f"{cached['packages']} packages, {cached['megabytes']} MB, {cached['seconds']} s, "
            f"{cached['goods_per_second']} goods/s, peak RSS {cached['peak_rss_mb']} MB")
        limit = cached["lxml_seconds"]
        out(f"lxml limit (serializing the same documents from trees; median of {repeat}): {limit} s; ours / limit = "
            f"{round(first['seconds'] / limit, 1) if limit else '—'}x first, {cached['ratio_to_lxml']}x from the cache")
        floor = first["reads_seconds"] + first["writes_seconds"]

        def ratio(seconds):
            return f"{seconds / limit:.1f}x" if limit else "—"

        left = f"{(10 * limit - floor) / max(first['goods'], 1) * 1e6:.1f} µs" if limit else "—"
        out(f"floor of the design, timed in the first list: the database's reads of the rows the Goods are made of "
            f"{first['reads_seconds']} s ({ratio(first['reads_seconds'])}) + writing the cached Goods and the "
            f"blocks {first['writes_seconds']} s ({ratio(first['writes_seconds'])}) = {floor:.3f} s, "
            f"{ratio(floor)} the limit before any of our Python runs; at 10x, {left} a Good would be left for the rest")
        out(f"  the first of the {repeat} lists from the cache (on PostgreSQL its blocks read from the database, the "
            f"next ones from the process's memory): {cached['first_seconds']} s, {cached['first_ratio_to_lxml']}x")
        out(f"incremental after {changes} price changes: {incremental['goods']} goods, {incremental['packages']} "
            f"packages, {incremental['seconds']} s, peak RSS {incremental['peak_rss_mb']} MB")
