"""PostDocs sales import: shifts become Retail Sales Reports, never lost, never doubled (PROTOCOL §7)."""
import threading
import uuid
from datetime import datetime
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CashMovementDoc, CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.synthetic import SellableGood, synthetic_shift
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.models import ExchangeJournalEntry, PaymentKind, SkuCode
from offline_exchange.services import sales
from offline_exchange.services.sales import FORMAT_ERROR, SUCCESS, post_docs
from retail.models import Item, RetailSalesReport, SalesReportExciseStamp, SalesReportGoodsLine
from retail.services.sales_reports import sales_report_reasons
from tests import factories as f
from tests.conftest import sample


def reasons(report) -> str:
    """The report's stored reasons as the store admin reads them."""
    return "\n".join(sales_report_reasons(report=report))


def upload(device, document, doc_type="SaleReports", user=None):
    return post_docs(device=device, doc_type=doc_type, document=document, user=user)


def line(code, quantity, price, tax="20", method=4, **kw):
    quantity, price = D(quantity), D(price)
    return CheckLineDoc(line=0, code=code, quantity=quantity, price=price, amount=(quantity * price).quantize(D("0.01")),
                        tax_rate=tax, payment_method=method, **kw)


def pay(cash="0", card="0", code="", pre="0", post="0", barter="0"):
    return PaymentDoc(cash=D(cash), electronic=D(card), prepayment=D(pre), postpayment=D(post), barter=D(barter),
                      option_code=code)


def check(number, lines, payments, op=1, **kw):
    return CheckDoc(line=0, date=datetime(2024, 6, 1, 10, number), number=str(number), taxation_system=0,
                    operation_type=op, uuid=uuid.uuid4(), lines=lines, payments=payments, **kw)


def shift(checks, number="1", closed=True, shift_uuid="auto", movements=()):
    return SaleReportDoc(line=0, shift_number=number, opened_at=datetime(2024, 6, 1, 9),
                         closed_at=datetime(2024, 6, 1, 21) if closed else None, shift_state=1 if closed else 2,
                         uuid=uuid.uuid4() if shift_uuid == "auto" else shift_uuid, checks=checks,
                         cash_movements=list(movements))


def xml(*shifts):
    return build_sale_reports(list(shifts), FORMAT_3001)


class TestSampleA:
    @pytest.fixture
    def report(self, sample_shop):
        user = User.objects.get(username="sync")
        result = upload(sample_shop.device, sample("a_sale_reports_closed_shift.xml"), user=user)
        assert (result.success, result.description) == (True, SUCCESS)
        return RetailSalesReport.objects.get()

    def test_header(self, report, sample_shop):
        s = sample_shop
        assert report.posted and report.not_posted_reasons == []
        assert report.number == "ОБ-000001" and report.number_year == 2024
        assert report.date == datetime(2024, 3, 15, 21, 3, 44)
        assert (report.store, report.cash_register, report.organization, report.warehouse, report.device) == (
            s.store, s.register, s.org, s.warehouse, s.device)
        assert report.prices_include_vat
        assert report.comment == "Загружено из ККМ Офлайн: Мобильная касса 1"
        assert report.responsible.username == "sync"
        assert (report.shift_number, report.shift_uuid, report.shift_closed) == (
            "12", uuid.UUID("7f3c9a10-2024-4315-8c12-000000000012"), True)
        assert (report.shift_opened_at, report.shift_closed_at) == (datetime(2024, 3, 15, 8, 58, 12),
                                                                    datetime(2024, 3, 15, 21, 3, 44))

    def test_totals(self, report):
        # 1061.89 + 719.00 + 424.95 sold, 899.00 returned; cash 1061.89 + 200 − 899; cards 719 + 224.95
        assert (report.total, report.returns_total, report.cash_total) == (D("1306.84"), D("899.00"), D("362.89"))
        assert report.vat_total == D("20.71") + D("110.00") + D("9.83") + D("60.00")
        assert (report.prepayment_total, report.postpayment_total, report.barter_total) == (0, 0, 0)

    def test_goods_are_aggregated_and_the_returned_shirt_nets_out(self, report, sample_shop):
        s = sample_shop
        rows = [(r.item, r.characteristic, r.pack, r.quantity_packs, r.quantity, r.price, r.amount, r.vat_rate,
                 r.vat_amount) for r in report.salesreportgoodsline_set.all()]
        assert rows == [
            (s.apples, None, None, D("1.754"), D("1.754"), D("129.90"), D("227.84"), "10", D("20.71")),
            (s.water, None, s.six, D("2"), D("12"), D("330.00"), D("660.00"), "20", D("110.00")),
            (s.water, None, None, D("1"), D("1"), D("59.00"), D("59.00"), "20", D("9.83")),
            (s.cigarettes, None, None, D("2"), D("2"), D("180.00"), D("360.00"), "20", D("60.00")),
        ]
        [returned] = report.salesreportreturnedline_set.all()
        assert (returned.item, returned.characteristic, returned.quantity, returned.amount, returned.vat_amount) == (
            s.shirt, s.size_m, D("1"), D("899.00"), D("149.83"))

    def test_payments_stamps_and_cash_movements(self, report, sample_shop):
        [card] = report.salesreportcardpayment_set.all()
        assert (card.payment_kind, card.option_code, card.amount) == (sample_shop.card, "1", D("943.95"))
        assert not report.salesreportbankcreditpayment_set.exists()
        stamps = list(report.salesreportexcisestamp_set.values_list("check_number", "item", "stamp"))
        assert stamps == [("3", sample_shop.cigarettes.pk, "046002660117252Xk<5&aAB3qz9Y1"),
                          ("3", sample_shop.cigarettes.pk, "04600266011725Ep7;=VrAB3qQ7Lz")]
        moves = list(report.salesreportcashmovement_set.values_list("direction", "amount", "number"))
        assert moves == [("Income", D("2000.00"), "1"), ("Outcome", D("1500.00"), "2")]
        assert not report.salesreportsettlement_set.exists()

    def test_resent_shift_b_replaces_content_and_keeps_number(self, report, sample_shop):
        before = list(report.salesreportgoodsline_set.values_list("item", "amount"))
        result = upload(sample_shop.device, sample("b_sale_reports_resent.xml"))
        assert result.success
        again = RetailSalesReport.objects.get()
        assert (again.pk, again.number, again.total) == (report.pk, "ОБ-000001", D("1306.84"))
        assert list(again.salesreportgoodsline_set.values_list("item", "amount")) == before
        assert again.salesreportexcisestamp_set.count() == 2  # 1C accumulates stamps on re-upload; we replace
        assert [h.history_change_reason for h in again.history.order_by("history_id")] == [
            "Загрузка смены из ККМ", "Повторная загрузка смены из ККМ"]

    def test_file_form_of_the_same_shift_is_the_same_report(self, report, sample_shop):
        assert upload(sample_shop.device, sample("a_import_data_closed_shift.xml")).success
        assert RetailSalesReport.objects.get().number == report.number


def test_open_shift_c_is_saved_unposted_with_every_reason(sample_shop):
    result = upload(sample_shop.device, sample("c_sale_reports_open_shift.xml"))
    assert result.success
    report = RetailSalesReport.objects.get()
    assert not report.posted and not report.shift_closed and report.shift_closed_at is None
    assert report.date == datetime(2024, 3, 16, 10, 2, 9)  # the last check, the shift being open
    assert "смена не закрыта" in reasons(report)
    assert "код «00005» (идентификатор товара c0a80101-0005-4e5f-a1b2-0000000000a5)" in reasons(report)
    assert "цена 749,00" in reasons(report)
    assert "не проведен" in result.description and "00005" in result.description
    # Nothing sent is dropped: the unknown code keeps its row, code, GoodUUID, quantity and price.
    unknown = report.salesreportgoodsline_set.get(sent_code="00005")
    assert (unknown.item, unknown.quantity, unknown.price, unknown.amount) == (None, 1, D("749.00"), D("749.00"))
    assert unknown.sent_good_uuid == uuid.UUID("c0a80101-0005-4e5f-a1b2-0000000000a5")
    shirt_l = report.salesreportgoodsline_set.get(characteristic=sample_shop.size_l)
    assert shirt_l.amount == D("899.00")
    # Gift certificate (code 3): no mapping and no default electronic kind on the register → cash.
    assert report.cash_total == D("749.00") + D("949.00")
    assert report.total == D("749.00") + D("899.00") + D("50.00")


def test_seed_example_two_goods_paid_in_cash_posts(demo):
    codes = {item: SkuCode.objects.get(item__name=item, characteristic=None, pack=None).number
             for item in ("СТЕР Пазл 1000 Английский котенок", 'Автомобиль "Жук"')}
    doc = shift([check(1, [line(str(codes["СТЕР Пазл 1000 Английский котенок"]), 1, "183.00", tax="none"),
                           line(str(codes['Автомобиль "Жук"']), 1, "250.00", tax="none")], [pay(cash="433.00")])])
    result = upload(demo["device"], xml(doc))
    assert (result.success, result.description) == (True, SUCCESS)
    report = RetailSalesReport.objects.get()
    assert report.posted
    assert (report.total, report.vat_total, report.returns_total, report.cash_total) == (
        D("433.00"), D("0.00"), D("0.00"), D("433.00"))
    assert report.number == "ТДРТ-000001" and report.cash_register == demo["cash_register"]


def test_return_netting_to_zero_drops_the_row_but_lists_the_return(sample_shop):
    sale = check(1, [line("3", 2, "59.00"), line("1", "0.5", "129.90", tax="10")], [pay(cash="183.95")])
    back = check(2, [line("3", 2, "59.00")], [pay(cash="118.00")], op=2, ref_uuid=sale.uuid, ref_type="Check")
    upload(sample_shop.device, xml(shift([sale, back])))
    report = RetailSalesReport.objects.get()
    assert list(report.salesreportgoodsline_set.values_list("item", "amount")) == [(sample_shop.apples.pk, D("64.95"))]
    assert list(report.salesreportreturnedline_set.values_list("item", "quantity", "amount")) == [
        (sample_shop.water.pk, D("2"), D("118.00"))]
    assert (report.total, report.returns_total, report.cash_total) == (D("64.95"), D("118.00"), D("65.95"))


def test_return_without_its_sale_is_a_negative_row(sample_shop):
    back = check(1, [line("4", 1, "180.00")], [pay(card="180.00", code="1")], op=2)
    upload(sample_shop.device, xml(shift([back])))
    report = RetailSalesReport.objects.get()
    row = report.salesreportgoodsline_set.get()
    assert (row.quantity, row.amount, row.vat_amount) == (D("-1"), D("-180.00"), D("-30.00"))
    assert report.salesreportcardpayment_set.get().amount == D("-180.00")
    assert report.posted


def test_code_of_base_position_with_characteristic_uuid_and_good_uuid_fallback(sample_shop):
    s = sample_shop
    lines = [line("2", 1, "899.00", characteristic_uuid=s.size_l.uuid),
             line("", 1, "59.00", good_uuid=s.water.uuid, packing_uuid=s.six.uuid),
             # a characteristic of another item is not taken
             line("3", 1, "59.00", characteristic_uuid=s.size_m.uuid)]
    upload(s.device, xml(shift([check(1, lines, [pay(cash="1017.00")])])))
    rows = list(RetailSalesReport.objects.get().salesreportgoodsline_set.values_list(
        "item", "characteristic", "pack", "quantity"))
    assert rows == [(s.shirt.pk, s.size_l.pk, None, D("1")), (s.water.pk, None, s.six.pk, D("6")),
                    (s.water.pk, None, None, D("1"))]


def test_vat_rate_of_the_check_line_wins_and_empty_falls_back_to_the_item(sample_shop):
    lines = [line("1", 1, "110.00", tax="10/110"), line("3", 1, "120.00", tax=""), line("4", 1, "100.00", tax="0"),
             line("2", 1, "105.00", tax="5")]
    upload(sample_shop.device, xml(shift([check(1, lines, [pay(cash="435.00")])])))
    rows = list(RetailSalesReport.objects.get().salesreportgoodsline_set.values_list("vat_rate", "vat_amount"))
    assert rows == [("10", D("10.00")), ("20", D("20.00")), ("0", D("0.00")), ("5", D("5.00"))]


def test_unknown_vat_rate_is_kept_unposted(sample_shop):
    upload(sample_shop.device, xml(shift([check(1, [line("3", 1, "100.00", tax="13")], [pay(cash="100")])])))
    report = RetailSalesReport.objects.get()
    assert not report.posted and "ставка НДС в чеке: 13" in reasons(report)
    assert report.salesreportgoodsline_set.get().vat_rate == "20"


class TestPaymentMapping:
    def test_mapping_then_default_kind_then_cash(self, sample_shop):
        s = sample_shop
        credit = f.PaymentKindFactory(name="Кредит банка", type=PaymentKind.Type.BANK_CREDIT, bank="Банк Воронеж",
                                      commission_percent=D("3.50"))
        checks = [check(1, [line("3", 1, "100.00")], [pay(card="100.00", code="1")]),
                  check(2, [line("3", 2, "100.00")], [pay(card="200.00", code="7")])]
        upload(s.device, xml(shift(checks, number="1")))
        report = RetailSalesReport.objects.get()
        # code 7 is not mapped and the register has no default electronic kind: counted as cash
        assert report.cash_total == D("200.00")
        assert list(report.salesreportcardpayment_set.values_list("payment_kind", "amount")) == [(s.card.pk, D("100.00"))]

        s.register.default_electronic_payment_kind = credit
        s.register.save()
        upload(s.device, xml(shift(checks, number="2")))
        second = RetailSalesReport.objects.get(shift_number="2")
        assert second.cash_total == 0
        bank = second.salesreportbankcreditpayment_set.get()
        assert (bank.payment_kind, bank.bank, bank.amount, bank.commission_percent, bank.commission_amount) == (
            credit, "Банк Воронеж", D("200.00"), D("3.50"), D("7.00"))

    def test_mapping_to_a_cash_kind_counts_as_cash(self, sample_shop):
        cash_kind = f.PaymentKindFactory(name="Наличные", type=PaymentKind.Type.CASH)
        f.PaymentMappingFactory(cash_register=sample_shop.register, code="9", payment_kind=cash_kind)
        upload(sample_shop.device, xml(shift([check(1, [line("3", 1, "100.00")], [pay(card="100.00", code="9")])])))
        assert RetailSalesReport.objects.get().cash_total == D("100.00")

    def test_prepayment_postpayment_and_barter_have_their_own_totals(self, sample_shop):
        checks = [check(1, [line("3", 10, "100.00")],
                        [pay(cash="100", pre="200", post="300", barter="400")]),
                  check(2, [line("3", 1, "100.00")], [pay(post="100")], op=2)]
        upload(sample_shop.device, xml(shift(checks)))
        report = RetailSalesReport.objects.get()
        assert (report.cash_total, report.prepayment_total, report.postpayment_total, report.barter_total) == (
            D("100.00"), D("200.00"), D("200.00"), D("400.00"))


def test_expense_checks_and_advance_lines_are_skipped_and_noted(sample_shop):
    checks = [check(1, [line("3", 1, "100.00"), line("4", 1, "180.00", method=1)], [pay(cash="280.00")]),
              check(2, [line("3", 5, "100.00")], [pay(cash="500.00")], op=3)]
    result = upload(sample_shop.device, xml(shift(checks)))
    report = RetailSalesReport.objects.get()
    assert list(report.salesreportgoodsline_set.values_list("item", "amount")) == [(sample_shop.water.pk, D("100.00"))]
    assert "чеков расхода (OperationType 3/4): 1" in result.note
    assert "строк авансов и предоплат (PaymentMethod 1–3, 7): 1" in result.note
    assert report.cash_total == D("280.00")  # the money taken for the advance is in the drawer


def test_check_of_an_order_settles_it(demo):
    order = demo["order"]
    puzzle = SkuCode.objects.get(item__name="СТЕР Пазл 1000 Английский котенок", characteristic=None, pack=None)
    sale = check(1, [line(str(puzzle.number), 2, "183.00", tax="none")], [pay(cash="366.00")],
                 ref_uuid=order.uuid, ref_type="Order")
    stranger = uuid.uuid4()
    other = check(2, [line(str(puzzle.number), 1, "183.00", tax="none")], [pay(cash="183.00")],
                  ref_uuid=stranger, ref_type="Order")
    upload(demo["device"], xml(shift([sale, other])))
    report = RetailSalesReport.objects.get()
    rows = list(report.salesreportsettlement_set.values_list("order", "order_uuid", "shipped_amount", "paid_amount"))
    assert rows == [(order.pk, order.uuid, D("366.00"), D("366.00")), (None, stranger, D("183.00"), D("183.00"))]
    assert report.salesreportgoodsline_set.get(order=order).amount == D("366.00")
    assert not report.posted and f"не найден заказ покупателя {stranger}" in reasons(report)


def test_device_without_cash_register_is_saved_unposted(db):
    device = f.OfflineDeviceFactory(name="Касса без ККМ")
    result = upload(device, xml(shift([check(1, [line("3", 1, "100.00")], [pay(cash="100")])])))
    report = RetailSalesReport.objects.get()
    assert result.success and not report.posted
    assert "к оборудованию «Касса без ККМ» не подключена касса ККМ" in reasons(report)
    assert report.organization == device.organization and report.cash_register is None


def test_shift_without_uuid_is_keyed_by_number_and_opening(sample_shop):
    doc = xml(shift([check(1, [line("3", 1, "100.00")], [pay(cash="100")])], shift_uuid=None))
    upload(sample_shop.device, doc)
    upload(sample_shop.device, doc)
    assert RetailSalesReport.objects.count() == 1
    upload(sample_shop.device, doc.replace(b'ShiftNumber="1"', b'ShiftNumber="2"'))
    assert RetailSalesReport.objects.count() == 2


def test_same_shift_from_another_device_is_another_report(sample_shop):
    other = f.OfflineDeviceFactory(organization=sample_shop.org)
    doc = sample("a_sale_reports_closed_shift.xml")
    upload(sample_shop.device, doc)
    upload(other, doc)
    assert sorted(RetailSalesReport.objects.values_list("number", flat=True)) == ["ОБ-000001", "ОБ-000002"]


def test_numbers_are_unique_per_year_and_prefix(sample_shop):
    s = sample_shop
    for n, year in ((1, 2024), (2, 2024), (3, 2025)):
        doc = shift([], number=str(n))
        doc.opened_at, doc.closed_at = datetime(year, 1, 2), datetime(year, 1, 2, 20)
        upload(s.device, xml(doc))
    assert list(RetailSalesReport.objects.order_by("shift_number").values_list("number", "number_year")) == [
        ("ОБ-000001", 2024), ("ОБ-000002", 2024), ("ОБ-000001", 2025)]


def test_empty_shift_creates_an_empty_report(sample_shop):
    upload(sample_shop.device, xml(shift([], movements=[CashMovementDoc(datetime(2024, 6, 1, 9), "1", "Income",
                                                                        D("500"))])))
    report = RetailSalesReport.objects.get()
    assert report.posted and report.total == 0 and report.salesreportcashmovement_set.count() == 1


def test_schema_failure_writes_nothing(sample_shop):
    result = upload(sample_shop.device, sample("d2_non_numeric_quantity.xml"))
    assert not result.success
    assert result.description.startswith(FORMAT_ERROR + "\n")
    assert "Quantity" in result.description
    assert not RetailSalesReport.objects.exists()


def test_several_shifts_in_one_upload_are_all_or_nothing(sample_shop, monkeypatch):
    good = shift([check(1, [line("3", 1, "100.00")], [pay(cash="100")])], number="1")
    bad = shift([check(1, [line("4", 1, "180.00")], [pay(cash="180")])], number="2")
    calls = {"n": 0}
    real = SalesReportGoodsLine.objects.bulk_create

    def failing(objs, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("disk I/O error")
        return real(objs, *a, **kw)

    monkeypatch.setattr(SalesReportGoodsLine.objects, "bulk_create", failing)
    with pytest.raises(OperationalError):
        upload(sample_shop.device, xml(good, bad))
    assert not RetailSalesReport.objects.exists() and not SalesReportGoodsLine.objects.exists()
    monkeypatch.undo()
    assert upload(sample_shop.device, xml(good, bad)).success
    assert RetailSalesReport.objects.count() == 2


def test_database_error_in_the_middle_of_a_resend_keeps_the_old_report(sample_shop, monkeypatch):
    upload(sample_shop.device, sample("a_sale_reports_closed_shift.xml"))

    def broken(*a, **kw):
        raise OperationalError("could not extend file")

    monkeypatch.setattr(SalesReportExciseStamp.objects, "bulk_create", broken)
    with pytest.raises(OperationalError):
        upload(sample_shop.device, sample("b_sale_reports_resent.xml"))
    report = RetailSalesReport.objects.get()
    assert report.salesreportgoodsline_set.count() == 4 and report.salesreportexcisestamp_set.count() == 2


def shift_totals(shift: SaleReportDoc) -> dict[str, D]:
    """What a correct import must show for this shift (sales lines with PaymentMethod 4–6)."""
    total = returns = cash = card = D(0)
    for check in shift.checks:
        sign = -1 if check.operation_type == 2 else 1
        amount = sum((line.amount for line in check.lines if line.payment_method in (4, 5, 6)), D(0))
        total += sign * amount
        if sign < 0:
            returns += amount
        for p in check.payments:
            cash += sign * p.cash
            card += sign * p.electronic
    return {"total": total, "returns": returns, "cash": cash, "card": card}


def test_large_shift_of_5000_checks(sample_shop):
    goods = [SellableGood("1", D("129.90"), "10", weight=True), SellableGood("3", D("59.00")),
             SellableGood("4", D("180.00")), SellableGood("2", D("899.00"))]
    doc = synthetic_shift(goods=goods, checks=5000, lines=3, opened_at=datetime(2024, 7, 1, 8), returns_every=50)
    result = upload(sample_shop.device, xml(doc))
    assert result.success and result.description == SUCCESS
    report = RetailSalesReport.objects.get()
    expected = shift_totals(doc)
    assert report.total == expected["total"] and report.returns_total == expected["returns"]
    assert report.cash_total == expected["cash"]
    assert sum(p.amount for p in report.salesreportcardpayment_set.all()) == expected["card"]
    assert report.total == report.cash_total + expected["card"]


@pytest.mark.parametrize("checks", [20, 400])
def test_query_count_does_not_grow_with_the_shift(sample_shop, django_assert_max_num_queries, checks):
    goods = [SellableGood("1", D("129.90"), "10", weight=True), SellableGood("3", D("59.00"))]
    document = xml(synthetic_shift(goods=goods, checks=checks, lines=3, opened_at=datetime(2024, 7, 1, 8),
                                   returns_every=9))
    # A fixed set, the same for 20 checks and 400: the import's own ~25, posting's (movements with their cost,
    # totals, the re-posting sequence, orders), the cash ledger and the automatic «Выемка», the orders due, and
    # keeping the checks (4 deletes, 4 inserts, the new ids, the returns documents' look-ups and late links).
    with django_assert_max_num_queries(120):
        assert upload(sample_shop.device, document).success


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_shift_give_one_report(sample_shop):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    document = sample("a_sale_reports_closed_shift.xml")
    barrier = threading.Barrier(10)
    results, errors = [], []

    def worker():
        from django.db import connections
        try:
            barrier.wait()
            results.append(upload(sample_shop.device, document))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r.success for r in results) and len(results) == 10
    assert list(RetailSalesReport.objects.values_list("number", flat=True)) == ["ОБ-000001"]
    assert RetailSalesReport.objects.get().salesreportgoodsline_set.count() == 4


def test_reload_from_the_journal_after_fixing_a_missing_sku(sample_shop):
    SkuCode.objects.filter(number=4).delete()
    Item.objects.filter(pk=sample_shop.cigarettes.pk).update(uuid=uuid.uuid4())  # GoodUUID no help either
    entry = ExchangeJournalEntry.objects.create(device=sample_shop.device, operation="PostDocs", status="ok",
                                                doc_type="SaleReports",
                                                document=sample("a_sale_reports_closed_shift.xml"))
    first = sales.sales_reports_reload(entry=entry)
    report = RetailSalesReport.objects.get()
    assert first.success and not report.posted and "код «00004»" in reasons(report)
    f.SkuCodeFactory(number=4, item=sample_shop.cigarettes)
    admin = User.objects.create_superuser("admin", password="x")
    again = sales.sales_reports_reload(entry=entry, user=admin)
    report.refresh_from_db()
    assert again.description == SUCCESS and report.posted and report.number == "ОБ-000001"
    assert report.journal_entry == entry
    assert report.salesreportexcisestamp_set.filter(item=sample_shop.cigarettes).count() == 2


def test_alcohol_tare_and_price_checker_reports_are_validated_and_archived(sample_shop):
    from tests.conftest import FMT_NS
    ok = upload(sample_shop.device, f'<PriceCheckerReports xmlns="{FMT_NS}"/>'.encode(), doc_type="PriceCheckerReport")
    assert ok.success and "отчетов о ценниках" in ok.note
    bad = upload(sample_shop.device, b"<AlcoholTareOpenings/>", doc_type="AlcoholTareOpening")
    assert not bad.success and bad.description.startswith(FORMAT_ERROR)
    other = upload(sample_shop.device, b"<x/>", doc_type="Inventory")
    assert not other.success and other.description.startswith("Тип документа Inventory не поддерживается")
    assert not RetailSalesReport.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_different_devices_get_distinct_numbers(sample_shop):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    devices = [sample_shop.device] + [f.OfflineDeviceFactory(organization=sample_shop.org) for _ in range(5)]
    document = sample("a_sale_reports_closed_shift.xml")
    barrier = threading.Barrier(len(devices))
    errors = []

    def worker(device):
        from django.db import connections
        try:
            barrier.wait()
            upload(device, document)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(device,)) for device in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(RetailSalesReport.objects.values_list("number", flat=True)) == [
        f"ОБ-{n:06d}" for n in range(1, len(devices) + 1)]
