"""A month of a store run through the SOAP endpoint (the register's shifts, re-sends) and the admin forms
(receipts, one of them entered late, transfers, write-offs) gives the cost, the gross profit and the cash
that a ledger kept here, outside the project, computes from the same events. A return of another shift's
check is its own «Отчет о розничных возвратах» at the check's time (as УТ 11.5 books it): the ledger books
it apart from its shift, goods back at the sale's cost, its cash out of the register."""
import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CashMovementDoc, CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import FORMAT_3001
from retail.models import (
    GoodsReceipt,
    MoneyMovement,
    RetailReturnsReport,
    RetailSalesReport,
    StockBalance,
    StockMovement,
)
from retail.services.margin import gross_profit, money_statement
from tests import factories as f
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db
START = dt.datetime(2024, 6, 1)
SIX = D("0.000001")
CENT = D("0.01")
CODES = {"juice": "11", "bread": "12", "matches": "13"}
NAMES = {code: name for name, code in CODES.items()}


def cost6(value: D) -> D:
    return value.quantize(SIX, rounding=ROUND_HALF_UP)


def vat_in(amount: D, rate: str) -> D:
    if rate == "none":
        return D(0)
    r = D(rate)
    return (amount * r / (100 + r)).quantize(CENT, rounding=ROUND_HALF_UP)


class Ledger:
    """Moving average per (warehouse, item), written from scratch: positions, the out cost of each shift."""

    def __init__(self):
        self.qty = defaultdict(D)
        self.cost = defaultdict(D)
        self.shift_out = {}  # (shift, item) → (cost, quantity) taken out by the shift

    def come(self, key, quantity, cost):
        self.qty[key] += quantity
        self.cost[key] += cost

    def at_average(self, key, quantity) -> D:
        if quantity == self.qty[key]:
            return self.cost[key]
        return cost6(self.cost[key] * quantity / self.qty[key])

    def go(self, key, quantity) -> D:
        cost = self.at_average(key, quantity)
        self.come(key, -quantity, -cost)
        return cost


@pytest.fixture
def month(client, admin_client, sample_shop):
    s = sample_shop
    back = f.WarehouseFactory(store=s.store, name="Подсобка")
    goods = {"juice": f.ItemFactory(name="Сок", vat_rate="20"), "bread": f.ItemFactory(name="Хлеб", vat_rate="10"),
             "matches": f.ItemFactory(name="Спички", vat_rate="none")}
    for name, item in goods.items():
        f.SkuCodeFactory(number=int(CODES[name]), item=item)
    return s, back, goods


def admin_document(admin_client, model, when, lines, **header):
    """A store document written and posted through its admin form, as a store admin does."""
    data = {"date_0": f"{when:%d.%m.%Y}", "date_1": f"{when:%H:%M:%S}", "organization": header.pop("organization"),
            "comment": "", "barcode": "", "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000", "_post": "1", **header}
    for n, values in enumerate(lines):
        data.update({f"lines-{n}-line_number": str(n + 1), f"lines-{n}-characteristic": ""})
        data.update({f"lines-{n}-{name}": str(value).replace(".", ",") for name, value in values.items()})
    response = admin_client.post(reverse(f"admin:retail_{model}_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_a_month_gives_the_cost_profit_and_cash_of_an_independent_ledger(client, admin_client, month):
    s, back, goods = month
    hall = s.warehouse
    rng = random.Random(25)
    ledger = Ledger()
    events = []  # (moment, action) replayed in date order by the independent ledger
    org = s.org.pk

    def receipt(when, warehouse, lines):
        admin_document(admin_client, "goodsreceipt", when, [
            {"item": goods[name].pk, "quantity": q, "price": p, "amount": q * p, "vat_rate": goods[name].vat_rate}
            for name, q, p in lines], organization=org, warehouse=warehouse.pk, supplier_document="")
        for name, q, p in lines:
            rate = goods[name].vat_rate
            amount = q * p
            events.append((when, "in", (warehouse.pk, name), q, amount - vat_in(amount, rate)))

    def move(when, kind, warehouse, lines, **extra):
        admin_document(admin_client, kind, when, [{"item": goods[name].pk, "quantity": q} for name, q in lines],
                       organization=org, warehouse=warehouse.pk, **{k: v.pk if hasattr(v, "pk") else v
                                                                    for k, v in extra.items()})
        for name, q in lines:
            if kind == "stocktransfer":
                events.append((when, "transfer", (warehouse.pk, name), (extra["to_warehouse"].pk, name), q))
            else:
                events.append((when, "out", (warehouse.pk, name), q))

    receipt(START + dt.timedelta(hours=8), hall, [("juice", D(100), D("96.00")), ("bread", D(120), D("33.00")),
                                                   ("matches", D(200), D("4.50"))])
    receipt(START + dt.timedelta(hours=8, minutes=5), back, [("juice", D(40), D("90.00"))])

    prices = {"juice": D("150.00"), "bread": D("55.00"), "matches": D("9.00")}
    sale_checks = {}  # check uuid → (shift number, [(name, qty, amount)])
    shifts, cash_net = {}, D(0)
    returns_cash = {}  # return check uuid → cash paid back, for returns of other shifts' checks
    expected_revenue = D(0)
    for day in range(1, 29):
        when = START + dt.timedelta(days=day)
        if day % 7 == 3:
            move(when + dt.timedelta(hours=12), "stocktransfer", back, [("juice", D(5))], to_warehouse=hall)
        if day % 9 == 5:
            move(when + dt.timedelta(hours=19), "writeoff", hall, [("bread", D(2))], reason="Черствый")
        if day % 10 == 0:
            receipt(when + dt.timedelta(hours=8), hall, [("juice", D(20), D("99.00") + day),
                                                         ("bread", D(30), D("31.00"))])
        checks, shift_no = [], str(day)
        returned_from = None
        for n in range(1, 5):
            lines = [(name, D(rng.randint(1, 3))) for name in rng.sample(sorted(goods), rng.randint(1, 2))]
            docs = [CheckLineDoc(line=0, code=CODES[name], quantity=q, price=prices[name],
                                 amount=q * prices[name], tax_rate=goods[name].vat_rate, payment_method=4)
                    for name, q in lines]
            total = sum((d.amount for d in docs), D(0))
            card = n % 3 == 0
            check = CheckDoc(line=0, date=when + dt.timedelta(hours=9, minutes=n), number=str(n), taxation_system=0,
                             operation_type=1, uuid=uuid.uuid4(), lines=docs, payments=[PaymentDoc(
                                 cash=D(0) if card else total, electronic=total if card else D(0), prepayment=D(0),
                                 postpayment=D(0), barter=D(0), option_code="1" if card else "")])
            checks.append(check)
            sale_checks[check.uuid] = (shift_no, [(name, q, q * prices[name]) for name, q in lines], card)
        if day > 2 and day % 4 == 0:  # a customer brings back yesterday's first check, paid back in cash
            returned_from = shifts[str(day - 1)][0]
        elif day % 4 == 2:  # or today's second one
            returned_from = checks[1]
        if returned_from is not None:
            origin, lines, _card = sale_checks[returned_from.uuid]
            total = sum((amount for _n, _q, amount in lines), D(0))
            checks.append(CheckDoc(line=0, date=when + dt.timedelta(hours=17), number="9", taxation_system=0,
                                   operation_type=2, uuid=uuid.uuid4(), ref_uuid=returned_from.uuid, ref_type="Check",
                                   lines=list(returned_from.lines), payments=[PaymentDoc(
                                       cash=total, electronic=D(0), prepayment=D(0), postpayment=D(0),
                                       barter=D(0))]))
        closed = when + dt.timedelta(hours=21)
        doc = SaleReportDoc(line=0, shift_number=shift_no, opened_at=when + dt.timedelta(hours=9), closed_at=closed,
                            shift_state=1, uuid=uuid.uuid4(), checks=checks, cash_movements=[
                                CashMovementDoc(date=when + dt.timedelta(hours=9), number="1", type="Income",
                                                amount=D("1000.00"), uuid=uuid.uuid4()),
                                CashMovementDoc(date=when + dt.timedelta(hours=15), number="2", type="Outcome",
                                                amount=D("300.00"), uuid=uuid.uuid4())])
        shifts[shift_no] = checks
        answer = call(client, "PostDocs", [("DeviceID", s.device.device_id), ("DocType", "SaleReports"),
                                           ("Document", build_sale_reports([doc], FORMAT_3001).decode())])
        assert "Данные успешно загружены" in answer.body.decode()
        if day in (15, 16):  # the register sends the shift again (the 16th holds a return of the 15th's check)
            call(client, "PostDocs", [("DeviceID", s.device.device_id), ("DocType", "SaleReports"),
                                      ("Document", build_sale_reports([doc], FORMAT_3001).decode())])
        # What the independent ledger knows of the shift.
        source = sale_checks[returned_from.uuid][0] if returned_from is not None else None
        sold, back_lines, revenue = defaultdict(D), [], defaultdict(D)
        for check in checks:
            sign = -1 if check.operation_type == 2 else 1
            cash_net += sign * sum((p.cash for p in check.payments), D(0))
            if sign < 0 and source != shift_no:
                # Another shift's check: its own document at the check's time, its revenue without VAT a line.
                lines = [(NAMES[line.code], line.quantity) for line in check.lines]
                for line in check.lines:
                    amount = line.amount - vat_in(line.amount, goods[NAMES[line.code]].vat_rate)
                    expected_revenue -= amount
                events.append((check.date, "return", check.uuid, lines, source))
                returns_cash[check.uuid] = sum((p.cash for p in check.payments), D(0))
                continue
            for line in check.lines:
                name = NAMES[line.code]
                revenue[(name, line.price)] += sign * line.amount
                if sign > 0:
                    sold[name] += line.quantity
                else:
                    back_lines.append((name, line.quantity))
        for (name, _price), amount in revenue.items():
            expected_revenue += amount - vat_in(amount, goods[name].vat_rate)
        # The shift's own returns (of its own checks) come back at the average, after its sales went out.
        events.append((closed, "shift", shift_no, dict(sold), back_lines, None))

    # A receipt found in a drawer at the end of the month, dated the 10th: it re-costs everything after it.
    receipt(START + dt.timedelta(days=10, hours=7), hall, [("juice", D(30), D("120.00")), ("matches", D(50), D("6.00"))])

    def came_back(name, quantity, source):
        # At what the sale's shift took the goods out at; a return of no known sale at the average.
        if source is not None:
            out_cost, out_quantity = ledger.shift_out[(source, name)]
            came = cost6(out_cost * quantity / out_quantity)
        else:
            came = ledger.at_average((hall.pk, name), quantity)
        ledger.come((hall.pk, name), quantity, came)
        return came

    # The independent ledger, in date order.
    report_costs, return_costs = {}, {}
    for event in sorted(events, key=lambda e: e[0]):
        kind = event[1]
        if kind == "in":
            ledger.come(event[2], event[3], event[4])
        elif kind == "out":
            ledger.go(event[2], event[3])
        elif kind == "transfer":
            ledger.come(event[3], event[4], ledger.go(event[2], event[4]))
        elif kind == "return":
            _when, _kind, check_uuid, lines, source = event
            return_costs[check_uuid] = sum((came_back(name, quantity, source) for name, quantity in lines), D(0))
        else:
            _when, _kind, shift_no, sold, back_lines, source = event
            cost = D(0)
            for name, quantity in sorted(sold.items()):
                taken = ledger.go((hall.pk, name), quantity)
                ledger.shift_out[(shift_no, name)] = (taken, quantity)
                cost += taken
            for name, quantity in back_lines:
                cost -= came_back(name, quantity, source)
            report_costs[shift_no] = cost

    report_type = ContentType.objects.get_for_model(RetailSalesReport)
    assert RetailSalesReport.objects.filter(posted=True).count() == 28
    for report in RetailSalesReport.objects.all():
        moved = sum((m.cost for m in StockMovement.objects.filter(document_type=report_type, document_id=report.pk)),
                    D(0))
        assert -moved == report_costs[report.shift_number], report.shift_number
    # Each return of another shift's check: one posted document (re-sends never double it), linked to its shift
    # and its sale's report, its goods back at the ledger's cost, its cash out of the register.
    returns_type = ContentType.objects.get_for_model(RetailReturnsReport)
    assert len(return_costs) == 7
    assert RetailReturnsReport.objects.count() == len(return_costs)
    for document in RetailReturnsReport.objects.select_related("shift_report", "sale_report"):
        assert document.posted, document.not_posted_reasons
        sale_shift = sale_checks[document.sale_check_uuid][0]
        assert (document.sale_report.shift_number, document.shift_report.shift_number) == (
            sale_shift, str(int(sale_shift) + 1))
        moved = StockMovement.objects.filter(document_type=returns_type, document_id=document.pk)
        assert sum((m.cost for m in moved), D(0)) == return_costs[document.check_uuid], document.check_uuid
        assert list(MoneyMovement.objects.filter(document_type=returns_type, document_id=document.pk)
                    .values_list("kind", "cash_register", "amount")) == [
            (MoneyMovement.Kind.RETURN, s.register.pk, -returns_cash[document.check_uuid])]
    for (warehouse_id, name), quantity in ledger.qty.items():
        row = StockBalance.objects.get(warehouse_id=warehouse_id, item=goods[name], characteristic=None)
        assert (row.quantity, row.cost) == (quantity, ledger.cost[(warehouse_id, name)]), name
    profit = gross_profit(date_from=START.date(), date_to=dt.date(2024, 6, 30), by="store", period="total")
    expected_cost = sum((to_cost for to_cost in report_costs.values()), D(0)) - sum(return_costs.values(), D(0))
    expected_cost = expected_cost.quantize(CENT, rounding=ROUND_HALF_UP)
    assert profit.totals[1:4] == [expected_revenue, expected_cost, expected_revenue - expected_cost]
    cash = money_statement(at=dt.date(2024, 6, 30), date_from=START.date(), date_to=dt.date(2024, 6, 30))
    assert cash.balances.rows == [[s.store.name, "Касса магазина", cash_net], [s.store.name, s.register.name, D(0)]]
    assert MoneyMovement.objects.filter(kind=MoneyMovement.Kind.WITHDRAWAL).count() == 2 * 28
    assert GoodsReceipt.objects.filter(posted=True).count() == 5
    # The month had what the issue lists: returns at their sale's cost (each a line of a returns document: the
    # shifts' reports hold only their own checks' returns, at the average), transfers at the cost that left.
    assert not StockMovement.objects.filter(cost_kind="source", document_type=report_type).exists()
    assert StockMovement.objects.filter(cost_kind="source", document_type=returns_type).count() == sum(
        len(lines) for _when, kind, *rest in events if kind == "return" for lines in [rest[1]])
    assert StockMovement.objects.filter(cost_kind="source").exclude(
        document_type__in=[report_type, returns_type]).count() == 4
