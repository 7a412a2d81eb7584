"""Figures for the catalog file limits: how fast and in how much memory a bomb is refused, beside the cost
of loading an ordinary file of the same run (the machine's speed moves between runs; the ratio does not)."""
from __future__ import annotations

import io
import resource
import time
import tracemalloc
import zipfile

from retail.services.import_limits import ImportLimitError, catalog_file_check

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                           'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                           'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
                           '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                           'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
                           'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                           'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
                       'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="items" '
                       'sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                                  'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
                                  '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                  'Target="worksheets/sheet1.xml"/></Relationships>',
}


def xlsx_with_rows(rows: int, *, declared: int | None = None) -> bytes:
    """A workbook of `rows` one-cell rows whose sheet declares `declared` rows (its dimension)."""
    cells = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>name</t></is></c></row>'
                    for n in range(1, rows + 1))
    dimension = f'<dimension ref="A1:Z{declared}"/>' if declared else ""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, content in _PARTS.items():
            book.writestr(name, content)
        book.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
                                                  f'{dimension}<sheetData>{cells}</sheetData></worksheet>')
    return out.getvalue()


def _measure(work) -> tuple[float, float]:
    """Seconds of a plain run, and the traced peak of a second one (tracing slows the work several times)."""
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seconds, peak / 1024 / 1024


def catalog_limits_measure(*, rows: int) -> list[dict]:
    from import_export.formats.base_formats import XLSX


    def refused(data):
        def run():
            try:
                catalog_file_check(data=data, file_format="xlsx")
            except ImportLimitError:
                return
            raise AssertionError("the file was not refused")
        return run

    ordinary = xlsx_with_rows(1000)
    results = [{"case": "обычный файл, 1 000 строк: загрузка openpyxl (масштаб этой машины)",
                "data": ordinary, "work": lambda: XLSX().create_dataset(ordinary)},
               {"case": "обычный файл, 1 000 строк: проверка пределов", "data": ordinary,
                "work": lambda: catalog_file_check(data=ordinary, file_format="xlsx")}]
    for case, data in ((f"объявляет {rows} строк", xlsx_with_rows(2, declared=rows)),
                       (f"содержит {rows} строк", xlsx_with_rows(rows))):
        results.append({"case": f"бомба: {case}", "data": data, "work": refused(data)})
    figures = []
    for result in results:
        seconds, peak = _measure(result["work"])
        figures.append({"case": result["case"], "kilobytes": round(len(result["data"]) / 1024, 1),
                        "seconds": round(seconds, 3), "peak_mb": round(peak, 1)})
    figures.append({"case": "процесс", "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})
    return figures
