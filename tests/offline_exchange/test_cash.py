"""Cash at the registers and in the store's cash desk: a day uploaded, the automatic withdrawal, a re-send."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from offline_exchange.format.sale_reports import CashMovementDoc
from offline_exchange.models import PaymentKind
from retail.models import CashWithdrawal, MoneyMovement, RetailSalesReport
from retail.services.posting import document_post
from tests import factories as f
from tests.offline_exchange.test_sales_import import check, line, pay, shift, upload, xml
from tests.retail.test_cost import receipt, shop  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("goods_and_card")]
CLOSED = dt.datetime(2024, 6, 3, 21, 0)


def cash(shop, register=True):
    """The cash of the register (register=True) or of the store's cash desk, as the ledger sums it."""
    rows = MoneyMovement.objects.filter(store=shop.store)
    rows = rows.filter(cash_register=shop.register) if register else rows.filter(cash_register__isnull=True)
    return rows.aggregate(s=Sum("amount"))["s"] or D(0)


@pytest.fixture
def goods_and_card(shop):
    card = f.PaymentKindFactory(name="Карта", type=PaymentKind.Type.PAYMENT_CARD)
    f.PaymentMappingFactory(cash_register=shop.register, code="1", payment_kind=card)
    receipt(shop, CLOSED.replace(hour=8), 20, "100.00")


def a_day(shop, unknown_code=False):
    sold = check(1, [line("101", 3, "200.00", tax="none")], [pay(cash="600.00")])
    checks = [sold,
              check(2, [line("101", 1, "200.00", tax="none")], [pay(card="200.00", code="1")]),
              check(3, [line("101", 1, "200.00", tax="none")], [pay(cash="200.00")], op=2, ref_uuid=sold.uuid,
                    ref_type="Check")]
    if unknown_code:
        checks.append(check(4, [line("99999", 1, "10.00", tax="none")], [pay(cash="10.00")]))
    doc = shift(checks, movements=[
        CashMovementDoc(date=CLOSED.replace(hour=9), number="1", type="Income", amount=D("2000.00"), uuid=uuid.uuid4()),
        CashMovementDoc(date=CLOSED.replace(hour=18), number="2", type="Outcome", amount=D("500.00"),
                        uuid=uuid.uuid4())])
    doc.opened_at, doc.closed_at = CLOSED.replace(hour=9), CLOSED
    return doc


def test_a_day_of_cash_moves_to_the_store_desk_once_even_when_sent_again(shop):
    doc = a_day(shop)
    for _attempt in range(2):
        assert upload(shop.device, xml(doc)).success
        report = RetailSalesReport.objects.get()
        assert (report.cash_total, report.cash_returns_total) == (D("400.00"), D("200.00"))
        [withdrawal] = CashWithdrawal.objects.all()
        # What the shift left in the register: 600 − 200 sold and returned for cash, + 2 000 in, − 500 out.
        assert (withdrawal.amount, withdrawal.posted, withdrawal.sales_report) == (D("1900.00"), True, report)
        assert withdrawal.date == CLOSED + dt.timedelta(seconds=1) and withdrawal.number == "СЧ-000001"
        assert withdrawal.store == shop.store and withdrawal.cash_register == shop.register
        rows = sorted((m.kind, m.cash_register_id is not None, m.amount) for m in MoneyMovement.objects.all())
        assert rows == sorted([
            ("sale", True, D("600.00")), ("return", True, D("-200.00")),
            ("cash_in", True, D("2000.00")), ("cash_in", False, D("-2000.00")),
            ("cash_out", True, D("-500.00")), ("cash_out", False, D("500.00")),
            ("withdrawal", True, D("-1900.00")), ("withdrawal", False, D("1900.00"))])
        assert (cash(shop), cash(shop, register=False)) == (D(0), D("400.00"))


def test_the_withdrawal_is_editable_and_re_made_when_the_shift_comes_again(shop):
    doc = a_day(shop)
    upload(shop.device, xml(doc))
    withdrawal = CashWithdrawal.objects.get()
    withdrawal.amount = D("1500.00")  # a float of 400,00 stays in the drawer
    withdrawal.save()
    document_post(document=withdrawal)
    assert (cash(shop), cash(shop, register=False)) == (D("400.00"), D("0.00"))
    upload(shop.device, xml(doc))
    assert CashWithdrawal.objects.get().amount == D("1900.00") and cash(shop) == D(0)


def test_a_store_that_does_not_want_the_withdrawal_keeps_the_cash_in_the_register(shop):
    shop.store.cash_withdrawal_after_upload = False
    shop.store.save()
    upload(shop.device, xml(a_day(shop)))
    assert not CashWithdrawal.objects.exists()
    assert (cash(shop), cash(shop, register=False)) == (D("1900.00"), D("-1500.00"))


def test_a_report_unposted_on_a_re_send_takes_its_cash_and_its_withdrawal_back(shop):
    upload(shop.device, xml(a_day(shop)))
    assert cash(shop, register=False) == D("400.00")
    redone = a_day(shop, unknown_code=True)
    redone.uuid = RetailSalesReport.objects.get().shift_uuid
    upload(shop.device, xml(redone))
    report = RetailSalesReport.objects.get()
    assert not report.posted
    withdrawal = CashWithdrawal.objects.get()
    assert not withdrawal.posted and not MoneyMovement.objects.exists()
