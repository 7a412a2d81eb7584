"""Export items, characteristics, packs, barcodes or prices to a CSV/XLSX file."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from retail.resources import RESOURCES
from retail.services.catalog import catalog_export


class Command(BaseCommand):
    help = "Выгрузка справочников в CSV/XLSX: товары, характеристики, упаковки, штрихкоды, цены."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(RESOURCES))
        parser.add_argument("file", help="путь с расширением .csv или .xlsx")

    def handle(self, *args, kind, file, **options):
        path = Path(file)
        try:
            data = catalog_export(model=kind, file_format=path.suffix.lower().lstrip("."))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        path.write_bytes(data)
        self.stdout.write(f"{kind}: {path} ({len(data)} байт)")
