"""Every check kept (issue 24, item 3): a shift's checks stored as their own records with lines, payments,
marking codes and what they refer to; found by marking code; replaced when the shift is re-sent; purged
after their retention; shown read-only in the admin, in the user's stores only."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import get_format
from offline_exchange.models import ExchangeJournalEntry
from offline_exchange.services.journal import journal_purge
from offline_exchange.services.sales import SUCCESS, post_docs, sales_reports_reload
from retail.models import Check, CheckLine, CheckMarkingCode, CheckPayment, RetailSalesReport
from retail.services.check_reports import checks_of_marking_code
from tests import factories as f
from tests.conftest import assert_valid_as

pytestmark = pytest.mark.django_db

SHIFT = uuid.UUID("5a1e0000-0000-4000-8000-000000000001")
ORDER = uuid.UUID("5a1e0000-0000-4000-8000-0000000000e1")
SOLD = uuid.UUID("5a1e0000-0000-4000-8000-0000000000c1")
# A tobacco code as the register sends it: GTIN, serial, the crypto tail (XML carries no group separator).
CODE = "0104600266011725215Abc123493dGVz"
CODE_2 = "0104600266011725215Xyz987693abcd"
# The same as a scanner types it into a browser: with the group separator before the tail.
SCANNED = "0104600266011725215Abc1234\x1d93dGVz"


def line(code, quantity, price, rate="20", stamps=()):
    quantity, price = D(quantity), D(price)
    return CheckLineDoc(line=0, code=code, quantity=quantity, price=price, amount=quantity * price, tax_rate=rate,
                        payment_method=4, excise_stamps=list(stamps))


def pay(cash="0", card="0", code=""):
    return PaymentDoc(cash=D(cash), electronic=D(card), prepayment=D(0), postpayment=D(0), barter=D(0),
                      option_code=code)


def the_shift(*, water_price="50.00"):
    """Three checks at 10:05, 11:20, 11:40: a sale for cash and card with a marked pack of cigarettes, a sale
    made from an order, and a return of the first check's cigarettes."""
    day = dt.datetime(2026, 2, 3)
    return SaleReportDoc(line=0, shift_number="41", opened_at=day.replace(hour=9), closed_at=day.replace(hour=21),
                         shift_state=1, uuid=SHIFT, checks=[
        CheckDoc(line=0, date=day.replace(hour=10, minute=5), number="1", taxation_system=0, operation_type=1,
                 uuid=SOLD, lines=[line("3", 2, water_price, "20/120"), line("4", 1, "180.00", stamps=[CODE])],
                 payments=[pay(cash=str(2 * D(water_price))), pay(card="180.00", code="1")]),
        CheckDoc(line=0, date=day.replace(hour=11, minute=20), number="2", taxation_system=0, operation_type=1,
                 uuid=uuid.uuid4(), ref_uuid=ORDER, ref_type="Order",
                 lines=[line("4", 1, "180.00", stamps=[CODE_2])], payments=[pay(cash="180.00")]),
        CheckDoc(line=0, date=day.replace(hour=11, minute=40), number="3", taxation_system=0, operation_type=2,
                 uuid=uuid.uuid4(), ref_uuid=SOLD, ref_type="Check",
                 lines=[line("4", 1, "180.00", stamps=[CODE])], payments=[pay(card="180.00", code="1")]),
    ])


@pytest.fixture
def sample_shop(sample_shop):
    """The samples' shop with the order the second check is made from."""
    from retail.models import CustomerOrder

    sample_shop.order = CustomerOrder.objects.create(
        number="З-7", uuid=ORDER, date=dt.datetime(2026, 2, 2, 9), status=CustomerOrder.Status.AGREED,
        courier_cash_register=sample_shop.register, store=sample_shop.store, organization=sample_shop.org)
    return sample_shop


def upload(shop, shift, journal=None):
    document = build_sale_reports([shift], get_format(3001))
    assert_valid_as(3001, document)
    result = post_docs(device=shop.device, doc_type="SaleReports", document=document, journal_entry=journal)
    assert result.success, result.description
    return result


def test_a_shifts_checks_are_kept_as_they_were_sent(sample_shop):
    result = upload(sample_shop, the_shift())
    assert result.description == SUCCESS and result.reports[0].posted
    report = RetailSalesReport.objects.get()
    checks = list(Check.objects.filter(report=report).order_by("date"))
    assert [(c.number, c.operation, c.date.hour, c.date.minute, c.total, c.line_count, c.cash, c.electronic)
            for c in checks] == [
        ("1", 1, 10, 5, D("280.00"), 2, D("100.00"), D("180.00")),
        ("2", 1, 11, 20, D("180.00"), 1, D("180.00"), D("0.00")),
        ("3", 2, 11, 40, D("180.00"), 1, D("0.00"), D("180.00"))]
    sale, ordered, returned = checks
    assert (sale.uuid, returned.ref_uuid, returned.ref_type) == (SOLD, SOLD, "Check")
    assert (ordered.ref_type, ordered.ref_uuid, ordered.order) == ("Order", ORDER, sample_shop.order)
    rows = [(ln.line_number, ln.code, ln.item, ln.pack, ln.quantity, ln.price, ln.amount, ln.vat_rate)
            for ln in CheckLine.objects.filter(check_doc=sale).order_by("line_number")]
    assert rows == [(1, "3", sample_shop.water, None, D("2.000"), D("50.00"), D("100.00"), "20/120"),
                    (2, "4", sample_shop.cigarettes, None, D("1.000"), D("180.00"), D("180.00"), "20")]
    [card] = CheckPayment.objects.filter(check_doc=sale)
    assert (card.payment_kind, card.option_code, card.amount) == (sample_shop.card, "1", D("180.00"))
    assert list(CheckMarkingCode.objects.filter(check_doc=sale).values_list("line_number", "code")) == [(2, CODE)]
    # Returns of the shift's own checks stay in its report, as before.
    assert report.returns_total == D("180.00") and not report.returns_reports.exists()


def test_a_marking_code_leads_to_its_checks_shift_report_and_store(sample_shop):
    upload(sample_shop, the_shift())
    found = list(checks_of_marking_code(code=CODE).order_by("date"))
    assert [(c.number, c.operation) for c in found] == [("1", 1), ("3", 2)]  # sold, then returned
    assert found[0].report.shift_number == "41" and found[0].report.store == sample_shop.store
    # As Честный знак shows it: GTIN and serial, without the separator and the crypto tail.
    assert [c.number for c in checks_of_marking_code(code="0104600266011725215Xyz9876")] == ["2"]
    assert not checks_of_marking_code(code="0104600266011725215Nope").exists()


def test_a_re_sent_shift_replaces_its_checks(sample_shop):
    upload(sample_shop, the_shift())
    first = set(Check.objects.values_list("pk", flat=True))
    upload(sample_shop, the_shift(water_price="55.00"))  # the register corrected a price and sent the shift again
    assert RetailSalesReport.objects.count() == 1 and Check.objects.count() == 3
    assert not first & set(Check.objects.values_list("pk", flat=True))
    assert Check.objects.get(number="1").total == D("290.00")
    assert CheckLine.objects.count() == 4 and CheckMarkingCode.objects.count() == 3 and CheckPayment.objects.count() == 2
    # Reloading the stored upload from the journal gives the same checks again, once.
    entry = ExchangeJournalEntry.objects.create(operation="PostDocs", status="ok", device=sample_shop.device,
                                                doc_type="SaleReports",
                                                document=build_sale_reports([the_shift()], get_format(3001)))
    sales_reports_reload(entry=entry)
    assert Check.objects.count() == 3 and Check.objects.get(number="1").total == D("280.00")


def test_an_upload_that_fails_leaves_the_checks_as_they_were(sample_shop, monkeypatch):
    from offline_exchange.services import checks as storage

    upload(sample_shop, the_shift())
    kept = list(Check.objects.order_by("pk").values_list("pk", "total"))

    def broken(**kwargs):
        raise RuntimeError("диск переполнен")

    monkeypatch.setattr(storage, "_checks_insert", broken)
    with pytest.raises(RuntimeError):
        post_docs(device=sample_shop.device, doc_type="SaleReports",
                  document=build_sale_reports([the_shift(water_price="55.00")], get_format(3001)))
    assert list(Check.objects.order_by("pk").values_list("pk", "total")) == kept
    assert RetailSalesReport.objects.get().total == D("280.00")  # 280 + 180 − 180, nothing of the failed upload


def test_checks_older_than_their_retention_are_purged_with_the_journal(sample_shop, settings):
    upload(sample_shop, the_shift())
    settings.EXCHANGE_CHECKS_RETENTION_DAYS = 10_000
    assert journal_purge().checks == 0 and Check.objects.count() == 3
    Check.objects.filter(number="1").update(date=timezone.now().replace(tzinfo=None) - dt.timedelta(days=11))
    settings.EXCHANGE_CHECKS_RETENTION_DAYS = 10
    Check.objects.exclude(number="1").update(date=timezone.now().replace(tzinfo=None))
    assert journal_purge().checks == 1
    assert sorted(Check.objects.values_list("number", flat=True)) == ["2", "3"]
    assert CheckLine.objects.count() == 2 and CheckMarkingCode.objects.count() == 2 and CheckPayment.objects.count() == 1
    assert RetailSalesReport.objects.count() == 1  # the report stays


# --- the admin ------------------------------------------------------------------------------------


def changelist(browser, **query):
    response = browser.get(reverse("admin:retail_check_changelist"), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("term,numbers", [
    ("2", {"2"}), ("03.02.2026", {"1", "2", "3"}), ("280,00", {"1"}), ("280", {"1"}), ("Вода", {"1"}),
    ("0104600266011725215Abc1234", {"1", "3"}), (CODE, {"1", "3"}), (SCANNED, {"1", "3"}), ("Xyz9876", set()),
])
def test_the_checks_list_finds_by_number_date_amount_item_and_marking_code(sample_shop, admin_client, term, numbers):
    upload(sample_shop, the_shift())
    page = changelist(admin_client, q=term)
    shown = {c.number for c in Check.objects.all() if f'>{c.number}</a>' in page}
    assert shown == numbers


def test_a_check_page_shows_lines_payments_codes_and_leads_to_its_report(sample_shop, admin_client):
    upload(sample_shop, the_shift())
    returned = Check.objects.get(number="3")
    page = admin_client.get(reverse("admin:retail_check_change", args=[returned.pk])).content.decode()
    report = returned.report
    assert reverse("admin:retail_retailsalesreport_change", args=[report.pk]) in page
    assert "№ 41, открыта 03.02.2026 09:00:00" in page and sample_shop.store.name in page
    assert CODE in page and "Оплата картой" in page and "180,00" in page
    sale = Check.objects.get(number="1")
    assert reverse("admin:retail_check_change", args=[sale.pk]) in page  # the check it returns
    assert 'name="_save"' not in page  # read only
    # The report's page leads to its checks.
    report_page = admin_client.get(reverse("admin:retail_retailsalesreport_change", args=[report.pk])).content.decode()
    assert "Чеки смены: 3" in report_page
    assert f'{reverse("admin:retail_check_changelist")}?report__id__exact={report.pk}' in report_page
    assert len({c.number for c in Check.objects.all() if f'>{c.number}</a>' in changelist(
        admin_client, report__id__exact=report.pk)}) == 3


def test_checks_are_seen_only_by_those_who_may_in_their_stores(sample_shop, client):
    upload(sample_shop, the_shift())
    check = Check.objects.get(number="1")
    page_url = reverse("admin:retail_check_change", args=[check.pk])
    # Head-office staff bound to no store see every store's checks with «Все магазины», none without it.
    viewer = f.staff_client("viewer", "view_check", "view_all_stores")
    assert ">1</a>" not in changelist(f.staff_client("unbound", "view_check"))
    assert "Вода" not in changelist(viewer)  # the list shows checks, not lines
    assert f">{check.number}</a>" in changelist(viewer) and viewer.get(page_url).status_code == 200
    assert viewer.post(page_url, {}).status_code == 403
    manager = f.staff_client("manager", "view_check", store=sample_shop.store)
    assert manager.get(page_url).status_code == 200 and sample_shop.store.name in changelist(manager)
    stranger = f.staff_client("stranger", "view_check", store=f.StoreFactory(name="Чужой магазин"))
    page = changelist(stranger, q=CODE)
    assert ">1</a>" not in page and sample_shop.store.name not in page  # nor in the store filter
    assert stranger.get(page_url).status_code == 302  # the admin's «not found» for another store's check
    assert f.staff_client("nobody").get(reverse("admin:retail_check_changelist")).status_code == 403
    client.login(username="sync", password="sync")  # the sync login is no staff: no admin at all
    assert client.get(reverse("admin:retail_check_changelist")).status_code == 302
