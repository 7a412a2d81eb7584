"""Limits of a catalog file, checked before anything loads it: its size, and for XLSX the zip's declared
uncompressed sizes and each sheet's declared and real row and column counts, read as a stream.

A 5 KB XLSX can declare a sheet of 2,000,000 rows; openpyxl (and tablib behind django-import-export)
would build every row before any check could run. Here the sheet XML is streamed by the hardened parser's iterparse
(`xmlsafe.iterparse_xml`: no DTD, no entities, no network, no huge text nodes) and elements are
dropped as they are read, so a refusal costs a few milliseconds and a few megabytes whatever the file says.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

from django.conf import settings
from lxml import etree

from common.xmlsafe import iterparse_xml

SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]")
CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
MAX_ZIP_ENTRIES = 1000
# A formula in a spreadsheet cell runs when the file is opened; OWASP's list of the characters that start one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportLimitError(ValueError):
    """The file is refused before it is loaded; the message is for the store admin."""


def _limits() -> tuple[int, int, int, int]:
    return (settings.CATALOG_IMPORT_MAX_BYTES, settings.CATALOG_IMPORT_MAX_ROWS,
            settings.CATALOG_IMPORT_MAX_COLUMNS, settings.CATALOG_IMPORT_MAX_UNCOMPRESSED_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",") + " МБ"


def catalog_file_size_check(*, size: int) -> None:
    max_bytes = _limits()[0]
    if size > max_bytes:
        raise ImportLimitError(f"Файл слишком большой: {_megabytes(size)} при пределе {_megabytes(max_bytes)}. "
                               "Разделите его на несколько файлов.")


def _rows_error(rows: int, limit: int, declared: bool = False) -> ImportLimitError:
    said = "объявлено" if declared else "найдено"
    return ImportLimitError(f"В файле {said} {rows} строк при пределе {limit}: файл не загружен. "
                            "Разделите его на несколько файлов.")


def _columns_error(columns: int, limit: int) -> ImportLimitError:
    return ImportLimitError(f"В файле {columns} колонок при пределе {limit}: файл не загружен.")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell(ref: str) -> tuple[int, int] | None:
    match = CELL.match(ref or "")
    return (int(match.group(2)), _column_number(match.group(1))) if match else None


class _Bounded(io.RawIOBase):
    """A zip member read no further than its declared size and the uncompressed limit."""

    def __init__(self, stream, limit: int):
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(min(len(buffer), 64 * 1024))
        self.left -= len(data)
        if self.left < 0:
            raise ImportLimitError("Файл XLSX распаковывается больше, чем объявляет: файл не загружен.")
        buffer[:len(data)] = data
        return len(data)


def _count_rows(stream, *, max_rows: int) -> None:
    """A first pass at the speed of the decompressor: row tags counted in the raw bytes (a `<` in text is
    always escaped, so only a tag starts with `<row`), so a sheet of millions of rows is refused before
    the parser builds any of them."""
    rows, tail = 0, b""
    while chunk := stream.read(1 << 20):
        window = tail + chunk
        rows += sum(1 for match in ROW_TAG.finditer(window) if match.end() > len(tail))
        if rows > max_rows + 1:  # the header line is not a data row
            raise _rows_error(rows - 1, max_rows)
        tail = window[-64:]


def _check_sheet(stream, *, max_rows: int, max_columns: int) -> None:
    head = stream.peek(8192)[:8192].upper() if hasattr(stream, "peek") else b""
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ImportLimitError("Файл XLSX содержит объявления DOCTYPE или ENTITY: файл не загружен.")
    rows = 0
    widest = _column_letters(max_columns)
    try:
        # Only the two elements that matter raise events ({*}: any namespace, strict OOXML included);
        # a row's cells are read from the row itself, then the row is dropped.
        for _event, element in iterparse_xml(stream, tag=("{*}dimension", "{*}row")):
            if element.tag.endswith("dimension"):
                last = _cell((element.get("ref") or "").rpartition(":")[2])
                if last and last[0] > max_rows + 1:  # the header line is not a data row
                    raise _rows_error(last[0], max_rows, declared=True)
                if last and last[1] > max_columns:
                    raise _columns_error(last[1], max_columns)
                continue
            rows += 1
            index = element.get("r") or ""
            index = int(index) if index.isdigit() else rows
            if max(rows, index) > max_rows + 1:
                raise _rows_error(max(rows, index), max_rows)
            if len(element) > max_columns:
                raise _columns_error(len(element), max_columns)
            if len(element):
                letters = (element[-1].get("r") or "").rstrip("0123456789")
                # Column letters compare as numbers when of equal length: cheaper than converting each.
                if len(letters) > len(widest) or (len(letters) == len(widest) and letters.upper() > widest):
                    raise _columns_error(_column_number(letters), max_columns)
            # Keep nothing already read: memory stays flat however long the sheet is.
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ImportLimitError(f"Лист файла XLSX не читается: {exc.msg}") from None


def _check_xlsx(data: bytes) -> None:
    _max_bytes, max_rows, max_columns, max_uncompressed = _limits()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportLimitError("Файл не является книгой XLSX (это не архив ZIP).")
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        members = book.infolist()
        if len(members) > MAX_ZIP_ENTRIES:
            raise ImportLimitError(f"В файле XLSX {len(members)} частей при пределе {MAX_ZIP_ENTRIES}.")
        declared = sum(member.file_size for member in members)
        if declared > max_uncompressed:
            raise ImportLimitError(f"Файл XLSX распаковывается в {_megabytes(declared)} при пределе "
                                   f"{_megabytes(max_uncompressed)}: файл не загружен.")
        for member in members:
            if SHEET.match(member.filename):
                limit = min(member.file_size, max_uncompressed)
                with book.open(member) as raw:
                    _count_rows(io.BufferedReader(_Bounded(raw, limit)), max_rows=max_rows)
                with book.open(member) as raw:
                    _check_sheet(io.BufferedReader(_Bounded(raw, limit)), max_rows=max_rows, max_columns=max_columns)


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a CSV file (UTF-8, a BOM allowed), refused over the row and column limits while read."""
    _max_bytes, max_rows, max_columns, _ = _limits()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportLimitError("Файл CSV должен быть в кодировке UTF-8.") from None
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > max_rows + 1:
                raise _rows_error(len(rows) - 1, max_rows)
            if len(row) > max_columns:
                raise _columns_error(len(row), max_columns)
    except csv.Error as exc:
        raise ImportLimitError(f"Файл CSV не читается: строка {len(rows) + 1}: {exc}") from None
    return rows


def catalog_file_check(*, data: bytes, file_format: str) -> None:
    """Refuse a file over the limits (ImportLimitError) before anything loads it."""
    catalog_file_size_check(size=len(data))
    if file_format == "xlsx":
        _check_xlsx(data)
    elif file_format == "csv":
        csv_rows(data)


def formula_escape(value):
    """A text cell that would start a formula in a spreadsheet gets a leading apostrophe; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value.replace(",", "."))
        except ValueError:
            return "'" + value
    return value
