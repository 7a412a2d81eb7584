"""The migration that numbers orders per year: existing orders keep their numbers and get their year, and a
number of the organization's own form counts in the sequence the next automatic number continues."""
import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

BEFORE = [("retail", "0030_stock_ledger")]
AFTER = [("retail", "0040_orders")]


@pytest.mark.django_db(transaction=True)
def test_existing_orders_get_their_year_and_sequence():
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    org = apps.get_model("retail", "Organization").objects.create(name="ООО «Старт»", number_prefix="СТ")
    store = apps.get_model("retail", "Store").objects.create(name="Магазин")
    CustomerOrder = apps.get_model("retail", "CustomerOrder")
    for number, year in (("СТ-000007", 2024), ("Сайт-5", 2023)):
        CustomerOrder.objects.create(number=number, date=dt.datetime(year, 5, 1, 12, 0), organization=org, store=store)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    migrate(executor, AFTER)
    apps = executor.loader.project_state(AFTER).apps
    CustomerOrder = apps.get_model("retail", "CustomerOrder")
    assert sorted(CustomerOrder.objects.values_list("number", "number_year", "number_seq")) == [
        ("СТ-000007", 2024, 7), ("Сайт-5", 2023, None)]
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())

    from retail.models import CustomerOrder as Order
    from retail.models import Organization, Store
    from retail.services.orders import order_save
    later = order_save(order=Order(date=dt.datetime(2024, 6, 1), organization=Organization.objects.get(),
                                   store=Store.objects.get()))
    assert later.number == "СТ-000008"
