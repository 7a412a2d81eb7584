"""The upgrade to one numbering: the counters are seeded from the numbers already given (every kind, prefix and
year) and from the sales reports' old counters, which go; the next number of each kind follows them."""
import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from retail.models import RetailSalesReport, WriteOff
from retail.services.numbering import document_number_assign
from tests.migrating import migrate
from tests.offline_exchange.test_sales_import import upload, xml
from tests.retail.test_numbering import new_order
from tests.retail.test_posting import seed_shift

BEFORE = [("retail", "0050_words"), ("offline_exchange", "0060_words")]
AFTER = [("retail", "0060_document_counter"), ("offline_exchange", "0070_document_counter")]


@pytest.fixture
def back_to_the_latest():
    """Later tests share the database: it is left migrated to the end whatever happens here."""
    yield
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())


def _old_documents(apps, demo) -> None:
    org_id, warehouse_id, device_id = demo["organization"].pk, demo["warehouse"].pk, demo["device"].pk
    WriteOff = apps.get_model("retail", "WriteOff")
    for number, year, sequence in (("ТДРТ-000004", 2024, 4), ("ТДРТ-000002", 2024, 2), ("ТДРТ-000002", 2023, 2)):
        WriteOff.objects.create(number=number, number_year=year, number_seq=sequence, date=dt.datetime(year, 5, 1),
                                organization_id=org_id, warehouse_id=warehouse_id, reason="Брак")
    WriteOff.objects.create(date=dt.datetime(2024, 5, 2), organization_id=org_id, warehouse_id=warehouse_id,
                            reason="Не записан до конца")  # no number yet: counts nowhere
    Order = apps.get_model("retail", "CustomerOrder")
    for number, sequence in (("ТДРТ-000007", 7), ("Сайт-55", None)):
        Order.objects.create(number=number, number_year=2024, number_seq=sequence, date=dt.datetime(2024, 5, 1),
                             organization_id=org_id, store_id=demo["store"].pk)
    Report = apps.get_model("retail", "RetailSalesReport")
    for n, (number, sequence) in enumerate((("ТДРТ-000003", 3), ("00-000002", 2), ("~0a1b2c", 0)), 1):
        Report.objects.create(number=number, number_year=2024, number_seq=sequence, date=dt.datetime(2024, 5, n),
                              device_id=device_id, shift_number=f"старая {n}", shift_opened_at=dt.datetime(2024, 5, n))
    # The old counter is ahead of the reports: number 6 was given to a report deleted since, never to be reused.
    apps.get_model("offline_exchange", "ReportNumberCounter").objects.create(prefix="ТДРТ", year=2024, last=6)


@pytest.mark.django_db(transaction=True)
def test_counters_follow_the_numbers_given_and_the_old_counters(demo, back_to_the_latest):
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    _old_documents(executor.loader.project_state(BEFORE).apps, demo)

    executor = MigrationExecutor(connection)
    migrate(executor, AFTER)
    apps = executor.loader.project_state(AFTER).apps
    assert sorted(apps.get_model("retail", "DocumentCounter").objects.values_list("kind", "prefix", "year", "last")) == [
        ("retail.customerorder", "ТДРТ", 2024, 7),  # the demo's ТДРТ-000001 and the typed ТДРТ-000007
        ("retail.openingbalance", "ТДРТ", 2024, 1),  # the demo's opening balances
        ("retail.retailsalesreport", "00", 2024, 2),
        ("retail.retailsalesreport", "ТДРТ", 2024, 6),
        ("retail.writeoff", "ТДРТ", 2023, 2),
        ("retail.writeoff", "ТДРТ", 2024, 4),
    ]
    with pytest.raises(LookupError):
        apps.get_model("offline_exchange", "ReportNumberCounter")

    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())
    write_off = WriteOff(date=dt.datetime(2024, 7, 1), organization=demo["organization"], warehouse=demo["warehouse"],
                         reason="Брак")
    document_number_assign(document=write_off)
    assert write_off.number == "ТДРТ-000005"
    assert new_order(demo).number == "ТДРТ-000008"
    assert upload(demo["device"], xml(seed_shift(demo))).success
    assert RetailSalesReport.objects.filter(shift_uuid__isnull=False).get().number == "ТДРТ-000007"


@pytest.mark.django_db(transaction=True)
def test_going_back_gives_the_sales_reports_their_old_counters(demo, back_to_the_latest):
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    _old_documents(executor.loader.project_state(BEFORE).apps, demo)
    executor = MigrationExecutor(connection)
    migrate(executor, AFTER)
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("offline_exchange", "ReportNumberCounter")
    assert sorted(old.objects.values_list("prefix", "year", "last")) == [("00", 2024, 2), ("ТДРТ", 2024, 6)]
