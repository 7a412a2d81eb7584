"""The benchmark commands run end to end on a small catalog and print their figures (never judged here)."""
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from retail.models import Warehouse
from tests.factories import StoreFactory, WarehouseFactory


def test_bench_price_list_prints_the_first_the_cached_and_the_incremental_transfer():
    out = StringIO()
    call_command("bench_price_list", goods=60, package_size=25, changes=5, repeat=2, stdout=out)
    text = out.getvalue()
    assert "catalog: 60 goods" in text
    assert re.search(r"first after the catalog load .*: 60 goods in 3 packages of 25", text), text
    assert re.search(r"next device \(Goods from the cache; median of 2\): 60 goods in 3 packages", text), text
    assert re.search(r"ours / limit = [\d.]+x first, [\d.]+x from the cache", text), text
    assert re.search(r"the first of the 2 lists from the cache .*: [\d.]+ s, [\d.]+x", text), text
    # The floor is timed inside the first list: reads and writes it really made (none timed: 0.0 s).
    floor = re.search(r"floor of the design, timed in the first list: .* Goods are made of ([\d.]+) s \([^)]+\) "
                      r"\+ writing the cached Goods and the blocks ([\d.]+) s \([^)]+\) = [\d.]+ s, \S+ the limit",
                      text)
    assert floor and float(floor[1]) > 0 and float(floor[2]) > 0, text
    assert "incremental after 5 price changes: 5 goods, 1 packages" in text


def test_bench_changes_prints_the_repricing_the_import_and_the_incremental_list_side_by_side():
    out = StringIO()
    call_command("bench_changes", goods=60, devices=[2, 5], package_size=25, stdout=out)
    text = out.getvalue()
    assert "catalog: 60 goods" in text
    # One feed row per repriced item, with 2 registers as with 5.
    assert re.search(r"repricing of 60 prices: 2 registers [\d.]+ s, 60 feed rows \| 5 registers [\d.]+ s, "
                     r"60 feed rows \| 5/2 = [\d.]+x", text), text
    assert re.search(r"price file of 60 rows .*: import [\d.]+ s \(new 60, errors 0\) \| bulk insert of the same "
                     r"rows [\d.]+ s \| import / limit = [\d.]+x", text), text
    assert "next incremental list of one register after the repricing: 60 goods in 3 packages" in text
    # 10% of the catalog has 3 characteristics: one of them repriced sends one Good an item, not three.
    assert re.search(r"one size repriced in 6 goods: next incremental list 6 Goods, .* the same goods changed whole "
                     r".* 18 Goods, .* Goods 6/18", text), text


def test_bench_sales_import_prints_the_shift_against_the_lxml_limit_in_time_and_memory():
    out = StringIO()
    call_command("bench_sales_import", checks=30, lines=2, goods=60, stdout=out)
    text = out.getvalue()
    assert re.search(r"shift: 30 checks x 2 lines, [\d.]+ MB document; imported in [\d.]+ s", text), text
    assert "report posted=True" in text, text
    assert re.search(r"lxml limit .*: [\d.]+ s in the import's process .* peak RSS [\d.]+ MB", text), text
    assert re.search(r"ours / limit = [\d.]+x time, [\d.]+x peak memory", text), text
    # The floor's parts are timed in the run: the stream read again, the kept checks' rows in the import.
    floor = re.search(r"floor of the design, timed in this run: the XSD-checked stream alone ([\d.]+) s .* the kept "
                      r"checks' rows inserted ([\d.]+) s \([^)]+\) = [\d.]+ s, [\d.]+x the limit", text)
    assert floor and float(floor[1]) > 0 and float(floor[2]) > 0, text


def test_bench_sales_import_compares_the_upload_with_the_checks_kept_against_without():
    out = StringIO()
    call_command("bench_sales_import", goods=60, checks=40, lines=3, checks_kept=True, repeat=1, marked_every=5,
                 stdout=out)
    text = out.getvalue()
    assert re.search(r"shift: 40 checks x 3 lines, \d+ lines marked; sqlite, median of 1 each", text), text
    assert re.search(r"without keeping the checks: [\d.]+ s .*; with the checks kept: [\d.]+ s .*; ratio [\d.]+",
                     text), text
    assert re.search(r"lxml limit \(the last shift parsed into a tree, median of 3\): [\d.]+ s; without / limit = "
                     r"[\d.]+x, with / limit = [\d.]+x", text), text
    # Only the import that keeps them stores checks: 40 checks, 3 lines each but the returns' copies.
    assert re.search(r"checks kept: \d{3} check lines in \d+ bytes .*: [\d.]+ bytes a check line", text), text


def test_bench_cost_prints_the_shift_with_and_without_cost_and_the_late_receipt():
    out = StringIO()
    call_command("bench_cost", checks=40, lines=2, goods=60, repeat=2, movements=30, stdout=out)
    text = out.getvalue()
    assert "catalog: 60 goods, 60 with an opening cost" in text
    assert re.search(r"shift of 40 checks x 2 lines: plain posting [\d.]+ s \(runs \[[\d., ]+\]\), with cost and "
                     r"cash [\d.]+ s \(runs \[[\d., ]+\]\); with / plain = [\d.]+x", text), text
    assert re.search(r"late receipt before a month of 30 movements of one item: re-costed 30 rows; posting [\d.]+ s",
                     text), text


@pytest.mark.django_db(transaction=True)
def test_the_uploads_floor_checks_the_deferred_foreign_keys_apart_and_gives_the_commit_back():
    if connection.vendor != "postgresql":
        pytest.skip("Django defers foreign keys to the commit on PostgreSQL; SQLite checks them as rows go in")
    from bench.exchange import _floor_timed

    store = StoreFactory()
    stray = store.pk + 10**6
    with _floor_timed() as parts:
        with transaction.atomic():
            WarehouseFactory(store=store)
        timed = parts["constraints"]
        assert timed > 0
        # The split really checks the constraints: a key to no store fails in its statement, before the commit.
        with pytest.raises(IntegrityError) as failed, transaction.atomic():
            Warehouse.objects.create(name="Склад без магазина", store_id=stray)
        calls = [entry.name for entry in failed.traceback]
        assert "commit_split" in calls and "execute" in calls[calls.index("commit_split"):], calls
    assert "_commit" not in connections["default"].__dict__  # `connection` is a proxy
    assert not Warehouse.objects.filter(store_id=stray).exists()
