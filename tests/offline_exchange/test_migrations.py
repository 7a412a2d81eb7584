"""Upgrading a running installation: a device in the middle of a transfer is told to start again."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

BEFORE = [("offline_exchange", "0008_exchange_console")]
AFTER = [("offline_exchange", "0009_goods_cache")]


@pytest.fixture
def back_to_the_latest():
    """Later tests share the database: it is left migrated to the end whatever happens here."""
    yield
    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_unfinished_transfers_fail_with_the_reason_and_old_packages_go(demo, back_to_the_latest):
    device_pk = demo["device"].pk
    executor = MigrationExecutor(connection)
    migrate(executor, BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Transfer, Package = old.get_model("offline_exchange", "Transfer"), old.get_model("offline_exchange", "TransferPackage")
    unfinished = Transfer.objects.create(device_id=device_pk, full=True, state="ready", package_total=2)
    done = Transfer.objects.create(device_id=device_pk, full=False, state="ready", package_total=1)
    done.completed_at = done.created_at
    done.save()
    for transfer in (unfinished, done):
        Package.objects.create(transfer=transfer, number=1, content=b"<PriceListPackage/>")

    executor = MigrationExecutor(connection)
    migrate(executor, AFTER)
    new = executor.loader.project_state(AFTER).apps
    Transfer, Package = new.get_model("offline_exchange", "Transfer"), new.get_model("offline_exchange", "TransferPackage")
    failed = Transfer.objects.get(pk=unfinished.pk)
    assert failed.state == "error" and "Запросите прайс-лист заново" in failed.error
    assert Transfer.objects.get(pk=done.pk).state == "ready"
    assert not Package.objects.exists()


@pytest.mark.django_db
def test_goods_blocks_are_stored_for_fast_reads_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("out-of-line storage is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstorage, attcompression FROM pg_attribute "
                       "WHERE attrelid = 'offline_exchange_cachedgoodsblock'::regclass AND attname = 'content'")
        storage, compression = cursor.fetchone()
    # lz4 where the server has it (Debian's has), else stored uncompressed; never pglz.
    assert (storage, compression) in {("x", "l"), ("e", "")}


@pytest.mark.django_db(transaction=True)
def test_pending_registrations_become_a_full_list_and_pending_orders_go_through_the_feed(demo, back_to_the_latest):
    from django.utils import timezone

    device_pk, order_pk = demo["device"].pk, demo["order"].pk
    executor = MigrationExecutor(connection)
    migrate(executor, [("offline_exchange", "0010_goods_blocks")])
    old = executor.loader.project_state([("offline_exchange", "0010_goods_blocks")]).apps
    Device = old.get_model("offline_exchange", "OfflineDevice")
    Device.objects.update(price_list_delivered_at=timezone.now())
    quiet = Device.objects.create(name="Без изменений", organization_id=Device.objects.get(pk=device_pk).organization_id,
                                  rule_id=Device.objects.get(pk=device_pk).rule_id, device_id="QUIET-0001",
                                  price_list_delivered_at=timezone.now())
    item_id = old.get_model("retail", "Item").objects.values_list("pk", flat=True).first()
    old.get_model("offline_exchange", "ChangeRegistration").objects.create(device_id=device_pk, item_id=item_id)
    old.get_model("offline_exchange", "OrderRegistration").objects.create(device_id=device_pk, order_id=order_pk)

    executor = MigrationExecutor(connection)
    migrate(executor, executor.loader.graph.leaf_nodes())
    from offline_exchange.feed_sql import ORDER
    from offline_exchange.models import ChangeFeedEntry, OfflineDevice
    from offline_exchange.services.feed import FULL_ASKED, price_list_full_reason

    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device_pk)) == FULL_ASKED
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=quiet.pk)) == ""
    assert ChangeFeedEntry.objects.filter(kind=ORDER, object_id=order_pk).exists()
    from offline_exchange.services.exports import orders_export
    assert b"<Order " in orders_export(device=OfflineDevice.objects.get(pk=device_pk))
