"""Catalog import/export (CSV/XLSX): dry run lists every row error, imports are all or nothing."""
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from common.ru import money_text
from offline_exchange.services.feed import feed_high_water, feed_items_changed
from retail.models import Item, Price
from retail.services.catalog import catalog_export, catalog_import

HEADER = "uuid,name,article,description,kind,group,unit,vat_rate,is_weight,calculation_subject,marking_kind,deletion_mark\n"


def test_export_then_import_changes_nothing(demo):
    data = catalog_export(model="items", file_format="csv")
    assert data.decode("utf-8").splitlines()[0].startswith("uuid,name,article")
    outcome = catalog_import(model="items", data=data, file_format="csv", dry_run=False)
    assert outcome.ok and (outcome.new, outcome.updated, outcome.skipped) == (0, 0, Item.objects.count())


def test_new_items_are_created_and_reach_the_feed(demo):
    before = feed_high_water()
    csv = HEADER + (",Мяч футбольный,МФ-5,,goods,02,796,20,0,1,,0\n"
                    ",Груши вес.,ГР-В,,goods,06,166,10,1,1,,0\n")
    outcome = catalog_import(model="items", data=csv.encode(), file_format="csv", dry_run=False)
    assert outcome.ok and outcome.new == 2, outcome.errors
    pear = Item.objects.get(name="Груши вес.")
    assert pear.is_weight and pear.base_unit.okei_code == "166" and pear.group.name == "Детское питание"
    assert set(Item.objects.filter(pk__in=feed_items_changed(after=before)).values_list("name", flat=True)) == {
        "Мяч футбольный", "Груши вес."}


def test_dry_run_lists_every_row_error_and_writes_nothing(demo):
    before = Item.objects.count()
    csv = HEADER + (",Годный товар,Г-1,,goods,02,796,20,0,1,,0\n"
                    ",Без группы,Г-2,,goods,nogroup,796,20,0,1,,0\n"
                    ",Чужая ставка,Г-3,,goods,02,796,13,0,1,,0\n"
                    ",,Г-4,,goods,02,796,20,0,1,,0\n")
    for dry_run in (True, False):
        outcome = catalog_import(model="items", data=csv.encode(), file_format="csv", dry_run=dry_run)
        text = "\n".join(outcome.errors)
        assert not outcome.ok and len(outcome.errors) == 3, text
        assert "строка 3: group: не найден(а) Группа номенклатуры с кодом «nogroup»" in text, text
        assert "строка 4: vat_rate" in text and "строка 5: name" in text and "строка 2" not in text
        assert Item.objects.count() == before  # the good row is not written either: all or nothing


def test_xlsx_price_round_trip(demo):
    from openpyxl import load_workbook

    data = catalog_export(model="prices", file_format="xlsx")
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("value")].value is not None)
    row[header.index("value")].value = "999.90"
    out = io.BytesIO()
    book.save(out)
    outcome = catalog_import(model="prices", data=out.getvalue(), file_format="xlsx", dry_run=False)
    assert outcome.ok and outcome.updated == 1, outcome.errors
    assert Price.objects.filter(value="999.90").count() == 1


def test_barcodes_characteristics_and_packs_import(demo):
    item = Item.objects.get(name="Кукла «Маша» 30 см")
    chars = f"uuid,item,name\n,{item.uuid},Розовое платье\n"
    assert catalog_import(model="characteristics", data=chars.encode(), file_format="csv", dry_run=False).ok
    ch = item.characteristics.get(name="Розовое платье")
    packs = f"uuid,item,name,coefficient\n,{item.uuid},Коробка 4 шт,4\n"
    assert catalog_import(model="packs", data=packs.encode(), file_format="csv", dry_run=False).ok
    codes = f"value,item,characteristic,pack,barcode_type\n4601234599990,{item.uuid},{ch.uuid},,EAN13\n"
    assert catalog_import(model="barcodes", data=codes.encode(), file_format="csv", dry_run=False).ok
    assert item.barcodes.get(value="4601234599990").characteristic == ch


def test_command_dry_run_prints_errors(demo, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(HEADER + ",Без группы,Г-2,,goods,nogroup,796,20,0,1,,0\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="ничего не загружено"):
        call_command("catalog_import", "items", str(path), "--dry-run", stdout=out)
    assert "ошибка: строка 2: group: не найден(а)" in out.getvalue()
    export = tmp_path / "items.xlsx"
    call_command("catalog_export", "items", str(export), stdout=io.StringIO())
    assert export.read_bytes()[:2] == b"PK"


def test_admin_import_and_export_pages(demo, admin_client):
    assert admin_client.get("/admin/retail/item/import/").status_code == 200
    assert admin_client.get("/admin/retail/price/export/").status_code == 200


def _price_file(rows: list) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["price_type", "item", "characteristic", "date", "value"], *rows])
    return out.getvalue().encode()


def _dated_prices(count: int) -> list[list]:
    """`count` price rows of the demo's goods, each good on many days: more rows than one batch of the import."""
    from datetime import date, timedelta

    from retail.models import PriceType

    price_type = PriceType.objects.order_by("pk").first().name
    items = list(Item.objects.order_by("pk").values_list("uuid", flat=True))
    return [[price_type, items[n % len(items)], "", (date(2031, 1, 1) + timedelta(days=n // len(items))).isoformat(),
             f"{100 + n % 7}.50"] for n in range(count)]


def test_a_price_file_of_several_batches_reports_each_bad_row_with_its_line_and_writes_nothing(demo):
    rows = _dated_prices(4500)
    rows[9][1] = "00000000-0000-0000-0000-000000000000"      # line 11: an item the base does not have
    rows[2499][4] = "-5"                                      # line 2501: a negative price (the next batch)
    rows[4399][3] = "31.02.2031"                              # line 4401: not a date
    rows[4449] = list(rows[4448])                             # line 4451: the record of line 4450 again
    before = (Price.objects.count(), feed_high_water())
    for dry_run in (True, False):
        outcome = catalog_import(model="prices", data=_price_file(rows), file_format="csv", dry_run=dry_run)
        assert len(outcome.errors) == 4, outcome.errors
        first, negative, not_a_date, twice = outcome.errors
        assert first.startswith("строка 11: не найден(а) Номенклатура с идентификатором «00000000-"), first
        assert negative == "строка 2501: value: Цена не может быть отрицательной.", negative
        assert not_a_date == ("строка 4401: «31.02.2031» не является датой: ожидается ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"), not_a_date
        assert twice == "строка 4451: повторяет строку 4450 файла: одна запись — одна строка", twice
        assert (Price.objects.count(), feed_high_water()) == before  # all or nothing, over every batch

    good = _dated_prices(4500)
    outcome = catalog_import(model="prices", data=_price_file(good), file_format="csv", dry_run=False)
    assert outcome.ok and outcome.new == 4500, outcome.errors
    assert Price.objects.count() == before[0] + 4500
    price = Price.objects.get(item__uuid=good[4499][1], date=good[4499][3])
    assert (str(price.value), price.characteristic_id) == (good[4499][4], None)


def test_a_price_file_again_updates_the_changed_rows_and_skips_the_rest(demo):
    rows = _dated_prices(40)
    assert catalog_import(model="prices", data=_price_file(rows), file_format="csv", dry_run=False).new == 40
    rows[5][4], rows[30][4] = "1\xa0306,84", "0"
    before = feed_high_water()
    outcome = catalog_import(model="prices", data=_price_file(rows), file_format="csv", dry_run=False)
    assert outcome.ok and (outcome.new, outcome.updated, outcome.skipped) == (0, 2, 38), outcome.errors
    assert Price.objects.get(item__uuid=rows[5][1], date=rows[5][3]).value == Decimal("1306.84")
    assert feed_high_water() > before  # the changed prices reach the registers


def test_the_import_reads_the_base_in_a_few_queries_whatever_the_rows(demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reads = []
    for count in (30, 1500):
        with CaptureQueriesContext(connection) as queries:
            outcome = catalog_import(model="prices", data=_price_file(_dated_prices(count)), file_format="csv",
                                     dry_run=True)
        assert outcome.ok and outcome.new == count, outcome.errors
        reads.append(sum(query["sql"].startswith("SELECT") for query in queries))
    assert reads[0] == reads[1] <= 10, reads  # (the rows are written a few hundred a statement)


def test_a_csv_row_longer_than_its_header_is_refused_in_russian(demo):
    data = _price_file(_dated_prices(3)) + b"a,b,c,d,e,f\n"
    with pytest.raises(ValueError, match="Строка 5: значений больше, чем колонок в заголовке"):
        catalog_import(model="prices", data=data, file_format="csv", dry_run=True)


def test_the_admin_import_of_prices_logs_each_price_without_a_query_a_price(demo, admin_client):
    from django.contrib.admin.models import LogEntry
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = _dated_prices(300)
    preview = admin_client.post("/admin/retail/price/import/", {
        "format": "0", "resource": "0", "import_file": SimpleUploadedFile("prices.csv", _price_file(rows), "text/csv")})
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"].initial
    with CaptureQueriesContext(connection) as queries:
        done = admin_client.post("/admin/retail/price/process_import/", confirm)
    assert done.status_code == 302
    logged = LogEntry.objects.filter(content_type__model="price").order_by("pk")
    assert logged.count() == 300
    item = Item.objects.get(uuid=rows[0][1])
    # Named as the price names itself: its item and the price in Russian decimals («100,50»).
    assert logged.first().object_repr == f"{item.name} — {money_text(Decimal(rows[0][4]))}"
    assert len(queries) < 60, len(queries)
