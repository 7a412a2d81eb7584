"""The product's own POS simulator: one device's whole sync, printed as a readable report."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from equipment_service.client import EquipmentServiceClient
from equipment_service.simulator import SyncReport, device_sync
from offline_exchange.format.contents import (
    GOOD_COLUMNS,
    ORDER_COLUMNS,
    orders_rows,
    price_list_goods_rows,
    price_list_units,
    table_lines,
)


class Command(BaseCommand):
    help = ("Проверка настройки без кассы: выполняет обмен как 1С:Мобильная касса (версия, настройки, "
            "прайс-лист всеми пакетами, заказы, выгрузка смены) и печатает отчет; с -v 2 — и что получила касса: "
            "товары с кодами, ценами и остатками и заказы, как на странице «Что получила касса».")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="адрес публикации, например http://127.0.0.1:8000/rt")
        parser.add_argument("--user", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--device", required=True, help="идентификатор устройства")
        parser.add_argument("--full", action="store_true", help="полный прайс-лист (PrepareFullPriceList)")
        parser.add_argument("--post", help="файл SaleReports для PostDocs")
        parser.add_argument("--soap12", action="store_true")

    def handle(self, *args, url, user, password, device, full, post, soap12, **options):
        document = None
        if post:
            path = Path(post)
            if not path.is_file():
                raise CommandError(f"Файл {post} не найден")
            document = path.read_bytes()
        client = EquipmentServiceClient(url, user, password, soap12=soap12)
        bar = tqdm(desc="Пакеты прайс-листа", unit="пакет", disable=not self.stderr.isatty())

        def on_package(number, total):
            bar.total = total
            bar.update(1)

        try:
            report = device_sync(client, device, full=full, post=document, on_package=on_package,
                                 keep=options["verbosity"] >= 2)
        finally:
            bar.close()
            client.close()
        out = self.stdout.write
        shown: dict[str, int] = {}
        for step in report.steps:
            if step.operation == "GetPriceListPackage" and step.ok:
                shown[step.operation] = shown.get(step.operation, 0) + 1
                continue
            mark = "OK " if step.ok else "ОШИБКА"
            out(f"{mark:<7}{step.operation:<22}{step.seconds * 1000:>8.0f} мс  {step.note}")
        if shown:
            out(f"{'OK':<7}{'GetPriceListPackage':<22}{'':>8}     пакетов получено: {shown['GetPriceListPackage']}")
        out(f"Итог: {'обмен выполнен' if report.ok else 'обмен прерван'}; пакетов {report.packages}, "
            f"товаров {report.goods}, заказов {report.orders}")
        if report.posted:
            out(f"Ответ на выгрузку смены: {report.posted}")
        if options["verbosity"] >= 2:
            self._received(report)
        if not report.ok:
            raise CommandError("; ".join(step.note for step in report.errors))

    def _received(self, report: SyncReport) -> None:
        """What the register got, in the columns of the admin's «Что получила касса»."""
        out = self.stdout.write
        units: dict[str, str] = {}
        rows = []
        for number, text in report.packages_received:
            units.update(price_list_units(text))
            rows += price_list_goods_rows(text, package=number, units=units)
        out("")
        out(f"Что получила касса: товары ({len(rows)})")
        for line in table_lines(GOOD_COLUMNS, [row.cells() for row in rows]):
            out(line)
        orders = orders_rows(report.orders_received)
        out("")
        out(f"Что получила касса: заказы ({len(orders)})")
        if orders:
            for line in table_lines(ORDER_COLUMNS, [order.cells() for order in orders]):
                out(line)
            for order in orders:
                out(f"Заказ {order.number}:")
                for line in table_lines(["Код", "Количество", "Цена", "Сумма"], order.line_cells()):
                    out("  " + line)
