"""Measure the change feed: a chain-wide repricing with few and with many registers, the bulk price import
against bulk-inserting the same rows, the next incremental list carrying every changed good, and one carrying
the changed positions of many goods against the same goods sent whole."""
from django.core.management.base import BaseCommand

from bench import exchange as benchmarks


class Command(BaseCommand):
    help = ("Бенчмарк ленты изменений: переоценка всей сети при разном числе касс, загрузка цен из файла "
            "против массовой вставки, следующая выгрузка изменений одной кассы, выгрузка измененных позиций "
            "против тех же товаров целиком.")

    def add_arguments(self, parser):
        parser.add_argument("--goods", type=int, default=10000)
        parser.add_argument("--devices", type=int, nargs=2, default=[2, 200], metavar=("FEW", "MANY"))
        parser.add_argument("--package-size", type=int, default=1000)
        parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
        parser.add_argument("--phase", choices=["generate", "reprice-few", "reprice-many", "import", "incremental",
                                                      "positions"], help="internal: one phase")

    def handle(self, *args, goods, devices, package_size, database_url, phase, **options):
        few, many = devices
        if phase == "generate":
            figures = benchmarks.catalog_create(goods=goods, package_size=package_size)
            benchmarks.database_settle()
            return benchmarks.emit(figures)
        if phase == "reprice-few":
            return benchmarks.emit(benchmarks.repricing_measure(devices=few))
        if phase == "reprice-many":
            return benchmarks.emit(benchmarks.repricing_measure(devices=many))
        if phase == "import":
            return benchmarks.emit(benchmarks.price_import_measure(goods=goods))
        if phase == "incremental":
            return benchmarks.emit(benchmarks.incremental_after_repricing_measure())
        if phase == "positions":
            return benchmarks.emit(benchmarks.incremental_positions_measure())
        catalog, first, second, imported, incremental, positions = benchmarks.run_phases(
            "bench_changes", ["generate", "reprice-few", "reprice-many", "import", "incremental", "positions"],
            ["--goods", str(goods), "--devices", str(few), str(many), "--package-size", str(package_size)],
            database_url)
        out = self.stdout.write
        out(f"catalog: {catalog['items']} goods, {catalog['characteristics']} characteristics, {catalog['packs']} "
            f"packs, {catalog['barcodes']} barcodes (generated in {catalog['seconds']} s)")
        ratio = round(second["seconds"] / first["seconds"], 2) if first["seconds"] else "—"
        out(f"chain-wide repricing of {first['prices']} prices: {few} registers {first['seconds']} s, "
            f"{first['feed_rows']} feed rows | {many} registers {second['seconds']} s, {second['feed_rows']} feed "
            f"rows | {many}/{few} = {ratio}x")
        out(f"price file of {imported['rows']} rows ({imported['megabytes']} MB): import {imported['seconds']} s "
            f"(new {imported.get('new')}, errors {imported.get('errors')}) | bulk insert of the same rows "
            f"{imported['limit_seconds']} s | import / limit = {imported['ratio']}x")
        out(f"next incremental list of one register after the repricing: {incremental['goods']} goods in "
            f"{incremental['packages']} packages, {incremental['megabytes']} MB, {incremental['seconds']} s, "
            f"peak RSS {incremental['peak_rss_mb']} MB | lxml limit (serializing the same documents from trees; "
            f"median of 5) {incremental['lxml_seconds']} s | ours / limit = {incremental['ratio_to_lxml']}x")
        part, whole = positions["positions"], positions["whole"]
        out(f"one size repriced in {part['items']} goods: next incremental list {part['goods']} Goods, "
            f"{part['megabytes']} MB, {part['seconds']} s | the same goods changed whole (limit: what an item-level "
            f"feed sent) {whole['goods']} Goods, {whole['megabytes']} MB, {whole['seconds']} s | "
            f"Goods {part['goods']}/{whole['goods']}, time {round(part['seconds'] / whole['seconds'], 2) if whole['seconds'] else '—'}x")
