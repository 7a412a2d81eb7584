"""Import items, characteristics, packs, barcodes or prices from a CSV/XLSX file."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from retail.resources import RESOURCES
from retail.services.catalog import catalog_import
from retail.services.import_limits import catalog_file_size_check


class Command(BaseCommand):
    help = "Загрузка справочников из CSV/XLSX: товары, характеристики, упаковки, штрихкоды, цены (с пробным режимом)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(RESOURCES))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="проверить все строки, ничего не записывая")

    def handle(self, *args, kind, file, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Файл {file} не найден")
        file_format = path.suffix.lower().lstrip(".")
        try:
            catalog_file_size_check(size=path.stat().st_size)  # before the file is read into memory
            outcome = catalog_import(model=kind, data=path.read_bytes(), file_format=file_format, dry_run=dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for error in outcome.errors:
            self.stdout.write(f"ошибка: {error}")
        mode = "проверка (ничего не записано)" if dry_run or outcome.errors else "загружено"
        self.stdout.write(f"{kind}: {mode}; новых {outcome.new}, измененных {outcome.updated}, "
                          f"без изменений {outcome.skipped}, ошибок {len(outcome.errors)}")
        if outcome.errors:
            raise CommandError(f"В файле есть ошибки ({len(outcome.errors)}): ничего не загружено")
