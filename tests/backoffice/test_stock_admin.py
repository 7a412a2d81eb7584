"""The store documents' admins: «Провести» / «Отменить проведение», lines by barcode and from a file."""
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from retail.models import StockBalance, StockCount, WriteOff
from retail.services import stock_lines
from tests.retail.test_posting import item, stock


def header(demo, **extra):
    return {"date_0": "03.06.2024", "date_1": "12:00:00", "organization": demo["organization"].pk,
            "warehouse": demo["warehouse"].pk, "comment": "", "barcode": "", "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000", **extra}


def existing_lines(doc, field="quantity"):
    data = {"lines-TOTAL_FORMS": str(doc.lines.count()), "lines-INITIAL_FORMS": str(doc.lines.count())}
    for n, line in enumerate(doc.lines.order_by("line_number")):
        data.update({f"lines-{n}-id": line.pk, f"lines-{n}-document": doc.pk, f"lines-{n}-line_number":
                     line.line_number, f"lines-{n}-item": line.item_id,
                     f"lines-{n}-characteristic": line.characteristic_id or "",
                     f"lines-{n}-{field}": str(getattr(line, field))})
    return data


@pytest.fixture
def admin(demo, admin_client):
    return admin_client


def test_write_off_by_barcode_then_posted_and_unposted(demo, admin):
    add = reverse("admin:retail_writeoff_add")
    response = admin.post(add, header(demo, reason="Брак", barcode="4601234500031", _scan="1"))
    assert response.status_code == 302
    doc = WriteOff.objects.get()
    assert response["Location"] == reverse("admin:retail_writeoff_change", args=[doc.pk])
    assert doc.number == "ТДРТ-000001" and not doc.posted
    assert list(doc.lines.values_list("item__article", "quantity")) == [("МР-15", D(1))]
    change = reverse("admin:retail_writeoff_change", args=[doc.pk])
    # The same barcode again adds to its line; the diapers' pack barcode adds 52 pieces.
    admin.post(change, header(demo, reason="Брак", barcode="4601234500031", _scan="1", **existing_lines(doc)))
    admin.post(change, header(demo, reason="Брак", barcode="4601234500123", _scan="1", **existing_lines(doc)))
    assert list(doc.lines.order_by("line_number").values_list("item__article", "quantity")) == [
        ("МР-15", D(2)), ("ПГ-3", D(52))]
    assert stock(item("МР-15")) == 10  # not posted yet: nothing moved
    admin.post(change, header(demo, reason="Брак", _post="1", **existing_lines(doc)))
    doc.refresh_from_db()
    assert doc.posted and stock(item("МР-15")) == 8 and stock(item("ПГ-3")) == -42
    page = admin.get(change).content.decode()
    assert "Движения документа" in page and "Отменить проведение" in page and "Мяч резиновый 15 см" in page
    admin.post(change, header(demo, reason="Брак", _unpost="1", **existing_lines(doc)))
    doc.refresh_from_db()
    assert not doc.posted and stock(item("МР-15")) == 10
    history = admin.get(reverse("admin:retail_writeoff_history", args=[doc.pk]))
    assert history.status_code == 200


def test_unknown_barcode_is_a_russian_error_and_adds_nothing(demo, admin):
    response = admin.post(reverse("admin:retail_writeoff_add"),
                          header(demo, reason="Брак", barcode="0000000000000", _scan="1"), follow=True)
    assert "Товар со штрихкодом «0000000000000» не найден." in response.content.decode()
    assert WriteOff.objects.get().lines.count() == 0


def test_editing_a_posted_document_reposts_it(demo, admin):
    admin.post(reverse("admin:retail_writeoff_add"), header(demo, reason="Брак", barcode="4601234500031", _scan="1"))
    doc = WriteOff.objects.get()
    change = reverse("admin:retail_writeoff_change", args=[doc.pk])
    admin.post(change, header(demo, reason="Брак", _post="1", **existing_lines(doc)))
    data = header(demo, reason="Брак", _continue="1", **existing_lines(doc))
    data["lines-0-quantity"] = "4"
    admin.post(change, data)
    assert stock(item("МР-15")) == 6


def _xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    import io
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_count_lines_from_an_xlsx_file_and_posting_writes_the_difference(demo, admin):
    content = _xlsx([["Артикул", "Номенклатура", "Характеристика", "Количество"], ["МР-15", "", "", 7],
                     ["", "Боди детское хлопок", "Рост 68, белый", 12]])
    response = admin.post(reverse("admin:retail_stockcount_add"), {
        **header(demo), "_import": "1", "lines_file": SimpleUploadedFile("count.xlsx", content)})
    assert response.status_code == 302
    doc = StockCount.objects.get()
    assert list(doc.lines.values_list("item__article", "characteristic__name", "counted_quantity")) == [
        ("МР-15", None, D(7)), ("БД-01", "Рост 68, белый", D(12))]
    change = reverse("admin:retail_stockcount_change", args=[doc.pk])
    admin.post(change, header(demo, _post="1", **existing_lines(doc, "counted_quantity")))
    doc.refresh_from_db()
    assert doc.posted
    assert [(line.book_quantity, line.difference) for line in doc.lines.order_by("line_number")] == [
        (D(10), D(-3)), (D(10), D(2))]
    assert stock(item("МР-15")) == 7


def test_receipt_lines_from_csv(demo, admin):
    content = "Штрихкод;Количество;Цена\n4601234500031;5;80,50\n4601234500017;2;190\n".encode()
    admin.post(reverse("admin:retail_goodsreceipt_add"), {
        **header(demo), "supplier_document": "", "_import": "1",
        "lines_file": SimpleUploadedFile("receipt.csv", content)})
    from retail.models import GoodsReceipt
    doc = GoodsReceipt.objects.get()
    assert list(doc.lines.values_list("item__article", "quantity", "price", "amount")) == [
        ("МР-15", D(5), D("80.50"), D("402.50")), ("КД-12", D(2), D(190), D(380))]


def test_file_too_big_is_refused_before_it_is_read(demo, admin, settings):
    settings.STOCK_DOCUMENT_FILE_MAX_BYTES = 100
    content = ("Штрихкод;Количество\n" + "4601234500031;1\n" * 20).encode()
    response = admin.post(reverse("admin:retail_writeoff_add"), {
        **header(demo, reason="Брак"), "_import": "1", "lines_file": SimpleUploadedFile("big.csv", content)},
        follow=True)
    assert "Файл больше" in response.content.decode()
    assert WriteOff.objects.get().lines.count() == 0


def test_bad_file_rows_add_nothing(demo, admin):
    content = "Штрихкод;Количество\n4601234500031;1\n999;x\n".encode()
    response = admin.post(reverse("admin:retail_writeoff_add"), {
        **header(demo, reason="Брак"), "_import": "1", "lines_file": SimpleUploadedFile("bad.csv", content)},
        follow=True)
    assert "Строка 3" in response.content.decode()
    assert WriteOff.objects.get().lines.count() == 0


def test_stock_balances_are_read_only_in_the_admin(demo, admin):
    row = StockBalance.objects.filter(item__article="МР-15").first()
    assert admin.get(reverse("admin:retail_stockbalance_changelist")).status_code == 200
    admin.post(reverse("admin:retail_stockbalance_change", args=[row.pk]), {
        "item": row.item_id, "characteristic": "", "warehouse": row.warehouse_id, "quantity": "77"})
    row.refresh_from_db()
    assert row.quantity == 10
    assert admin.get(reverse("admin:retail_stockbalance_add")).status_code == 403


def test_transfer_to_the_same_warehouse_is_refused(demo, admin):
    response = admin.post(reverse("admin:retail_stocktransfer_add"), header(demo, to_warehouse=demo["warehouse"].pk))
    assert "должны различаться" in response.content.decode()


def test_list_actions_post_and_unpost(demo, admin):
    admin.post(reverse("admin:retail_writeoff_add"), header(demo, reason="Брак", barcode="4601234500031", _scan="1"))
    doc = WriteOff.objects.get()
    url = reverse("admin:retail_writeoff_changelist")
    admin.post(url, {"action": "post_selected", "_selected_action": [doc.pk]})
    assert stock(item("МР-15")) == 9
    admin.post(url, {"action": "unpost_selected", "_selected_action": [doc.pk]})
    assert stock(item("МР-15")) == 10


def test_scan_position_helpers():
    with pytest.raises(stock_lines.LinesError, match="Штрихкод не указан"):
        stock_lines.position_by_barcode("  ")


def test_deleting_a_posted_document_takes_its_movements(demo, admin):
    from retail.models import StockMovement
    admin.post(reverse("admin:retail_writeoff_add"), header(demo, reason="Брак", barcode="4601234500031", _scan="1"))
    doc = WriteOff.objects.get()
    admin.post(reverse("admin:retail_writeoff_changelist"), {"action": "post_selected", "_selected_action": [doc.pk]})
    assert stock(item("МР-15")) == 9
    before = StockMovement.objects.count()
    admin.post(reverse("admin:retail_writeoff_delete", args=[doc.pk]), {"post": "yes"})
    assert not WriteOff.objects.exists() and stock(item("МР-15")) == 10
    assert StockMovement.objects.count() == before - 1
