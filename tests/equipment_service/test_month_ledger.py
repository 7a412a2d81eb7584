"""Issue 23, «Done when»: a month of two stores and three registers run through the SOAP endpoint (each register
downloads its price list and orders, sells at the prices it got and uploads its shifts — late, twice, under
another UUID, without one) and the admin forms (receipts, dated price settings, a transfer, a write-off, counts,
customer orders, a person closing an order) leaves every balance, count, report, return row and order as a
ledger kept here, outside the project, says it must be. A return of another shift's check is booked as 1C
2026 books it: its own «Отчет о розничных возвратах» at the check's time, linked to its shift and its sale.

The ledger knows only the events: it replays the goods' movements in date order (a count sets the shelf to what
was counted), the prices in force by the day each price setting was entered, the orders due to each register
until the register's sale of them is uploaded. It calls no project code."""
import dataclasses
import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import Decimal as D

import lxml.html
import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from lxml import etree

from backoffice.demo import SYNC_GROUP
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import FORMAT_3001
from offline_exchange.models import OrderDue, PaymentKind
from offline_exchange.services import price_list
from retail.models import (
    CustomerOrder,
    RetailReturnsReport,
    RetailSalesReport,
    StockBalance,
    StockCount,
    StockMovement,
)
from retail.services.orders import order_state
from tests import factories as f
from tests.conftest import FMT_NS
from tests.equipment_service.soap import call
from tests.equipment_service.test_cost_month import admin_document
from tests.retail.test_orders_follow_sales import staff

pytestmark = pytest.mark.django_db
START = dt.datetime(2024, 6, 1)
DAYS = 30
CODES = {"juice": 11, "bread": 12, "matches": 13, "tea": 14}
VAT = {"juice": "20", "bread": "10", "matches": "none", "tea": "20"}
NAMES = {code: name for name, code in CODES.items()}
N = f"{{{FMT_NS}}}"
ZERO = D("0.00")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return START + dt.timedelta(days=day - 1, hours=hour, minutes=minute)


class Ledger:
    """The month as the shop's own book: movements by moment, counts, prices by entry, reports, orders."""

    def __init__(self):
        self.moves = []  # (moment, seq, warehouse, name, signed quantity)
        self.counts = []  # (moment, seq, warehouse, {name: counted}, label)
        self.prices = []  # (entered seq, store, date, {name: price})
        self.reports = {}  # (device_id, shift number) → what its report must hold
        self.returns = {}  # (device_id, return check uuid) → what its «Отчет о розничных возвратах» must hold
        self.orders = {}  # label → {"register", "sold", "closed"}
        self._seq = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def move(self, moment, warehouse, name, quantity):
        self.moves.append((moment, self._next(), warehouse, name, D(quantity)))

    def count(self, moment, warehouse, counted, label):
        self.counts.append((moment, self._next(), warehouse, dict(counted), label))

    def replay(self, until=None):
        """Balances at `until` (all if None) and each count's book quantity at its moment."""
        events = [(m, s, "move", rest) for m, s, *rest in self.moves]
        events += [(m, s, "count", rest) for m, s, *rest in self.counts]
        balance, books = defaultdict(D), {}
        for moment, _seq, kind, rest in sorted(events, key=lambda e: (e[0], e[1])):
            if until is not None and moment >= until:
                break
            if kind == "move":
                warehouse, name, quantity = rest
                balance[(warehouse, name)] += quantity
            else:
                warehouse, counted, label = rest
                books[label] = {name: balance[(warehouse, name)] for name in counted}
                for name, quantity in counted.items():
                    balance[(warehouse, name)] = quantity
        return balance, books

    def price_setting(self, store, date, prices):
        self.prices.append((self._next(), store, date, dict(prices)))

    def price(self, store, day: dt.date, name):
        """The price a register of the store must have on `day`: the latest in force among those entered."""
        found = None
        for _seq, s, date, prices in sorted(self.prices, key=lambda p: (p[2], p[0])):
            if s == store and date <= day and name in prices:
                found = prices[name]
        return found

    def due(self, register) -> set:
        return {o["uuid"] for o in self.orders.values()
                if o["register"] == register and not o["sold"] and not o["closed"]}


class Register:
    """1С:Мобильная касса as the exchange sees it: price list, orders (deduplicated by UUID), uploads."""

    def __init__(self, client, name, device_id, store, warehouse, minute):
        self.client, self.name, self.device_id = client, name, device_id
        self.store, self.warehouse, self.minute = store, warehouse, minute
        self.prices, self.orders, self.answers = {}, {}, []
        self.shift_no, self.checks, self.model = 0, [], None

    def _call(self, op, **params):
        answer = call(self.client, op, [("DeviceID", self.device_id), *params.items()])
        assert answer.status == 200 and answer.fault is None, (op, answer.body[:500])
        return answer.result(op)

    def sync(self, *, lose_orders_answer=False) -> set:
        transfer = self._call("PreparePriceList")
        for _poll in range(50):
            text = self._call("GetPriceListPackage", TransferID=transfer, Restart="false")
            package = etree.fromstring(text.encode())
            if package.findtext(N + "IsFormed") != "true":
                continue
            for good in package.iter(N + "Good"):
                if good.get("Price"):
                    self.prices[int(good.get("Code"))] = D(good.get("Price"))
            if package.get("PackageNumber") == package.get("PackageTotal"):
                break
        else:
            raise AssertionError(f"{self.name}: price list not formed")
        text = self._call("GetDocs", DocType="Order")
        carried = {}
        if text.strip():
            for order in etree.fromstring(text.encode()).iter(N + "Order"):
                carried[uuid.UUID(order.get("UUID"))] = order
        self.answers.append(set(carried))
        if not lose_orders_answer:  # a lost answer never reaches the register
            self.orders.update(carried)
        return set(carried)

    def upload(self, *shifts: SaleReportDoc) -> str:
        text = self._call("PostDocs", DocType="SaleReports",
                          Document=build_sale_reports(list(shifts), FORMAT_3001).decode())
        answer = etree.fromstring(text.encode())
        assert answer.findtext(f".//{N}IsSuccess") == "true", text[:2000]
        return answer.findtext(f".//{N}Description")


def admin_form(client, url: str, values: dict, inlines: dict[str, int]) -> dict:
    """The form an admin page renders, as a browser would send it, with the given fields changed and each
    inline group cut to the rows filled."""
    page = lxml.html.fromstring(client.get(url).content)
    form = next(form for form in page.forms if form.get("id", "").endswith("_form"))
    data = dict(form.form_values())
    for prefix, used in inlines.items():
        for key in [k for k in data if k.startswith(prefix + "-") and k.split("-")[1].isdigit()]:
            if int(key.split("-")[1]) >= used:
                del data[key]
        data[f"{prefix}-TOTAL_FORMS"] = str(used)
    data.update({key: str(value) for key, value in values.items()})
    return data


@pytest.fixture
def month(client, admin_client, monkeypatch):
    org = f.OrganizationFactory(name="ООО «Месяц»", number_prefix="МС")
    stores, warehouses, registers = {}, {}, {}
    card = f.PaymentKindFactory(name="Оплата картой", type=PaymentKind.Type.PAYMENT_CARD)
    sync = f.UserFactory(username="sync")
    sync.set_password("sync")
    sync.save()
    group, _ = Group.objects.get_or_create(name=SYNC_GROUP)
    group.permissions.add(Permission.objects.get(codename="sync_data"))
    sync.groups.add(group)
    for key, name in (("A", "Магазин на Ленина"), ("B", "Магазин на Садовой")):
        stores[key] = f.StoreFactory(name=name, retail_price_type=f.PriceTypeFactory(name=f"Розничная {key}"))
        warehouses[key] = f.WarehouseFactory(store=stores[key], name=f"Торговый зал {key}")
    for minute, (name, store) in enumerate((("A1", "A"), ("A2", "A"), ("B1", "B")), start=1):
        device = f.OfflineDeviceFactory(name=f"Мобильная касса {name}", organization=org, device_id=f"MONTH-{name}",
                                        rule=f.ExchangeRuleFactory(warehouse=warehouses[store]))
        device.users.add(sync)
        register = f.CashRegisterFactory(name=f"Касса {name}", organization=org, store=stores[store], device=device)
        f.PaymentMappingFactory(cash_register=register, code="1", payment_kind=card)
        registers[name] = Register(client, name, device.device_id, store, warehouses[store].pk, minute * 5)
        registers[name].model = register
    goods = {}
    for name, title in (("juice", "Сок"), ("bread", "Хлеб"), ("matches", "Спички"), ("tea", "Чай")):
        goods[name] = f.ItemFactory(name=title, vat_rate=VAT[name])
        f.SkuCodeFactory(number=CODES[name], item=goods[name])
    today = {"day": START.date()}
    monkeypatch.setattr(price_list, "price_day", lambda: today["day"])
    return org, stores, warehouses, registers, goods, today


def money(value: D) -> str:
    return f"{value:.2f}".replace(".", ",")


def test_a_month_of_three_registers_equals_the_ledger_kept_outside(client, admin_client, month):
    org, stores, warehouses, registers, goods, today = month
    rng = random.Random(23)
    ledger = Ledger()
    count_docs = {}

    # --- the admin forms, each also told to the ledger ---------------------------------------------------
    def receipt(when, key, lines, *, book=True):
        admin_document(admin_client, "goodsreceipt", when, [
            {"item": goods[n].pk, "quantity": q, "price": p, "amount": q * p, "vat_rate": VAT[n]} for n, q, p in lines],
            organization=org.pk, warehouse=warehouses[key].pk, supplier_document="")
        for name, quantity, _price in lines if book else ():
            ledger.move(when, warehouses[key].pk, name, quantity)

    def price_setting(when, key, prices):
        admin_document(admin_client, "pricesetting", when, [{"item": goods[n].pk, "price": p} for n, p in prices.items()],
                       organization=org.pk, price_type=stores[key].retail_price_type_id)
        ledger.price_setting(key, when.date(), prices)

    def transfer(when, source, target, lines):
        admin_document(admin_client, "stocktransfer", when, [{"item": goods[n].pk, "quantity": q} for n, q in lines],
                       organization=org.pk, warehouse=warehouses[source].pk, to_warehouse=warehouses[target].pk)
        for name, quantity in lines:
            ledger.move(when, warehouses[source].pk, name, -quantity)
            ledger.move(when, warehouses[target].pk, name, quantity)

    def write_off(when, key, lines):
        admin_document(admin_client, "writeoff", when, [{"item": goods[n].pk, "quantity": q} for n, q in lines],
                       organization=org.pk, warehouse=warehouses[key].pk, reason="Бой, порча")
        for name, quantity in lines:
            ledger.move(when, warehouses[key].pk, name, -quantity)

    def count(when, key, shrink, label):
        """The shelf is what the ledger holds at the count's moment (whatever has reached the office), less what
        went missing."""
        shelf, _books = ledger.replay(until=when)
        counted = {n: shelf[(warehouses[key].pk, n)] + d for n, d in shrink.items()}
        admin_document(admin_client, "stockcount", when,
                       [{"item": goods[n].pk, "counted_quantity": q} for n, q in counted.items()],
                       organization=org.pk, warehouse=warehouses[key].pk)
        ledger.count(when, warehouses[key].pk, counted, label)
        count_docs[label] = StockCount.objects.latest("pk")

    def order_create(when, label, name, lines, prepaid):
        register = registers[name]
        url = reverse("admin:retail_customerorder_add")
        values = {"date_0": f"{when:%d.%m.%Y}", "date_1": f"{when:%H:%M:%S}", "status": CustomerOrder.Status.AGREED,
                  "organization": org.pk, "store": stores[register.store].pk, "warehouse": register.warehouse,
                  "courier_cash_register": register.model.pk, "phone": "+7 900 123-45-67",
                  "payments-0-date_0": f"{when:%d.%m.%Y}", "payments-0-date_1": f"{when:%H:%M:%S}",
                  "payments-0-kind": "cash", "payments-0-amount": money(prepaid)}
        for n, (item, quantity, price) in enumerate(lines):
            values.update({f"lines-{n}-item": goods[item].pk, f"lines-{n}-quantity": str(quantity),
                           f"lines-{n}-price": money(price), f"lines-{n}-vat_rate": VAT[item]})
        response = admin_client.post(url, admin_form(admin_client, url, values, {"lines": len(lines), "payments": 1}))
        assert response.status_code == 302, response.content.decode()[:3000]
        order = CustomerOrder.objects.latest("pk")
        ledger.orders[label] = {"uuid": order.uuid, "register": name, "sold": False, "closed": False, "pk": order.pk}

    # --- the registers -----------------------------------------------------------------------------------
    sold_in = {}  # check uuid → (device_id, shift number) of the shift that sold it

    def shift(register, day, *, order=None, returned=None, extra=0):
        """The day's shift as the register closes it, and what the ledger knows of it."""
        register.shift_no += 1
        on = at(day, 0).date()
        expected_prices = {name: ledger.price(register.store, on, name) for name in CODES}
        assert {name: register.prices.get(code) for name, code in CODES.items()} == expected_prices, (
            register.name, day)
        book = {"total": ZERO, "returns": ZERO, "cash": ZERO, "cash_back": ZERO, "prepaid": ZERO,
                "sold": defaultdict(D), "returned": defaultdict(D), "orders": set()}
        checks = []

        def sale(number, when, lines, cash, card, prepaid=ZERO, **ref):
            docs = [CheckLineDoc(line=0, code=str(CODES[n]), quantity=q, price=p, amount=q * p, tax_rate=VAT[n],
                                 payment_method=4) for n, q, p in lines]
            checks.append(CheckDoc(line=0, date=when, number=str(number), taxation_system=0, operation_type=1,
                                   uuid=uuid.uuid4(), lines=docs, payments=[PaymentDoc(
                                       cash=cash, electronic=card, prepayment=prepaid, postpayment=ZERO, barter=ZERO,
                                       option_code="1" if card else "")], **ref))
            sold_in[checks[-1].uuid] = (register.device_id, str(register.shift_no))
            book["total"] += sum((q * p for _n, q, p in lines), ZERO)
            book["cash"] += cash
            book["prepaid"] += prepaid
            for name, quantity, _price in lines:
                book["sold"][name] += quantity
            return checks[-1]

        for n in range(1, rng.randint(3, 5) + extra + 1):
            lines = [(name, D(rng.randint(1, 3)), register.prices[CODES[name]])
                     for name in rng.sample(sorted(CODES), rng.randint(1, 2))]
            total = sum((q * p for _n, q, p in lines), ZERO)
            card = n % 3 == 0
            register.checks.append(sale(n, at(day, 9, register.minute + n), lines, ZERO if card else total,
                                        total if card else ZERO))
        if order is not None:  # the courier sells the order as the register received it
            mine = register.orders[ledger.orders[order]["uuid"]]
            lines = [(NAMES[int(g.get("Code"))], D(g.get("Quantity")), D(g.get("Price")))
                     for g in mine.iter(N + "Good")]
            prepaid = sum((D(p.get("Cash")) + D(p.get("ElectronicPayment"))
                           for p in mine.iter(N + "Payment")), ZERO)
            total = sum((q * p for _n, q, p in lines), ZERO)
            sale(90, at(day, 16, register.minute), lines, total - prepaid, ZERO, prepaid,
                 ref_uuid=ledger.orders[order]["uuid"], ref_type="Order")
            book["orders"].add(order)
        if returned is not None:  # a customer brings a check back; paid back as it was paid
            origin = register.checks.pop(returned)
            total = sum((line.amount for line in origin.lines), ZERO)
            payment = origin.payments[0]
            back = CheckDoc(line=0, date=at(day, 17, register.minute), number="99", taxation_system=0,
                            operation_type=2, uuid=uuid.uuid4(), ref_uuid=origin.uuid, ref_type="Check",
                            lines=list(origin.lines), payments=[PaymentDoc(
                                cash=payment.cash, electronic=payment.electronic, prepayment=ZERO,
                                postpayment=ZERO, barter=ZERO, option_code=payment.option_code)])
            goods_back = defaultdict(D)
            for line in origin.lines:
                goods_back[NAMES[int(line.code)]] += line.quantity
            if any(check is origin for check in checks):  # a check of this shift: its report takes it back
                book["total"] -= total
                book["returns"] += total
                book["cash"] -= payment.cash
                book["cash_back"] += payment.cash
                for name, quantity in goods_back.items():
                    book["returned"][name] += quantity
            else:  # another shift's check: its own document, the goods back on the shelf at the check's time
                ledger.returns[(register.device_id, back.uuid)] = {
                    "date": back.date, "store": register.store, "register": register.model.pk,
                    "shift": (register.device_id, str(register.shift_no)), "sale": sold_in[origin.uuid],
                    "total": total, "cash": payment.cash, "card": payment.electronic, "returned": dict(goods_back)}
                for name, quantity in goods_back.items():
                    ledger.move(back.date, register.warehouse, name, quantity)
            checks.append(back)
        closed = at(day, 21, register.minute)
        for name, quantity in book["sold"].items():
            ledger.move(closed, register.warehouse, name, -quantity)
        for name, quantity in book["returned"].items():
            ledger.move(closed, register.warehouse, name, quantity)
        ledger.reports[(register.device_id, str(register.shift_no))] = book
        return SaleReportDoc(line=0, shift_number=str(register.shift_no), opened_at=at(day, 9, register.minute),
                             closed_at=closed, shift_state=1, uuid=uuid.uuid4(), checks=checks)

    def uploaded(register, *docs):
        register.upload(*docs)
        for doc in docs:
            for label in ledger.reports[(register.device_id, doc.shift_number)]["orders"]:
                ledger.orders[label]["sold"] = True  # the register has proven it has the order

    a1, a2, b1 = registers["A1"], registers["A2"], registers["B1"]
    manager = staff("manager_a", "view_customerorder", "change_customerorder", store=stores["A"])
    # The receipt found in a drawer on the 25th: the goods came on the 18th, so the shelf has had them since.
    late_receipt = [("juice", D(20), D("95.00")), ("tea", D(10), D("70.00"))]
    for name, quantity, _price in late_receipt:
        ledger.move(at(18, 10), warehouses["B"].pk, name, quantity)
    pending = {}
    for day in range(1, DAYS + 1):
        today["day"] = at(day, 0).date()
        # Morning: the office's documents.
        if day == 1:
            receipt(at(1, 8), "A", [("juice", D(300), D("96.00")), ("bread", D(300), D("33.00")),
                                    ("matches", D(300), D("4.50")), ("tea", D(200), D("70.00"))])
            receipt(at(1, 8, 5), "B", [(name, D(150), D("50.00")) for name in sorted(CODES)])
            price_setting(at(1, 7), "A", {"juice": D("150.00"), "bread": D("55.00"), "matches": D("9.00"),
                                          "tea": D("120.00")})
            price_setting(at(1, 7), "B", {"juice": D("155.00"), "bread": D("57.00"), "matches": D("10.00"),
                                          "tea": D("125.00")})
        if day == 4:
            order_create(at(4, 8, 30), "O1", "A1", [("juice", D(2), D("145.00")), ("tea", D(1), D("120.00"))],
                         D("100.00"))
        if day == 5:  # entered now, in force from the 10th
            price_setting(at(10, 7), "A", {"juice": D("160.00"), "tea": D("118.00")})
        if day == 9:  # a person closes the order its courier sold (1C's default: never by itself)
            response = manager.post(reverse("admin:retail_customerorder_changelist"),
                                    {"action": "close_orders", "_selected_action": [ledger.orders["O1"]["pk"]]})
            assert response.status_code == 302
            ledger.orders["O1"]["closed"] = True
        if day == 10:
            receipt(at(10, 8), "A", [("juice", D(50), D("99.00")), ("bread", D(60), D("31.00"))])
        if day == 11:
            transfer(at(11, 12), "A", "B", [("juice", D(10)), ("tea", D(5))])
        if day == 15:
            price_setting(at(15, 7), "B", {"bread": D("60.00")})
            order_create(at(15, 8, 30), "O2", "B1", [("bread", D(3), D("58.00"))], D("50.00"))
        if day == 17:
            write_off(at(17, 19), "B", [("bread", D(3))])
        if day == 22:  # entered late: in force since the 20th
            price_setting(at(20, 7), "A", {"matches": D("11.00")})
            b1.upload(pending.pop("B1-6"))  # the register sends an old shift once more
            a1.upload(pending.pop("A1-9"))  # and so does A1, a shift with a return of an earlier check
        if day == 25:
            receipt(at(18, 10), "B", late_receipt, book=False)
        if day == 26:
            order_create(at(26, 8, 30), "O3", "A2", [("tea", D(2), D("118.00"))], D("0.00"))

        # The registers at work: price list and orders, the shift, its upload.
        working = [a1] + ([a2] if day % 3 == 0 else []) + ([b1] if day % 2 == 0 else [])
        for register in working:
            due = ledger.due(register.name)
            carried = register.sync(lose_orders_answer=(register is a1 and day == 4))
            assert carried == due, (register.name, day)
        for register in working:
            kw = {}
            if register is a1 and day == 7:
                kw["order"] = "O1"
            if register is b1 and day == 16:
                kw["order"] = "O2"
            if register is a1 and day % 5 in (0, 4) and day > 1:
                kw["returned"] = -4 if len(register.checks) > 4 else 0  # a check of an earlier shift
            if register is b1 and day % 8 == 0 or register is a2 and day == 21:
                kw["returned"] = -1  # a check of today's shift
            if register is a1 and day == 8:
                kw["extra"] = 1
            doc = shift(register, day, **kw)
            if register is a1 and day == 12:  # no network tonight: the shift goes tomorrow, after the count
                pending["A1-12"] = doc
                continue
            if register is a1 and day == 13:
                uploaded(register, pending.pop("A1-12"), doc)
            elif register is a1 and day == 8:  # sent without its last check, then whole under a new UUID
                first = dataclasses.replace(doc, checks=doc.checks[:-1], uuid=uuid.uuid4())
                uploaded(register, first)
                uploaded(register, doc)
            elif register is a2 and day == 9:  # without a UUID, then with one
                uploaded(register, dataclasses.replace(doc, uuid=None))
                uploaded(register, doc)
            elif register is a1 and day == 9:  # a shift with a return of an earlier check, sent again under a new UUID
                uploaded(register, doc)
                uploaded(register, dataclasses.replace(doc, uuid=uuid.uuid4()))
                pending["A1-9"] = doc
            elif register is b1 and day == 6:  # the answer was lost: the same shift, the same UUID
                uploaded(register, doc)
                uploaded(register, doc)
                pending["B1-6"] = doc
            else:
                uploaded(register, doc)

        # Evening: counts.
        if day == 12:  # A1's shift closed at 21:05 is not here yet; the shelf has lost its goods
            count(at(12, 22), "A", {"juice": D(-1), "bread": D(0), "tea": D(0)}, "A-12")
        if day == 20:  # the receipt of the 18th is not entered yet; its goods are on the shelf
            count(at(20, 22), "B", {"juice": D(0), "tea": D(0), "bread": D(-1)}, "B-20")
        if day == 28:
            count(at(28, 22), "A", {"matches": D(-2), "tea": D(1)}, "A-28")
    assert not pending

    # --- the project against the ledger ------------------------------------------------------------------
    balance, books = ledger.replay()
    for (warehouse, name), quantity in balance.items():
        row = StockBalance.objects.get(warehouse_id=warehouse, item=goods[name], characteristic=None)
        assert row.quantity == quantity, (warehouse, name)
        moved = sum(StockMovement.objects.filter(warehouse_id=warehouse, item=goods[name])
                    .values_list("quantity", flat=True), D(0))
        assert moved == quantity, (warehouse, name)
    assert StockBalance.objects.exclude(quantity=0).count() == len([q for q in balance.values() if q])

    for label, document in count_docs.items():
        document.refresh_from_db()
        lines = {line.item_id: line for line in document.lines.all()}
        _moment, _seq, _warehouse, counted, _label = next(c for c in ledger.counts if c[4] == label)
        for name, quantity in counted.items():
            line = lines[goods[name].pk]
            assert (line.book_quantity, line.counted_quantity) == (books[label][name], quantity), (label, name)
        assert document.posted

    report_type = ContentType.objects.get_for_model(RetailSalesReport)
    assert RetailSalesReport.objects.count() == len(ledger.reports) == 30 + 10 + 15
    for (device_id, number), book in ledger.reports.items():
        [report] = RetailSalesReport.objects.filter(device__device_id=device_id, shift_number=number)
        assert report.posted, (device_id, number, report.not_posted_reasons)
        assert (report.total, report.returns_total, report.cash_total, report.cash_returns_total,
                report.prepayment_total) == (book["total"], book["returns"], book["cash"], book["cash_back"],
                                             book["prepaid"]), (device_id, number)
        rows = StockMovement.objects.filter(document_type=report_type, document_id=report.pk)
        out, back = defaultdict(D), defaultdict(D)
        for item_id, quantity in rows.values_list("item_id", "quantity"):
            (out if quantity < 0 else back)[item_id] += abs(quantity)
        assert out == {goods[n].pk: q for n, q in book["sold"].items()}, (device_id, number)
        assert back == {goods[n].pk: q for n, q in book["returned"].items()}, (device_id, number)
    # Returns of other shifts' checks: each its own posted document (none doubled by the re-sends), dated at the
    # check, of its register's store, linked to the report of its shift and to that of its sale, with its own
    # totals, and goods coming back as its own rows.
    returns_type = ContentType.objects.get_for_model(RetailReturnsReport)
    assert RetailReturnsReport.objects.count() == len(ledger.returns)
    for (device_id, check_uuid), book in ledger.returns.items():
        [document] = RetailReturnsReport.objects.filter(device__device_id=device_id, check_uuid=check_uuid)
        assert document.posted, (device_id, check_uuid, document.not_posted_reasons)
        assert (document.date, document.store, document.cash_register_id) == (
            book["date"], stores[book["store"]], book["register"]), (device_id, check_uuid)
        assert ((document.shift_report.device.device_id, document.shift_report.shift_number),
                (document.sale_report.device.device_id, document.sale_report.shift_number)) == (
            book["shift"], book["sale"]), (device_id, check_uuid)
        assert (document.total, document.cash_total, document.electronic_total) == (
            book["total"], book["cash"], book["card"]), (device_id, check_uuid)
        back = defaultdict(D)
        for item_id, quantity in StockMovement.objects.filter(document_type=returns_type, document_id=document.pk
                                                              ).values_list("item_id", "quantity"):
            assert quantity > 0, (device_id, check_uuid)
            back[item_id] += quantity
        assert back == {goods[n].pk: q for n, q in book["returned"].items()}, (device_id, check_uuid)
    in_reports = sum(bool(book["returned"]) for book in ledger.reports.values())
    assert in_reports >= 3 and len(ledger.returns) >= 5 and in_reports + len(ledger.returns) >= 10
    # A1's shift of the 9th, sent three times, holds one of them.
    assert any(book["shift"] == (a1.device_id, "9") for book in ledger.returns.values())

    states = {"O1": "Закрыт", "O2": "Готов к закрытию", "O3": "Ожидается продажа"}
    for label, expected in states.items():
        order = CustomerOrder.objects.get(uuid=ledger.orders[label]["uuid"])
        assert order_state(order=order) == expected, label
    delivered = {name: set(register.orders) for name, register in registers.items()}
    assert delivered == {name: {o["uuid"] for o in ledger.orders.values() if o["register"] == name}
                         for name in registers}
    # The lost answer was carried again, twice before the sale proved it received, never after.
    assert [ledger.orders["O1"]["uuid"] in answer for answer in a1.answers[3:9]] == [True] * 4 + [False] * 2
    assert set(OrderDue.objects.values_list("order__uuid", flat=True)) == ledger.due("A2") == {
        ledger.orders["O3"]["uuid"]}
