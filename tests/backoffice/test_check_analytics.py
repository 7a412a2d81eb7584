"""Shift analytics from the kept checks (issue 24, items 4 and 6): in «Кассовые смены» and the «Чеки» report,
figures computed by hand for a small shift — checks and returns, average check, lines per check, sales by
hour of day (a chart with its legend), by store, register and day, revenue by cash, card, SBP and other —
an SBP payment kind reported apart, XLSX, and the store scope."""
import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import get_format
from offline_exchange.models import PaymentKind
from offline_exchange.services.sales import SUCCESS, post_docs
from retail.models import RetailSalesReport
from retail.services import reports
from tests import factories as f

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 3)


def line(code, quantity, price):
    quantity, price = D(quantity), D(price)
    return CheckLineDoc(line=0, code=code, quantity=quantity, price=price, amount=quantity * price, tax_rate="20",
                        payment_method=4)


def paid(cash="0", electronic="0", code=""):
    return PaymentDoc(cash=D(cash), electronic=D(electronic), prepayment=D(0), postpayment=D(0), barter=D(0),
                      option_code=code)


def at(hour, minute):
    return dt.datetime.combine(DAY, dt.time(hour, minute))


@pytest.fixture
def shop(sample_shop):
    """The samples' shop (card mapped to code 1) with an SBP kind (code 2) and a bank credit (code 3)."""
    sbp = f.PaymentKindFactory(name="СБП", type=PaymentKind.Type.PAYMENT_CARD, sbp=True)
    credit = f.PaymentKindFactory(name="Рассрочка", type=PaymentKind.Type.BANK_CREDIT)
    f.PaymentMappingFactory(cash_register=sample_shop.register, code="2", payment_kind=sbp)
    f.PaymentMappingFactory(cash_register=sample_shop.register, code="3", payment_kind=credit)
    sample_shop.sbp = sbp
    return sample_shop


def small_shift():
    """Four sales and a return, by hand:

    10:05 №1 water 2×50 + cigarettes 180 = 280, cash 100 + card 180       (2 lines)
    10:40 №2 water 1×50 = 50, SBP                                          (1 line)
    11:20 №3 water 50 + cigarettes 180 + water pack 1×300 = 530, credit    (3 lines)
    11:50 №4 return of №2: 50 back by SBP
    12:10 №5 water 2×50 = 100, SBP                                         (1 line)
    """
    two = uuid.uuid4()
    checks = [
        CheckDoc(line=0, date=at(10, 5), number="1", taxation_system=0, operation_type=1, uuid=uuid.uuid4(),
                 lines=[line("3", 2, "50.00"), line("4", 1, "180.00")],
                 payments=[paid(cash="100.00"), paid(electronic="180.00", code="1")]),
        CheckDoc(line=0, date=at(10, 40), number="2", taxation_system=0, operation_type=1, uuid=two,
                 lines=[line("3", 1, "50.00")], payments=[paid(electronic="50.00", code="2")]),
        CheckDoc(line=0, date=at(11, 20), number="3", taxation_system=0, operation_type=1, uuid=uuid.uuid4(),
                 lines=[line("3", 1, "50.00"), line("4", 1, "180.00"), line("3", 1, "300.00")],
                 payments=[paid(electronic="530.00", code="3")]),
        CheckDoc(line=0, date=at(11, 50), number="4", taxation_system=0, operation_type=2, uuid=uuid.uuid4(),
                 ref_uuid=two, ref_type="Check", lines=[line("3", 1, "50.00")],
                 payments=[paid(electronic="50.00", code="2")]),
        CheckDoc(line=0, date=at(12, 10), number="5", taxation_system=0, operation_type=1, uuid=uuid.uuid4(),
                 lines=[line("3", 2, "50.00")], payments=[paid(electronic="100.00", code="2")]),
    ]
    return SaleReportDoc(line=0, shift_number="8", opened_at=at(9, 0), closed_at=at(21, 0), shift_state=1,
                         uuid=uuid.uuid4(), checks=checks)


@pytest.fixture
def uploaded(shop):
    result = post_docs(device=shop.device, doc_type="SaleReports",
                       document=build_sale_reports([small_shift()], get_format(3001)))
    assert (result.success, result.description) == (True, SUCCESS)
    return shop


PERIOD = {"date_from": DAY, "date_to": DAY}


def test_the_shift_row_in_cash_shifts_is_what_the_hand_says(uploaded):
    report = RetailSalesReport.objects.get()
    [row] = reports.cash_shifts(**PERIOD).rows
    labels = [c.label for c in reports.cash_shifts(**PERIOD).columns]
    shown = dict(zip(labels, row))
    assert shown["Отчет"] == report.number
    # 4 sales (960), 1 return (50); average 960 / 4 = 240,00; 7 lines / 4 checks = 1,75.
    assert (shown["Чеков"], shown["Возвратов"], shown["Средний чек"], shown["Строк на чек"]) == (4, 1, D("240.00"),
                                                                                             D("1.75"))
    assert (shown["Продажи"], shown["Возвраты"]) == (D("960.00"), D("50.00"))
    # Cash 100; card 180; SBP 50 − 50 + 100 = 100; other: the credit, 530.
    assert (shown["Наличные"], shown["Платежные карты"], shown["СБП"], shown["Прочие"]) == (
        D("100.00"), D("180.00"), D("100.00"), D("530.00"))
    assert shown["Наличные"] + shown["Платежные карты"] + shown["СБП"] + shown["Прочие"] == report.total


def test_the_checks_report_by_hour_is_what_the_hand_says(uploaded):
    report = reports.checks_report(**PERIOD, grouping="hour")
    assert [c.label for c in report.columns] == [
        "Час дня", "Чеков", "Возвратов", "Средний чек", "Строк на чек", "Продажи", "Возвраты", "Наличные",
        "Платежные карты", "СБП", "Прочие"]
    assert report.rows == [
        ["10:00–10:59", 2, 0, D("165.00"), D("1.50"), D("330.00"), D("0"), D("100.00"), D("180.00"), D("50.00"),
         D("0")],
        ["11:00–11:59", 1, 1, D("530.00"), D("3.00"), D("530.00"), D("50.00"), D("0"), D("0"), D("-50.00"),
         D("530.00")],
        ["12:00–12:59", 1, 0, D("100.00"), D("1.00"), D("100.00"), D("0"), D("0"), D("0"), D("100.00"), D("0")],
    ]
    assert report.totals == ["Итого", 4, 1, D("240.00"), D("1.75"), D("960.00"), D("50.00"), D("100.00"),
                             D("180.00"), D("100.00"), D("530.00")]
    # The chart: a bar pair per hour of the day, a legend naming the colours.
    chart = report.chart
    assert chart.startswith("<svg") and 'class="legend"' in chart and ">Продажи<" in chart and ">Возвраты<" in chart
    assert chart.count('class="bar-sales"') == 24 and "10:00–10:59: продажи 330,00" in chart
    assert "11:00–11:59: возвраты 50,00" in chart and "<script" not in chart


@pytest.mark.parametrize("grouping,key", [("store", "Магазин на Плехановской"), ("cash_register", "Касса 1 (офлайн)"),
                                          ("day", DAY)])
def test_by_store_register_and_day_one_row_for_the_one_shift(uploaded, grouping, key):
    report = reports.checks_report(**PERIOD, grouping=grouping)
    assert report.rows == [[key] + report.totals[1:]]
    assert report.totals[1:] == [4, 1, D("240.00"), D("1.75"), D("960.00"), D("50.00"), D("100.00"), D("180.00"),
                                 D("100.00"), D("530.00")]


def test_an_electronic_kind_becomes_sbp_by_its_mark(uploaded):
    before = reports.checks_report(**PERIOD, grouping="day").totals
    PaymentKind.objects.filter(pk=uploaded.sbp.pk).update(sbp=False)  # the same kind, unmarked: a card again
    after = reports.checks_report(**PERIOD, grouping="day").totals
    assert (before[8], before[9]) == (D("180.00"), D("100.00")) and (after[8], after[9]) == (D("280.00"), D("0"))


def test_sbp_is_a_mark_of_a_card_kind_only():
    from django.core.exceptions import ValidationError

    kind = PaymentKind(name="СБП", type=PaymentKind.Type.BANK_CREDIT, sbp=True)
    with pytest.raises(ValidationError, match="«Платежная карта»"):
        kind.full_clean()
    PaymentKind(name="СБП", type=PaymentKind.Type.PAYMENT_CARD, sbp=True).full_clean()


def test_the_checks_page_xlsx_and_the_store_scope(uploaded, admin_client):
    url = reverse("report-checks")
    query = {"date_from": "03.02.2026", "date_to": "03.02.2026", "grouping": "hour", "store": "", "cash_register": ""}
    page = admin_client.get(url, query)
    html = page.content.decode()
    assert "<svg" in html and "Продажи" in html and "240,00" in html and "1,75" in html and "10:00–10:59" in html
    export = admin_client.get(url + "?" + page.context["xlsx_query"])
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet["A1"].value == "Чеки" and [c.value for c in sheet[3]][:3] == ["Час дня", "Чеков", "Возвратов"]
    assert [c.value for c in sheet[sheet.max_row]][:4] == ["Итого", 4, 1, 240]
    # A store manager of another store sees none of these checks, and cannot choose this store.
    stranger = f.staff_client("stranger", "view_check", "view_retailsalesreport", store=f.StoreFactory(name="Чужой"))
    foreign = stranger.get(url, query)
    assert foreign.context["report"].totals[1:3] == [0, 0] and "Магазин на Плехановской" not in foreign.content.decode()
    refused = stranger.get(url, {**query, "store": str(uploaded.store.pk)})
    assert refused.context["report"] is None and "Выберите корректный вариант" in refused.content.decode()
    shifts = stranger.get(reverse("report-cash-shifts"), {k: v for k, v in query.items() if k != "grouping"})
    assert shifts.context["report"].rows == []
    manager = f.staff_client("manager", "view_check", store=uploaded.store)
    assert manager.get(url, query).context["report"].totals[1] == 4
    assert f.staff_client("nobody").get(url).status_code == 403
