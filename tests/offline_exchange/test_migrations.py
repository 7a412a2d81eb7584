"""Upgrading a running installation: a device in the middle of a transfer is told to start again."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("offline_exchange", "0008_exchange_console")]
AFTER = [("offline_exchange", "0009_goods_cache")]


@pytest.fixture
def back_to_the_latest():
    """Later tests share the database: it is left migrated to the end whatever happens here."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_unfinished_transfers_fail_with_the_reason_and_old_packages_go(demo, back_to_the_latest):
    device_pk = demo["device"].pk
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Transfer, Package = old.get_model("offline_exchange", "Transfer"), old.get_model("offline_exchange", "TransferPackage")
    unfinished = Transfer.objects.create(device_id=device_pk, full=True, state="ready", package_total=2)
    done = Transfer.objects.create(device_id=device_pk, full=False, state="ready", package_total=1)
    done.completed_at = done.created_at
    done.save()
    for transfer in (unfinished, done):
        Package.objects.create(transfer=transfer, number=1, content=b"<PriceListPackage/>")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
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
