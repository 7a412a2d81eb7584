"""Catalog files are checked before anything loads them; exports escape spreadsheet formulas.

The XLSX bombs are built here with zipfile: a few kilobytes that declare (or hold) 300,000 rows."""
import csv
import io
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from retail.models import Item
from retail.services.catalog import catalog_export, catalog_import
from retail.services.import_limits import ImportLimitError

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx(sheet_xml: str) -> bytes:
    """The smallest workbook openpyxl opens, with the given first sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml",
                      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                      'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
                      '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
                      '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                      'spreadsheetml.worksheet+xml"/></Types>')
        book.writestr("_rels/.rels",
                      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
                      '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                      '.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                      '</Relationships>')
        book.writestr("xl/workbook.xml",
                      f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                      '<sheet name="items" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
                      '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                      '.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                      '</Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def sheet(rows: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def cells(n: int) -> str:
    return f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>name</t></is></c></row>'


DECLARED_BOMB = xlsx(sheet(cells(1) + cells(2), dimension="A1:Z300000"))
ROWS_BOMB = xlsx(sheet("".join(cells(n) for n in range(1, 300_001))))
FAR_ROW_BOMB = xlsx(sheet(cells(1) + cells(300_000)))


@pytest.fixture
def nothing_loads(monkeypatch):
    """openpyxl must never see a refused file (it would build every declared row first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to load a file the limits refuse")
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", refuse)


@pytest.mark.parametrize("bomb", [DECLARED_BOMB, ROWS_BOMB, FAR_ROW_BOMB], ids=["declared", "rows", "far-row"])
def test_a_300000_row_xlsx_is_refused_before_it_is_loaded(demo, bomb, nothing_loads):
    assert len(bomb) < 2_000_000  # well under the 10 MB file limit: size alone does not stop it
    tracemalloc.start()
    try:
        with pytest.raises(ImportLimitError, match="строк при пределе 100000"):
            catalog_import(model="items", data=bomb, file_format="xlsx", dry_run=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024, peak


def test_the_command_refuses_the_bomb_in_russian(demo, tmp_path, nothing_loads):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(DECLARED_BOMB)
    with pytest.raises(CommandError, match="объявлено 300000 строк"):
        call_command("catalog_import", "items", str(path), "--dry-run", stdout=io.StringIO())


def test_declared_uncompressed_size_and_file_size_are_checked(demo, settings, tmp_path, nothing_loads):
    settings.CATALOG_IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    with pytest.raises(ImportLimitError, match="распаковывается в"):
        catalog_import(model="items", data=ROWS_BOMB, file_format="xlsx", dry_run=True)
    settings.CATALOG_IMPORT_MAX_BYTES = 1000
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(CommandError, match="Файл слишком большой"):
        call_command("catalog_import", "items", str(path), stdout=io.StringIO())


def test_columns_are_limited(demo, nothing_loads, settings):
    wide = xlsx(sheet('<row r="1"><c r="BZ1" t="inlineStr"><is><t>x</t></is></c></row>'))
    with pytest.raises(ImportLimitError, match="78 колонок при пределе 50"):
        catalog_import(model="items", data=wide, file_format="xlsx", dry_run=True)
    settings.CATALOG_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportLimitError, match="3 строк при пределе 2"):
        catalog_import(model="items", data=b"name\na\nb\nc\n", file_format="csv", dry_run=True)
    with pytest.raises(ImportLimitError, match="колонок"):
        catalog_import(model="items", data=(",".join(["x"] * 51) + "\n").encode(), file_format="csv", dry_run=True)


def test_an_ordinary_xlsx_still_imports(demo):
    data = catalog_export(model="items", file_format="xlsx")
    outcome = catalog_import(model="items", data=data, file_format="xlsx", dry_run=True)
    assert outcome.ok and outcome.skipped == Item.objects.count()


def test_the_admin_import_refuses_the_bomb_with_the_reason(demo, nothing_loads):
    user = User.objects.create_user("importer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_item", "import_item", "add_item",
                                                                      "change_item"]))
    browser = Client()
    browser.force_login(user)
    before = Item.objects.count()
    upload = io.BytesIO(DECLARED_BOMB)
    upload.name = "bomb.xlsx"
    answer = browser.post(reverse("admin:retail_item_import"), {"import_file": upload, "format": 1,
                                                                "resource": 0})
    assert answer.status_code == 200
    assert "объявлено 300000 строк при пределе 100000" in answer.content.decode()
    assert Item.objects.count() == before


def test_exports_escape_cells_that_would_start_a_formula(demo):
    Item.objects.filter(article="79052").update(name='=HYPERLINK("http://evil.example","клик")', article="+1+cmd",
                                                 description="@SUM(A1)")
    Item.objects.filter(article="П-0780").update(name="-2+3", description="- обычный текст")
    rows = list(csv.DictReader(io.StringIO(catalog_export(model="items", file_format="csv").decode("utf-8-sig"))))
    by_article = {row["article"]: row for row in rows}
    evil = by_article["'+1+cmd"]
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","клик")' and evil["description"] == "'@SUM(A1)"
    dash = next(row for row in rows if row["name"].endswith("-2+3"))
    assert dash["name"] == "'-2+3" and dash["description"] == "'- обычный текст"
    book = openpyxl.load_workbook(io.BytesIO(catalog_export(model="items", file_format="xlsx")), read_only=True)
    names = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example","клик")' in names
    assert not any(isinstance(name, str) and name.startswith("=") for name in names)


def test_the_benchmark_prints_the_refusals_beside_an_ordinary_load(settings):
    settings.CATALOG_IMPORT_MAX_ROWS = 1000
    out = io.StringIO()
    call_command("bench_catalog_limits", rows=5000, stdout=out)
    text = out.getvalue()
    assert "обычный файл, 1 000 строк: загрузка openpyxl" in text and "бомба: содержит 5000 строк" in text
    assert "бомба: объявляет 5000 строк" in text and "пиковая память" in text
