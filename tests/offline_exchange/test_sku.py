import threading

import pytest
from django.db import connection

from offline_exchange.models import ExchangeSettings, SkuCode
from offline_exchange.services.sku import (
    SkuRangeExhaustedError,
    free_numbers,
    positions_for_items,
    sku_generate_for_items,
    sku_items_lacking,
    sku_items_with_own,
)
from tests.factories import CharacteristicFactory, ItemFactory, PackFactory


def test_free_numbers_fill_gaps_lowest_first():
    assert free_numbers([100, 101, 103, 106], start=100, end=110, count=4) == [102, 104, 105, 107]
    assert free_numbers([], start=5, end=6, count=5) == [5, 6]


@pytest.mark.django_db
def test_ranges_for_weight_and_piece_goods():
    weight = ItemFactory(is_weight=True)
    piece = ItemFactory()
    sku_generate_for_items(item_ids=[weight.pk, piece.pk])
    # Weighed SKUs are the scales' product codes, 1..99999 (PROTOCOL §5.1).
    assert SkuCode.objects.get(item=weight).number == 1
    assert SkuCode.objects.get(item=piece).number == 100000


@pytest.mark.django_db
def test_a_configured_weight_range_is_kept():
    """A base set up when the range started at 100 keeps its range (and its scales' codes)."""
    ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 100, "weight_sku_max": 99999})
    weight = ItemFactory(is_weight=True)
    sku_generate_for_items(item_ids=[weight.pk])
    assert SkuCode.objects.get(item=weight).number == 100


def test_weight_range_above_the_scale_code_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="99999"):
        ExchangeSettings(weight_sku_min=1, weight_sku_max=100000).clean()


@pytest.mark.django_db
def test_one_sku_per_position_and_reuse_of_freed_numbers():
    item = ItemFactory()
    CharacteristicFactory(item=item)
    PackFactory(item=item)
    positions = positions_for_items([item.pk])
    assert len(positions) == 3  # base, characteristic, characteristic × pack
    assert sku_generate_for_items(item_ids=[item.pk]) == 3
    assert sku_generate_for_items(item_ids=[item.pk]) == 0  # never two SKUs per position
    assert sorted(SkuCode.objects.values_list("number", flat=True)) == [100000, 100001, 100002]
    SkuCode.objects.filter(number=100001).delete()
    other = ItemFactory()
    sku_generate_for_items(item_ids=[other.pk])
    assert SkuCode.objects.get(item=other).number == 100001


@pytest.mark.django_db
def test_the_database_names_the_items_with_a_position_without_an_sku_as_positions_for_items_lists_them():
    plain = ItemFactory()
    packed = ItemFactory()
    PackFactory(item=packed)
    PackFactory(item=packed)
    sized = ItemFactory()
    CharacteristicFactory(item=sized)
    CharacteristicFactory(item=sized)
    both = ItemFactory()
    CharacteristicFactory(item=both)
    CharacteristicFactory(item=both)
    PackFactory(item=both)
    items = [plain, packed, sized, both]
    ids = [item.pk for item in items]
    assert sku_items_lacking(item_ids=ids) == set(ids) and sku_items_with_own(item_ids=ids) == set()
    sku_generate_for_items(item_ids=ids)
    assert sku_items_lacking(item_ids=ids) == set() and sku_items_with_own(item_ids=ids) == set(ids)
    # Each position in turn loses its code: exactly its item lacks one, and its own position only decides
    # whether the item can be carried.
    for position in positions_for_items(ids):
        code = SkuCode.objects.get(position_key=position.key)
        code.delete()
        assert sku_items_lacking(item_ids=ids) == {position.item_id}, position
        own = position.characteristic_id is None and position.pack_id is None
        assert sku_items_with_own(item_ids=ids) == set(ids) - ({position.item_id} if own else set()), position
        code.save()
    # Only the items asked about, even in the same id range.
    SkuCode.objects.filter(item=packed).delete()
    assert sku_items_lacking(item_ids=[plain.pk, sized.pk]) == set()
    assert sku_items_lacking(item_ids=[plain.pk, packed.pk]) == {packed.pk}


@pytest.mark.django_db
def test_exhausted_weight_range_says_so():
    ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 1, "weight_sku_max": 1})
    items = [ItemFactory(is_weight=True), ItemFactory(is_weight=True)]
    with pytest.raises(SkuRangeExhaustedError, match="закончились доступные SKU"):
        sku_generate_for_items(item_ids=[i.pk for i in items])
    assert not SkuCode.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_never_duplicates():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is proven here; SQLite serializes every writer anyway")
    items = [ItemFactory() for _ in range(40)]
    errors = []

    def worker(chunk):
        from django.db import connections

        try:
            sku_generate_for_items(item_ids=[i.pk for i in chunk])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(items[n::4] + items[:10],)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = list(SkuCode.objects.values_list("number", flat=True))
    assert len(numbers) == 40 == len(set(numbers))
    assert sorted(numbers) == list(range(100000, 100040))
