"""The migration that starts the ledger: hand-kept balances become a posted «Ввод начальных остатков»."""
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

BEFORE = [("retail", "0002_sales_import")]
AFTER = [("retail", "0030_stock_ledger")]


@pytest.mark.django_db(transaction=True)
def test_todays_balances_become_posted_opening_balances():
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organization = apps.get_model("retail", "Organization")
    Warehouse = apps.get_model("retail", "Warehouse")
    Item = apps.get_model("retail", "Item")
    Unit = apps.get_model("retail", "Unit")
    StockBalance = apps.get_model("retail", "StockBalance")
    Organization.objects.create(name="ООО «Старт»", number_prefix="СТ")
    main, shop = Warehouse.objects.create(name="Склад"), Warehouse.objects.create(name="Зал")
    unit = Unit.objects.create(name="шт", okei_code="796")
    cups, plates = (Item.objects.create(name=name, base_unit=unit) for name in ("Чашка", "Тарелка"))
    StockBalance.objects.create(warehouse=main, item=cups, quantity=D(5))
    StockBalance.objects.create(warehouse=main, item=cups, quantity=D(2))  # a duplicate row, merged
    StockBalance.objects.create(warehouse=main, item=plates, quantity=D("1.5"))
    StockBalance.objects.create(warehouse=shop, item=plates, quantity=D(3))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    migrate(executor, AFTER)
    apps = executor.loader.project_state(AFTER).apps
    StockBalance = apps.get_model("retail", "StockBalance")
    OpeningBalance = apps.get_model("retail", "OpeningBalance")
    StockMovement = apps.get_model("retail", "StockMovement")
    assert sorted(StockBalance.objects.values_list("warehouse__name", "item__name", "quantity")) == [
        ("Зал", "Тарелка", D(3)), ("Склад", "Тарелка", D("1.5")), ("Склад", "Чашка", D(7))]
    documents = list(OpeningBalance.objects.order_by("number"))
    assert [(d.number, d.posted, d.warehouse.name) for d in documents] == [
        ("СТ-000001", True, "Склад"), ("СТ-000002", True, "Зал")]
    assert sorted(StockMovement.objects.values_list("warehouse__name", "item__name", "quantity", "document_id")) == \
        sorted([("Склад", "Чашка", D(7), documents[0].pk), ("Склад", "Тарелка", D("1.5"), documents[0].pk),
                ("Зал", "Тарелка", D(3), documents[1].pk)])
    assert documents[0].lines.count() == 2
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())
