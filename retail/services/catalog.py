"""Catalog import/export from CSV/XLSX files, for the admin and the catalog_import command."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from retail.resources import RESOURCES
from retail.services.import_limits import catalog_file_check, catalog_file_size_check, csv_rows

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


class _Rows:
    """A CSV file's rows as the catalog resources read a dataset (its headers, its length, its rows in
    order): tablib's Dataset built an object a row, a tenth of a price file's import."""

    def __init__(self, headers: list[str], rows: list[list[str]]):
        self.headers, self._rows = headers, rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self):
        return iter(self._rows)


def _dataset(data: bytes, file_format: str):
    import tablib

    if file_format not in FORMATS:
        raise ValueError(f"Формат файла {file_format} не поддерживается: только {', '.join(FORMATS)}")
    if file_format == "xlsx":
        catalog_file_check(data=data, file_format=file_format)  # before anything loads it
        return tablib.Dataset().load(data, format="xlsx")
    # A CSV file is read once, its limits checked as it is read; its rows are those tablib's reader makes
    # (empty lines dropped, short rows filled), a row longer than the header refused in the file's words.
    catalog_file_size_check(size=len(data))
    header, *rows = csv_rows(data) or [[]]
    width = len(header)
    body = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) > width:
            raise ValueError(f"Строка {number}: значений больше, чем колонок в заголовке ({len(row)} и {width}).")
        body.append(row + [""] * (width - len(row)) if len(row) < width else row)
    return _Rows(header, body)


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
