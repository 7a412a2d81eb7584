"""Query counts of the price list do not grow with the catalog (per package they are fixed)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import exchange as benchmarks
from offline_exchange.models import OfflineDevice
from offline_exchange.services.transfers import package_next, transfer_prepare

# Measured once at the sizes below; a query added per good or per package makes these fail.
# A first build also generates SKUs and writes every Good, and each package's block, into the cache;
# its inserts are batched, which is the little that differs between 40 and 900 goods.
# (PostgreSQL counts three more a package: the fill's advisory locks, and a delete before its COPY.)
# (The change feed adds two a transfer: its position, and the rule's revision read with the device.)
ONE_PACKAGE_QUERIES = 64
# A package built with a block reads the feed's position and the versions of its items: one more on PostgreSQL.
PER_EXTRA_PACKAGE = 26
# A full list whose packages are all cached as blocks: the plan, then the packages written at once.
CACHED_FULL_LIST_QUERIES = 28
# Handing out a package: on PostgreSQL one statement; on SQLite a transaction of three. The last one
# also completes the transfer, and the first loads the device's rule.
SERVE_QUERIES = 10


def full_transfer_queries(goods: int, package_size: int) -> tuple[int, int]:
    benchmarks.catalog_create(goods=goods, package_size=package_size)
    device = OfflineDevice.objects.get(device_id=benchmarks.DEVICE_ID)
    with CaptureQueriesContext(connection) as ctx:
        transfer = transfer_prepare(device=device, full=True)
    assert transfer.state == "ready" and transfer.goods_count == goods
    return len(ctx.captured_queries), transfer.package_total


def drain(device, transfer) -> None:
    while not package_next(device=device, transfer_id=str(transfer.pk), restart=False).transfer_completed:
        pass


@pytest.mark.django_db
@pytest.mark.parametrize("goods", [40, 900])
def test_one_package_costs_the_same_at_any_catalog_size(goods, django_assert_max_num_queries):
    benchmarks.catalog_create(goods=goods, package_size=1000)
    device = OfflineDevice.objects.get(device_id=benchmarks.DEVICE_ID)
    with django_assert_max_num_queries(ONE_PACKAGE_QUERIES):
        transfer = transfer_prepare(device=device, full=True)
    assert transfer.package_total == 1 and transfer.goods_count == goods


@pytest.mark.django_db
@pytest.mark.parametrize("goods", [100, 700])
def test_each_package_costs_a_fixed_number_of_queries(goods):
    queries, packages = full_transfer_queries(goods, package_size=50)
    assert queries <= ONE_PACKAGE_QUERIES + PER_EXTRA_PACKAGE * (packages - 1), (queries, packages)


@pytest.mark.django_db
@pytest.mark.parametrize("goods", [100, 900])
def test_a_full_list_from_the_cache_costs_the_same_at_any_size(goods, django_assert_max_num_queries):
    benchmarks.catalog_create(goods=goods, package_size=50)
    device = OfflineDevice.objects.get(device_id=benchmarks.DEVICE_ID)
    drain(device, transfer_prepare(device=device, full=True))
    with django_assert_max_num_queries(CACHED_FULL_LIST_QUERIES):
        transfer = transfer_prepare(device=device, full=True)
    assert transfer.state == "ready" and transfer.goods_count == goods and transfer.package_total > 2


@pytest.mark.django_db
def test_serving_a_package_is_a_handful_of_queries(django_assert_max_num_queries):
    benchmarks.catalog_create(goods=300, package_size=100)
    device = OfflineDevice.objects.get(device_id=benchmarks.DEVICE_ID)
    transfer = transfer_prepare(device=device, full=True)
    for _ in range(transfer.package_total):
        with django_assert_max_num_queries(SERVE_QUERIES):
            answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
    assert answer.transfer_completed
