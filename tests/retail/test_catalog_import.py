"""Catalog import/export (CSV/XLSX): dry run lists every row error, imports are all or nothing."""
import io

import pytest
from django.core.management import CommandError, call_command

from offline_exchange.feed_sql import ITEM
from offline_exchange.services.feed import feed_changed, feed_high_water
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
    assert set(Item.objects.filter(pk__in=feed_changed(kind=ITEM, after=before)).values_list("name", flat=True)) == {
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
