"""Upgrading a running base: the ledger's existing rows get their cost, in the ledger's order."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

BEFORE = [("retail", "0050_words")]
AFTER = [("retail", "0100_cost")]


@pytest.fixture
def back_to_the_latest():
    """Later tests share the database: it is left migrated to the end whatever happens here."""
    yield
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_receipts_write_offs_and_transfers_get_their_cost(back_to_the_latest):
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    ContentType = apps.get_model("contenttypes", "ContentType")
    model = {name: apps.get_model("retail", name) for name in (
        "Organization", "Warehouse", "Unit", "Item", "GoodsReceipt", "GoodsReceiptLine", "WriteOff", "StockTransfer",
        "StockMovement", "StockBalance")}
    org = model["Organization"].objects.create(name="ООО «Старт»", number_prefix="СТ", taxation_systems=[0])
    main, hall = (model["Warehouse"].objects.create(name=name) for name in ("Склад", "Зал"))
    tea = model["Item"].objects.create(name="Чай", vat_rate="20", base_unit=model["Unit"].objects.create(
        name="шт", okei_code="796"))
    day = dt.datetime(2024, 5, 1, 9, 0)

    def moved(doc, warehouse, quantity, hours):
        kind = ContentType.objects.get_or_create(app_label="retail", model=doc._meta.model_name)[0]
        model["StockMovement"].objects.create(date=day + dt.timedelta(hours=hours), warehouse=warehouse, item=tea,
                                              quantity=D(quantity), document_type_id=kind.pk, document_id=doc.pk)

    for hours, price in ((0, "120.00"), (1, "180.00")):
        receipt = model["GoodsReceipt"].objects.create(date=day + dt.timedelta(hours=hours), organization=org,
                                                       warehouse=main, posted=True)
        model["GoodsReceiptLine"].objects.create(document=receipt, item=tea, quantity=D(10), price=D(price),
                                                 amount=D(price) * 10)
        moved(receipt, main, 10, hours)
    spoiled = model["WriteOff"].objects.create(date=day + dt.timedelta(hours=2), organization=org, warehouse=main,
                                               reason="Бой", posted=True)
    moved(spoiled, main, -5, 2)
    transfer = model["StockTransfer"].objects.create(date=day + dt.timedelta(hours=3), organization=org,
                                                     warehouse=main, to_warehouse=hall, posted=True)
    moved(transfer, main, -5, 3)
    moved(transfer, hall, 5, 3)
    model["StockBalance"].objects.create(warehouse=main, item=tea, quantity=D(10))
    model["StockBalance"].objects.create(warehouse=hall, item=tea, quantity=D(5))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    migrate(executor, AFTER)
    apps = executor.loader.project_state(AFTER).apps
    StockMovement, StockBalance = apps.get_model("retail", "StockMovement"), apps.get_model("retail", "StockBalance")
    # Receipts without the VAT of the item's rate (ОСН): 1 000 and 1 500; the average 125,00 after them.
    assert list(StockMovement.objects.order_by("date", "quantity").values_list(
        "warehouse__name", "quantity", "cost", "cost_kind", "balance_quantity", "balance_cost")) == [
        ("Склад", D(10), D(1000), "fixed", D(10), D(1000)),
        ("Склад", D(10), D(1500), "fixed", D(20), D(2500)),
        ("Склад", D(-5), D(-625), "average", D(15), D(1875)),
        ("Склад", D(-5), D(-625), "average", D(10), D(1250)),
        ("Зал", D(5), D(625), "source", D(5), D(625))]
    assert sorted(StockBalance.objects.values_list("warehouse__name", "cost", "average_cost")) == [
        ("Зал", D(625), D(125)), ("Склад", D(1250), D(125))]
    assert set(apps.get_model("retail", "GoodsReceiptLine").objects.values_list("vat_rate", flat=True)) == {"20"}
