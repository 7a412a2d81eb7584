"""Property-based: any valid shift imports to totals equal to the document's; no invalid one breaks the server."""
import itertools
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.services.sales import post_docs
from tests.equipment_service.soap import envelope, post
from tests.offline_exchange.test_sale_reports_format import mutations

GOODS = [("1", "10", True), ("3", "20", False), ("4", "20", False), ("2", "20", False), ("99999", "none", False)]
# Every example is a shift of its own: the examples share one database, where two shifts with one number and
# opening time but other UUIDs and closing times are a conflict, never booked (test_resend.py).
_OPENINGS = itertools.count()
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


@st.composite
def lines(draw):
    code, rate, weight = draw(st.sampled_from(GOODS))
    quantity = (Decimal(draw(st.integers(1, 5000))) / 1000) if weight else Decimal(draw(st.integers(1, 20)))
    price = Decimal(draw(st.integers(1, 500000))) / 100
    amount = (quantity * price).quantize(Decimal("0.01"))
    method = draw(st.sampled_from([4, 4, 4, 5, 6, 1]))
    return CheckLineDoc(line=0, code=code, quantity=quantity, price=price, amount=amount, tax_rate=rate,
                        payment_method=method)


@st.composite
def shifts(draw):
    checks = []
    moment = datetime(2024, 9, 1, 9)
    for n in range(draw(st.integers(0, 12))):
        moment += timedelta(minutes=draw(st.integers(1, 30)))
        goods = draw(st.lists(lines(), min_size=0, max_size=5))
        total = sum((g.amount for g in goods), Decimal(0))
        card = (total * Decimal(draw(st.integers(0, 100))) / 100).quantize(Decimal("0.01"))
        payments = [PaymentDoc(cash=total - card, electronic=card, prepayment=Decimal(0), postpayment=Decimal(0),
                               barter=Decimal(0), option_code=draw(st.sampled_from(["1", "2", ""])))]
        checks.append(CheckDoc(line=0, date=moment, number=str(n + 1), taxation_system=0,
                               operation_type=draw(st.sampled_from([1, 1, 1, 2, 3])), uuid=uuid.uuid4(),
                               lines=goods, payments=payments))
    opened_at = datetime(2024, 9, 1, 8) - timedelta(minutes=next(_OPENINGS))
    return SaleReportDoc(line=0, shift_number=str(draw(st.integers(1, 9999))), opened_at=opened_at,
                         closed_at=moment + timedelta(minutes=1), shift_state=1, uuid=uuid.uuid4(), checks=checks)


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(shift=shifts())
def test_report_totals_equal_the_documents(sample_shop, shift):
    result = post_docs(device=sample_shop.device, doc_type="SaleReports",
                       document=build_sale_reports([shift], FORMAT_3001))
    assert result.success
    [report] = result.reports
    total = returns = cash = card = Decimal(0)
    for check in shift.checks:
        if check.operation_type not in (1, 2):
            continue
        sign = -1 if check.operation_type == 2 else 1
        amount = sum((g.amount for g in check.lines if g.payment_method in (4, 5, 6)), Decimal(0))
        total += sign * amount
        returns += amount if sign < 0 else 0
        for p in check.payments:
            mapped = p.option_code == "1"  # code 1 is the card kind; others fall back to cash
            cash += sign * (p.cash + (0 if mapped else p.electronic))
            card += sign * (p.electronic if mapped else 0)
    goods = list(report.salesreportgoodsline_set.all())
    if goods:
        assert report.total == total
    assert sum((g.amount for g in goods), Decimal(0)) == total
    assert report.returns_total == returns and report.cash_total == cash
    assert sum((c.amount for c in report.salesreportcardpayment_set.all()), Decimal(0)) == card
    assert report.vat_total == sum((g.vat_amount for g in goods), Decimal(0))
    assert report.posted == ("99999" not in {g.code for c in shift.checks if c.operation_type in (1, 2)
                                             for g in c.lines if g.payment_method in (4, 5, 6)})


@settings(max_examples=120, deadline=None, suppress_health_check=HEALTH)
@given(document=st.one_of(mutations(), st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_no_document_breaks_the_server(client, sample_shop, document):
    # Only what an XML envelope can carry at all (a NUL cannot be sent inside SOAP).
    text = "".join(ch for ch in document.decode("utf-8", errors="replace")
                   if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd"))
    answer = post(client, "/rt/ws/EquipmentService",
                  envelope("PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "SaleReports"), ("Document", text)]),
                  op="PostDocs")
    assert answer.status == 200, answer.body[:500]
    result = answer.result("PostDocs")
    assert "<IsSuccess>" in result and "Traceback" not in result
