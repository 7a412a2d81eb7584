"""Catalog import/export from CSV/XLSX files, for the admin and the catalog_import command."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from retail.resources import RESOURCES
from retail.services.import_limits import catalog_file_check

FORMATS = ("csv", "xlsx")


@dataclass
class CatalogImportOutcome:
    model: str
    dry_run: bool
    new: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _dataset(data: bytes, file_format: str):
    import tablib

    if file_format not in FORMATS:
        raise ValueError(f"Формат файла {file_format} не поддерживается: только {', '.join(FORMATS)}")
    catalog_file_check(data=data, file_format=file_format)  # before anything loads it
    if file_format == "csv":
        return tablib.Dataset().load(data.decode("utf-8-sig"), format="csv")
    return tablib.Dataset().load(data, format="xlsx")


def catalog_import(*, model: str, data: bytes, file_format: str, dry_run: bool) -> CatalogImportOutcome:
    """Import one file of one kind (items, characteristics, packs, barcodes, prices); all rows or none.
    A dry run checks every row and writes nothing; either way every row error is listed."""

    if model not in RESOURCES:
        raise ValueError(f"Неизвестный вид данных {model}: допустимы {', '.join(RESOURCES)}")
    resource = RESOURCES[model]()
    dataset = _dataset(data, file_format)
    try:
        with transaction.atomic():
            result = resource.import_data(dataset, dry_run=dry_run, raise_errors=False, use_transactions=True,
                                          collect_failed_rows=True)
            outcome = _outcome(model, dry_run, result)
            if outcome.errors:
                # import-export keeps the good rows when others fail validation; a file is all or nothing.
                raise _Rollback
    except _Rollback:
        pass
    return outcome


class _Rollback(Exception):
    pass


def _outcome(model: str, dry_run: bool, result) -> CatalogImportOutcome:
    outcome = CatalogImportOutcome(model=model, dry_run=dry_run)
    totals = result.totals
    outcome.new, outcome.updated, outcome.skipped = totals.get("new", 0), totals.get("update", 0), totals.get("skip", 0)
    # import-export counts data rows from 1; the admin counts the file's lines, the header being line 1.
    found: list[tuple[int, str]] = [(0, str(error.error)) for error in result.base_errors]
    for number, errors in result.row_errors():
        found.extend((number + 1, f"строка {number + 1}: {error.error}") for error in errors)
    for invalid in result.invalid_rows:
        for field_name, messages in invalid.error_dict.items():
            found.extend((invalid.number + 1, f"строка {invalid.number + 1}: {field_name}: {message}")
                         for message in messages)
    outcome.errors = [text for _line, text in sorted(found, key=lambda pair: pair[0])]
    return outcome


def catalog_export(*, model: str, file_format: str) -> bytes:

    if model not in RESOURCES or file_format not in FORMATS:
        raise ValueError(f"Допустимы виды {', '.join(RESOURCES)} и форматы {', '.join(FORMATS)}")
    dataset = RESOURCES[model]().export()
    exported = dataset.export(file_format)
    return exported.encode("utf-8") if isinstance(exported, str) else exported
