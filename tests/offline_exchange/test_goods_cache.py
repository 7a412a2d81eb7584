"""The goods cache: a price list served from cached Goods is byte for byte the one built from the base,
whatever changed in between and however it changed."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from offline_exchange.format.builders import build_price_list, build_price_list_package
from offline_exchange.format.versions import get_format
from offline_exchange.models import (
    CachedGood,
    CachedGoodsBlock,
    ExchangeSettings,
    OfflineDevice,
    SkuCode,
)
from offline_exchange.services import goods_cache, price_list
from offline_exchange.services.devices import device_full_next_time
from offline_exchange.services.feed import feed_items_changed
from offline_exchange.services.goods_cache import goods_cache_key, goods_cache_variant, pack_ids, unpack_ids
from offline_exchange.services.price_list import price_list_collect
from offline_exchange.services.sku import sku_generate_for_items
from offline_exchange.services.transfers import package_next, price_list_deliver, transfer_prepare
from retail.models import Characteristic, Item, ItemGroup, Pack, Price, PriceType, StockBalance, Unit
from tests.conftest import FMT_NS

pytestmark = pytest.mark.django_db
N = f"{{{FMT_NS}}}"


def one_package(device: OfflineDevice) -> OfflineDevice:
    device.items_per_package = 0
    device.save()
    return OfflineDevice.objects.get(pk=device.pk)


def served(device: OfflineDevice) -> list[bytes]:
    """A full transfer as the device receives it."""
    transfer = transfer_prepare(device=device, full=True)
    contents = []
    while True:
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
        assert answer.formed
        contents.append(answer.content)
        if answer.transfer_completed:
            return contents


def from_the_base(device: OfflineDevice) -> bytes:
    """The same list built from the base, bypassing the cache (the builder the cache replaced)."""
    collected = price_list_collect(device=device, full=True)
    return build_price_list_package(number=1, total=1, price_list=collected.data, fmt=get_format(device.format_version))


def good(content: bytes, name: str):
    root = etree.fromstring(content)
    return next(g for g in root.iter(N + "Good") if g.get("Name") == name)


def cached_items(device) -> set[int]:
    return set(CachedGood.objects.filter(variant_id=goods_cache_key(device=device)).values_list("item_id", flat=True))


def test_the_first_and_the_cached_list_are_the_list_built_from_the_base(demo):
    device = one_package(demo["device"])
    assert not CachedGood.objects.exists()
    [first] = served(device)
    assert first == from_the_base(device)
    assert len(cached_items(device)) == Item.objects.filter(deletion_mark=False).count()
    [again] = served(device)
    assert again == first


def test_packages_carry_the_same_goods_as_one_list(demo):
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    cold, warm = served(device), served(device)
    assert cold == warm and len(cold) > 5
    goods = [etree.tostring(g, method="c14n") for content in warm for g in etree.fromstring(content).iter(N + "Good")]
    reference = etree.fromstring(from_the_base(device))
    assert goods == [etree.tostring(g, method="c14n") for g in reference.iter(N + "Good")]


def test_get_price_list_is_the_list_built_from_the_base(demo):
    device = demo["device"]
    served(device)  # the cache is full
    Item.objects.update(description="Новое описание")  # every item changes
    expected = price_list_collect(device=device, full=False)
    expected.data.full = False
    assert price_list_deliver(device=device) == build_price_list(expected.data, get_format(device.format_version))


def _admin_post(admin_client, model: str, obj, data: dict):
    if obj is None:
        url = reverse(f"admin:{model}_add")
    else:
        url = reverse(f"admin:{model}_change", args=[obj.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _price_today(admin_client, demo):
    item = Item.objects.get(article="КД-12")
    _admin_post(admin_client, "retail_price", None, {
        "price_type": PriceType.objects.get().pk, "item": item.pk, "characteristic": "",
        "date": dt.date.today().isoformat(), "value": "333.30"})
    return "Кубики деревянные 12 шт", "Price", "333.30"


def _balance(admin_client, demo):
    # Balances change by posting documents (the totals table is read-only): a write-off of 3 balls.
    item = Item.objects.get(article="МР-15")
    data = {"date_0": "03.06.2024", "date_1": "12:00:00", "organization": demo["organization"].pk,
            "warehouse": demo["warehouse"].pk, "reason": "Брак", "comment": "", "barcode": "",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-line_number": "1", "lines-0-item": item.pk,
            "lines-0-characteristic": "", "lines-0-quantity": "3", "_post_close": "Провести и закрыть"}
    _admin_post(admin_client, "retail_writeoff", None, data)
    assert StockBalance.objects.get(item=item, characteristic=None).quantity == 7
    return "Мяч резиновый 15 см", "Balance", "7.000"


def _unit_code(admin_client, demo):
    unit = Unit.objects.get(okei_code="166")
    _admin_post(admin_client, "retail_unit", unit, {"name": "кг", "okei_code": "167"})
    return "Яблоки Голден, вес.", "UnitCode", "167"


def _group_code(admin_client, demo):
    group = ItemGroup.objects.get(name="Книги и канцтовары")
    _admin_post(admin_client, "retail_itemgroup", group, {"code": "K-99", "name": group.name,
                                                          "parent": group.parent_id or ""})
    return "Книга «Сказки» твердый переплет", "GroupCode", "K-99"


def _sku_number(admin_client, demo):
    code = SkuCode.objects.get(item__article="КЦ-24", characteristic=None, pack=None)
    _admin_post(admin_client, "offline_exchange_skucode", code, {
        "number": "987654", "item": code.item_id, "characteristic": "", "pack": ""})
    return "Карандаши цветные 24 цв.", "Code", "987654"


def _barcode(admin_client, demo):
    item = Item.objects.get(article="ШВ-1")
    _admin_post(admin_client, "retail_barcode", None, {
        "value": "4601234599999", "item": item.pk, "characteristic": "", "pack": "", "barcode_type": "EAN13"})
    return "Шар воздушный", "Barcode", "4601234599999"


def _price_deleted(admin_client, demo):
    item = Item.objects.get(article="П-0780")
    price = Price.objects.get(item=item)
    response = admin_client.post(reverse("admin:retail_price_changelist"), {
        "action": "delete_selected", "_selected_action": [price.pk], "post": "yes"})
    assert response.status_code == 302
    return "Автомобиль \"Жук\"", "Price", None


@pytest.mark.parametrize("change", [_price_today, _balance, _unit_code, _group_code, _sku_number, _barcode,
                                    _price_deleted])
def test_an_admin_edit_reaches_the_next_full_list(demo, admin_client, change):
    device = one_package(demo["device"])
    served(device)
    name, attribute, value = change(admin_client, demo)
    # The device would get it with its next incremental list …
    device.refresh_from_db()
    assert Item.objects.get(name=name).pk in feed_items_changed(after=device.price_list_watermark)
    # … and gets it with a full one.
    [content] = served(device)
    element = good(content, name)
    found = (element.find(f"{N}Barcodes/{N}Barcode[@Value='{value}']") is not None if attribute == "Barcode"
             else element.get(attribute) == value)
    assert found, etree.tostring(element, encoding="unicode")
    assert content == from_the_base(device)


def test_a_dated_price_comes_into_force_without_any_edit(demo, monkeypatch):
    device = one_package(demo["device"])
    item = Item.objects.get(article="КМ-30")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=tomorrow, value=Decimal("999.00"))
    [today] = served(device)
    assert good(today, item.name).get("Price") == "899.00"
    # The Good holds a slot, right any day; the package's block holds today's price, until tomorrow.
    assert CachedGood.objects.get(item=item).valid_until is None
    assert CachedGoodsBlock.objects.get().valid_until == tomorrow

    monkeypatch.setattr(price_list, "price_day", lambda: tomorrow)
    [next_day] = served(device)
    assert good(next_day, item.name).get("Price") == "999.00"
    assert next_day == from_the_base(device)
    assert CachedGoodsBlock.objects.get().valid_until is None


def test_a_dated_price_set_after_the_goods_were_cached_still_retires_the_block(demo, monkeypatch):
    """The Good's slot knows no day: the block's day comes from the prices read when it is written."""
    device = one_package(demo["device"])
    item = Item.objects.get(article="КМ-30")
    served(device)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=tomorrow, value=Decimal("999.00"))
    [today] = served(device)
    assert good(today, item.name).get("Price") == "899.00"
    monkeypatch.setattr(price_list, "price_day", lambda: tomorrow)
    [next_day] = served(device)
    assert good(next_day, item.name).get("Price") == "999.00"
    assert next_day == from_the_base(device)


def _no_good_built(monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("a Good was built from the base")
    monkeypatch.setattr(price_list, "_goods_text", refuse)


@pytest.mark.parametrize("shape", [OfflineDevice.GoodsShape.POSITIONS, OfflineDevice.GoodsShape.NESTED])
def test_a_repricing_and_a_days_stock_rebuild_no_good_and_go_out_right(demo, monkeypatch, shape):
    """Prices and balances are slots in a cached Good: a chain-wide repricing (item, characteristic and pack
    prices) and new balances reach every position, byte for byte the list built from the base, and no Good is
    built again."""
    device = one_package(demo["device"])
    device.goods_shape = shape
    device.save()
    # A characteristic with a price of its own, and a pack of 1.5 on it.
    characteristic = Characteristic.objects.get(name="Рост 62, белый")
    Price.objects.create(price_type=PriceType.objects.get(), item=characteristic.item, characteristic=characteristic,
                         date=dt.date.today() - dt.timedelta(days=1), value=Decimal("10.00"))
    Pack.objects.create(item=characteristic.item, name="Полторы штуки", coefficient=Decimal("1.5"))
    ExchangeSettings.objects.update(auto_generate_sku=True)
    served(device)
    Price.objects.update(value=F("value") + Decimal("0.01"))
    StockBalance.objects.update(quantity=F("quantity") + Decimal("1.5"))
    with monkeypatch.context() as patched:
        _no_good_built(patched)
        [repriced] = served(device)
    assert repriced == from_the_base(device)
    assert good(repriced, Item.objects.get(article="КМ-30").name).get("Price") == "899.01"
    # 10.01 a unit × 1.5 is 15.015: written 15.02, half up, as the dataclass writer rounds it.
    packs = [p for p in etree.fromstring(repriced).iter(N + "Pack") if p.get("Name") == "Полторы штуки"]
    assert "15.02" in {p.get("Price") for p in packs}


def test_goods_sharing_a_price_keep_their_balances_and_goods_sharing_a_balance_their_prices(demo, monkeypatch):
    """An item's own Price and Balance are written once for each pair of values a package holds (a catalog has
    far fewer of them than goods): goods of one price still show their own balances, and the other way round."""
    device = one_package(demo["device"])
    assert device.export_balances
    served(device)

    def own_values(content: bytes) -> list[tuple[str | None, str | None]]:
        return [(g.get("Price"), g.get("Balance")) for g in etree.fromstring(content).iter(N + "Good")
                if g.find(N + "Characteristics") is None and g.find(N + "Packs") is None]

    Price.objects.filter(characteristic=None).update(value=Decimal("50.00"))
    for number, balance in enumerate(StockBalance.objects.filter(characteristic=None).order_by("pk"), start=1):
        balance.quantity = Decimal(number)
        balance.save()
    with monkeypatch.context() as patched:
        _no_good_built(patched)
        [repriced] = served(device)
    assert repriced == from_the_base(device)
    same_price = [balance for price, balance in own_values(repriced) if price == "50.00" and balance]
    assert len(same_price) >= 2 and len(set(same_price)) == len(same_price)

    Price.objects.filter(characteristic=None).update(value=F("value") + F("item_id"))
    StockBalance.objects.filter(characteristic=None).update(quantity=Decimal("7"))
    with monkeypatch.context() as patched:
        _no_good_built(patched)
        [restocked] = served(device)
    assert restocked == from_the_base(device)
    same_balance = [price for price, balance in own_values(restocked) if balance == "7.000"]
    assert len(same_balance) >= 2 and len(set(same_balance)) == len(same_balance)


def test_an_incremental_list_after_a_price_change_fills_the_cached_goods(demo, monkeypatch):
    device = demo["device"]
    served(device)
    item = Item.objects.get(article="КМ-30")
    Price.objects.filter(item=item, characteristic=None).update(value=Decimal("123.45"))
    device.refresh_from_db()
    assert feed_items_changed(after=device.price_list_watermark) == {item.pk}
    with monkeypatch.context() as patched:
        _no_good_built(patched)
        transfer = transfer_prepare(device=device, full=False)
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
    assert [g.get("Price") for g in etree.fromstring(answer.content).iter(N + "Good")] == ["123.45"]


def test_a_tab_in_a_name_is_written_escaped_and_leaves_the_slots_alone(demo):
    device = one_package(demo["device"])
    served(device)
    item = Item.objects.get(article="КМ-30")
    Item.objects.filter(pk=item.pk).update(name="Кукла\tс\tтабуляцией")
    [content] = served(device)
    assert content == from_the_base(device)
    assert b"\t" not in content and "Кукла&#9;с&#9;табуляцией".encode() in content
    assert good(content, "Кукла\tс\tтабуляцией").get("Price") == "899.00"


def test_a_good_changed_during_a_transfer_goes_out_new_and_again_next_time(demo):
    device = demo["device"]
    device.items_per_package = 2
    device.save()
    transfer = transfer_prepare(device=device, full=True)
    first = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
    assert b"<Good " not in first.content  # the groups come first
    item = Item.objects.get(article="ПЯ-90")
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("57.00"))
    contents = []
    while not (answer := package_next(device=device, transfer_id=str(transfer.pk), restart=False)).transfer_completed:
        contents.append(answer.content)
    contents.append(answer.content)
    puree = [good(c, item.name) for c in contents if item.name.encode() in c]
    assert [g.get("Price") for g in puree] == ["57.00"]
    device.refresh_from_db()
    assert feed_items_changed(after=device.price_list_watermark) == {item.pk}


def goods_of(contents: list[bytes]) -> list[bytes]:
    return [etree.tostring(g, method="c14n") for content in contents for g in etree.fromstring(content).iter(N + "Good")]


def test_the_next_register_reads_each_package_from_its_block(demo, monkeypatch):
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    cold = served(device)
    with_goods = [c for c in cold if b"<Good " in c]
    assert CachedGoodsBlock.objects.filter(variant_id=goods_cache_key(device=device)).count() == len(with_goods) > 3

    def good_by_good(**kwargs):
        raise AssertionError("a package with a block is not served Good by Good")

    monkeypatch.setattr(price_list, "price_list_goods_serialized", good_by_good)
    assert served(device) == cold


@pytest.mark.django_db(transaction=True)
def test_a_list_after_a_repricing_reads_the_next_blocks_ahead_and_goes_out_right(demo, monkeypatch):
    """Outside a transaction, as the app server and the task worker build lists, the block fills of a list after
    a chain-wide repricing take their Goods, prices and balances from reads made ahead on a connection of their
    own (`BlockReadsAhead`): every package's, in order, the packages the list built from the base, and the
    reading thread gone after the build."""
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    served(device)
    Price.objects.update(value=F("value") + Decimal("0.01"))
    StockBalance.objects.update(quantity=F("quantity") + Decimal("1"))
    taken: list[list[int]] = []
    take = price_list.BlockReadsAhead.take
    monkeypatch.setattr(price_list.BlockReadsAhead, "take", lambda self, ids: taken.append(ids) or take(self, ids))
    with monkeypatch.context() as patched:
        _no_good_built(patched)
        repriced = served(device)
    with_goods = [content for content in repriced if b"<Good " in content]
    assert len(taken) == len(with_goods) > 3
    assert taken == sorted(taken)
    assert goods_of(repriced) == goods_of([from_the_base(device)])
    name = Item.objects.get(article="КМ-30").name
    assert good(next(c for c in repriced if name.encode() in c), name).get("Price") == "899.01"


@pytest.mark.django_db(transaction=True)
def test_block_reads_ahead_are_the_fills_own_reads_and_close_their_thread_and_connection(demo):
    device = demo["device"]
    served(device)
    ids = sorted(Item.objects.values_list("pk", flat=True))
    packages = [ids[:3], ids[3:6], ids[6:]]
    on = price_list.price_day()
    versions = price_list.feed_item_versions(item_ids=ids)
    ahead = price_list.BlockReadsAhead(device=device, packages=packages, on=on, versions=versions)
    try:
        for package in packages:
            reads = ahead.take(package)
            own = price_list._block_reads(device=device, variant_key=goods_cache_key(device=device), ids=package, on=on,
                                          versions=versions)
            assert reads.goods == own.goods and set(reads.goods) == set(package)
            assert (reads.values.prices, reads.values.balances) == (own.values.prices, own.values.balances)
        with pytest.raises(RuntimeError):
            ahead.take(ids[:1])  # nothing more was asked for
        # The reading thread and its connection, as Django keeps one for each thread.
        reader = ahead._pool.submit(lambda: (threading.current_thread(), connections[DEFAULT_DB_ALIAS])).result()
        assert reader[1].connection is not None and reader[1] is not connections[DEFAULT_DB_ALIAS]
    finally:
        ahead.close()
    thread, reader_connection = reader
    assert thread is not threading.current_thread() and not thread.is_alive()
    # Django never closes the in-memory SQLite of the tests (every connection would lose the database).
    if not (reader_connection.vendor == "sqlite" and reader_connection.is_in_memory_db()):
        assert reader_connection.connection is None


def test_a_change_retires_the_blocks_holding_the_item_and_no_other(demo):
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    served(device)
    item = Item.objects.get(article="КД-12")
    blocks = {key: (first, last) for key, first, last in
              CachedGoodsBlock.objects.values_list("key", "first_item_id", "last_item_id")}
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("12.50"))
    left = goods_cache.goods_blocks_usable(variant_key=goods_cache_key(device=device), keys=list(blocks),
                                           on=dt.date.today())
    assert len(left) == len(blocks) - 1
    assert all(not blocks[key][0] <= item.pk <= blocks[key][1] for key in left)
    again = served(device)
    assert good([c for c in again if item.name.encode() in c][0], item.name).get("Price") == "12.50"
    assert goods_of(again) == goods_of([from_the_base(device)])
    assert CachedGoodsBlock.objects.count() == len(blocks)


def test_a_block_travels_from_postgresql_once_per_process(demo, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL's blocks come over the network")
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    cold = served(device)
    monkeypatch.setattr(goods_cache, "_memory", None)
    block_reads = []
    real = goods_cache.fetch_rows

    def fetch_rows(sql, params):
        if sql.startswith("SELECT content FROM"):
            block_reads.append(params)
        return real(sql, params)

    monkeypatch.setattr(goods_cache, "fetch_rows", fetch_rows)
    assert served(device) == cold
    assert len(block_reads) == len([c for c in cold if b"<Good " in c])
    block_reads.clear()
    assert served(device) == cold
    assert block_reads == []


def test_block_memory_keeps_the_most_recently_used_within_its_limit():
    memory = goods_cache.BlockMemory(limit=10)
    memory.put(variant_key="v", key="a", digest="a1", content=b"aaaa")
    memory.put(variant_key="v", key="b", digest="b1", content=b"bbbb")
    assert memory.get(variant_key="v", key="a", digest="a1") == b"aaaa"  # now the most recent
    memory.put(variant_key="v", key="c", digest="c1", content=b"cccc")
    assert memory.get(variant_key="v", key="b", digest="b1") is None
    assert memory.get(variant_key="v", key="a", digest="a1") == b"aaaa"
    assert memory.get(variant_key="v", key="c", digest="c1") == b"cccc"
    assert memory.size == 8
    memory.put(variant_key="v", key="big", digest="x", content=b"x" * 11)
    assert memory.get(variant_key="v", key="big", digest="x") is None and memory.size == 8
    memory.clear()
    assert memory.get(variant_key="v", key="a", digest="a1") is None and memory.size == 0


def test_block_memory_holds_one_generation_of_a_package():
    memory = goods_cache.BlockMemory(limit=1000)
    for generation in (1, 2, 3):
        for key in ("a", "b"):
            memory.put(variant_key="v", key=key, digest=f"{key}{generation}", content=key.encode() * 100)
    # The same package in another variant is another block.
    memory.put(variant_key="w", key="a", digest="a3", content=b"w" * 100)
    assert memory.size == 300
    assert memory.get(variant_key="v", key="a", digest="a3") == b"a" * 100
    assert memory.get(variant_key="w", key="a", digest="a3") == b"w" * 100
    # A claim that read an older digest is never served the newer bytes, nor the older ones kept.
    assert memory.get(variant_key="v", key="a", digest="a2") is None
    assert memory.get(variant_key="v", key="a", digest="a1") is None
    # A newer block too big to keep still frees the one it replaces.
    memory.put(variant_key="v", key="b", digest="b4", content=b"b" * 1001)
    assert memory.get(variant_key="v", key="b", digest="b3") is None and memory.size == 200


def test_a_repricing_replaces_each_block_in_memory_and_never_serves_the_old(demo, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL's blocks are kept in the process's memory")
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    monkeypatch.setattr(goods_cache, "_memory", None)
    served(device)
    variant_key = goods_cache_key(device=device)
    memory = goods_cache.goods_block_memory()

    def blocks() -> tuple[dict[str, str], int]:
        rows = CachedGoodsBlock.objects.filter(variant_id=variant_key).values_list("key", "digest", "content")
        return {key: digest for key, digest, _content in rows}, sum(len(bytes(content)) for *_key, content in rows)

    old, one_generation = blocks()
    assert len(old) > 1 and memory.size == one_generation
    for _generation in (1, 2):
        Price.objects.update(value=F("value") + 1)
        again = served(device)
        assert goods_of(again) == goods_of([from_the_base(device)])
        new, one_generation = blocks()
        assert set(new) == set(old) and all(new[key] != old[key] for key in old)
        # One generation held: each package's new block replaced its old one.
        assert memory.size == one_generation
        for key, digest in old.items():
            assert memory.get(variant_key=variant_key, key=key, digest=digest) is None
            assert goods_cache.goods_block_content(variant_key=variant_key, key=key, digest=digest) is None
        old = new


def test_blocks_no_transfer_uses_for_a_week_are_dropped(demo):
    device = demo["device"]
    device.items_per_package = 3
    device.save()
    served(device)
    week_ago = dt.date.today() - dt.timedelta(days=8)
    CachedGoodsBlock.objects.update(used_on=week_ago)
    variant_key = goods_cache_key(device=device)
    # A block of package boundaries that have since moved (an item was added in the middle).
    CachedGoodsBlock.objects.create(variant_id=variant_key, key="0" * 32, first_item_id=1, last_item_id=2,
                                    content=b"<Good/>", used_on=week_ago)
    served(device)
    assert not CachedGoodsBlock.objects.filter(key="0" * 32).exists()
    assert set(CachedGoodsBlock.objects.values_list("used_on", flat=True)) == {dt.date.today()}


def test_devices_with_other_settings_get_their_own_goods(demo):
    device = one_package(demo["device"])
    other = OfflineDevice.objects.create(name="Касса 2", organization=device.organization, rule=device.rule,
                                         device_id="SECOND", export_balances=False, items_per_package=0)
    assert goods_cache_key(device=other) != goods_cache_key(device=device)
    [with_balances], [without] = served(device), served(other)
    assert with_balances == from_the_base(device) and without == from_the_base(other)
    assert b' Balance="' in with_balances and b' Balance="' not in without


def test_full_next_time_rebuilds_from_the_base(demo):
    device = one_package(demo["device"])
    served(device)
    # A change no trigger saw (a restored backup of the base without the feed's rows, or triggers
    # switched off by hand): the cached Good outlives it …
    from django.db import connection

    from offline_exchange.feed_sql import feed_triggers_create, feed_triggers_drop

    feed_triggers_drop(connection)
    try:
        Price.objects.filter(item__article="КГ-250").update(value=Decimal("1.00"))
    finally:
        feed_triggers_create(connection)
    [stale] = served(device)
    assert good(stale, "Конструктор «Город» 250 деталей").get("Price") == "1490.00"
    # … until the admin asks for a full list next time, which drops the device's cached Goods.
    device_full_next_time(device=device)
    [fresh] = served(device)
    assert good(fresh, "Конструктор «Город» 250 деталей").get("Price") == "1.00"
    assert fresh == from_the_base(device)


def test_new_sku_codes_reach_a_cached_good(demo):
    device = one_package(demo["device"])
    config = ExchangeSettings.load()
    config.auto_generate_sku = False
    config.save()
    served(device)
    socks = Item.objects.get(article="НД-02")
    Characteristic.objects.create(item=socks, name="Размер 16")
    [without_code] = served(device)
    assert "Размер 16" not in {c.get("Name") for c in etree.fromstring(without_code).iter(N + "Characteristic")}
    assert sku_generate_for_items(item_ids=[socks.pk]) == 1  # the new SKU code row is a change of the item
    [with_code] = served(device)
    assert "Размер 16" in {c.get("Name") for c in etree.fromstring(with_code).iter(N + "Characteristic")}
    assert with_code == from_the_base(device)


def test_switching_sku_generation_on_gives_cached_goods_their_new_positions(demo, admin_client):
    device = one_package(demo["device"])
    config = ExchangeSettings.load()
    config.auto_generate_sku = False
    config.save()
    socks = Item.objects.get(article="НД-02")
    Characteristic.objects.create(item=socks, name="Размер 18")
    [before] = served(device)
    assert "Размер 18" not in {c.get("Name") for c in etree.fromstring(before).iter(N + "Characteristic")}
    response = admin_client.post(reverse("admin:offline_exchange_exchangesettings_change", args=[config.pk]), {
        "auto_generate_sku": "on", "offline_exchange_enabled": "on", "weight_sku_min": config.weight_sku_min,
        "weight_sku_max": config.weight_sku_max, "silence_hours": config.silence_hours})
    assert response.status_code == 302
    [after] = served(device)
    assert "Размер 18" in {c.get("Name") for c in etree.fromstring(after).iter(N + "Characteristic")}
    assert after == from_the_base(device)


def test_an_item_leaving_the_sku_register_leaves_the_list(demo, admin_client):
    device = one_package(demo["device"])
    served(device)
    config = ExchangeSettings.load()
    config.auto_generate_sku = False
    config.save()
    code = SkuCode.objects.get(item__article="КС-01", characteristic=None, pack=None)
    response = admin_client.post(reverse("admin:offline_exchange_skucode_delete", args=[code.pk]), {"post": "yes"})
    assert response.status_code == 302
    [content] = served(device)
    assert "Книга «Сказки» твердый переплет".encode() not in content
    assert content == from_the_base(device)


def test_a_deleted_item_takes_its_cached_goods_along(demo, admin_client):
    device = one_package(demo["device"])
    served(device)
    item = Item.objects.get(article="ШВ-1")
    assert CachedGood.objects.filter(item=item).exists()
    response = admin_client.post(reverse("admin:retail_item_delete", args=[item.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not CachedGood.objects.filter(item_id=item.pk).exists()
    [content] = served(device)
    assert item.name.encode() not in content and content == from_the_base(device)


def test_demo_data_again_restores_edited_goods(demo):
    device = one_package(demo["device"])
    served(device)
    Price.objects.filter(item__article="КД-12").update(value=Decimal("1.00"))
    from backoffice.demo import demo_base_create
    demo_base_create()
    [content] = served(one_package(device))  # the seed's device has packages of 10
    assert good(content, "Кубики деревянные 12 шт").get("Price") == "320.00"


@given(st.lists(st.integers(1, 2**62), max_size=300))
def test_package_item_lists_pack_and_unpack(ids):
    ids = sorted(set(ids))
    assert unpack_ids(pack_ids(ids)) == ids


def test_consecutive_items_pack_into_one_run():
    assert len(pack_ids(list(range(10_000, 11_000)))) == 16
    assert unpack_ids(pack_ids([3, 4, 5, 9, 11, 12])) == [3, 4, 5, 9, 11, 12]


def change_during_a_fill(monkeypatch, *, reader: str, fill, item: Item, value: str) -> None:
    """Run `fill` in a thread, holding it just after it has read through `price_list.<reader>`; commit a
    price change of `item` meanwhile in another (nothing makes it wait for the fill), then let the fill
    write what it read."""
    import threading

    from django.db import connections, transaction

    read, go = threading.Event(), threading.Event()
    real = getattr(price_list, reader)

    def reads_then_waits(**kwargs):
        found = real(**kwargs)
        read.set()
        go.wait(10)
        return found

    monkeypatch.setattr(price_list, reader, reads_then_waits)
    errors = []

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connections.close_all()
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def change():
        with transaction.atomic():
            Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(),
                                 value=Decimal(value))

    filler = in_thread(fill)
    assert read.wait(10)
    changer = in_thread(change)
    changer.join(10)
    assert not changer.is_alive()  # committed while the fill holds the old data
    go.set()
    filler.join(10)
    changer.join(10)
    assert not errors
    monkeypatch.undo()


@pytest.mark.django_db(transaction=True)
def test_a_change_racing_a_fill_never_leaves_a_stale_good(demo, monkeypatch):
    """A fill has read an item's data; a merchandiser's change of it commits meanwhile. The fill read the
    item's version before its data, so the Good it writes is under a version the item no longer has:
    it is never served."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    device = one_package(demo["device"])
    item = Item.objects.get(article="КД-12")
    change_during_a_fill(monkeypatch, reader="_goods_of_items", item=item, value="444.00", fill=lambda: (
        price_list.price_list_cache_fill(device=OfflineDevice.objects.get(pk=device.pk), ids=[item.pk],
                                         on=dt.date.today())))
    [content] = served(device)
    assert good(content, item.name).get("Price") == "444.00"
    assert content == from_the_base(device)


@pytest.mark.django_db(transaction=True)
def test_registers_asking_at_once_build_each_good_once(demo, monkeypatch):
    """Twenty registers open at once after a catalog load: the first builds the Goods, the others wait
    for it and find them cached, instead of each building the same Goods."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the wait is proven on PostgreSQL")
    device = demo["device"]
    goods_cache_variant(device=device)  # known already, as after any earlier list
    ids = list(Item.objects.values_list("pk", flat=True))
    building, go, built = threading.Event(), threading.Event(), []
    real = price_list._goods_of_items

    def slow_build(**kwargs):
        built.append(len(kwargs["ids"]))
        building.set()
        go.wait(10)
        return real(**kwargs)

    monkeypatch.setattr(price_list, "_goods_of_items", slow_build)
    written = []

    def fill():
        try:
            written.append(price_list.price_list_cache_fill(
                device=OfflineDevice.objects.get(pk=device.pk), ids=ids, on=dt.date.today()))
        finally:
            connections.close_all()

    first = threading.Thread(target=fill)
    first.start()
    assert building.wait(10)
    second = threading.Thread(target=fill)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waits for the first fill of the same variant
    go.set()
    first.join(10)
    second.join(10)
    assert built == [len(ids)] and sorted(written) == [0, len(ids)]


@pytest.mark.django_db(transaction=True)
def test_a_change_racing_a_block_fill_never_leaves_a_stale_block(demo, monkeypatch):
    """A block records the feed's position read before its Goods: a change committed meanwhile is above
    it, so the block the fill writes is never used."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race is proven on PostgreSQL")
    device = one_package(demo["device"])
    served(device)
    CachedGoodsBlock.objects.all().delete()
    item = Item.objects.get(article="КД-12")
    ids = list(Item.objects.filter(deletion_mark=False).order_by("pk").values_list("pk", flat=True))
    change_during_a_fill(monkeypatch, reader="goods_cache_read", item=item, value="445.00", fill=lambda: (
        price_list.price_list_block_fill(device=OfflineDevice.objects.get(pk=device.pk), ids=ids,
                                         on=dt.date.today())))
    keys = list(CachedGoodsBlock.objects.values_list("key", flat=True))
    assert keys and not goods_cache.goods_blocks_usable(variant_key=goods_cache_key(device=device), keys=keys,
                                                        on=dt.date.today())
    [content] = served(device)
    assert good(content, item.name).get("Price") == "445.00"
    assert content == from_the_base(device)


@pytest.mark.parametrize("change", ["name", "price"])
def test_a_change_between_the_plan_and_a_block_fill_leaves_the_block_unused(demo, monkeypatch, change):
    """A chain-wide list fills its blocks under the versions its plan read, with the feed's position read before
    them: an item changed after the plan makes its package's block one the claim finds stale, and the package
    goes out Good by Good, new."""
    device = one_package(demo["device"])
    served(device)
    Price.objects.update(value=F("value") + Decimal("1.00"))  # every block stale, every Good cached
    item = Item.objects.get(article="КД-12")
    fill = price_list.price_list_block_fill

    def changed_first(**kwargs):
        if change == "name":
            Item.objects.filter(pk=item.pk).update(name="Кубики после плана")
        else:
            Price.objects.filter(item=item, characteristic=None).update(value=Decimal("445.00"))
        assert kwargs["versions"] is not None  # the plan's
        return fill(**kwargs)

    monkeypatch.setattr(price_list, "price_list_block_fill", changed_first)
    monkeypatch.setattr("offline_exchange.services.transfers.price_list_block_fill", changed_first)
    device.refresh_from_db()
    transfer = transfer_prepare(device=device, full=False)
    answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
    goods = {g.get("UUID"): g for g in etree.fromstring(answer.content).iter(N + "Good")}
    ours = goods[str(item.uuid)]
    if change == "name":
        assert ours.get("Name") == "Кубики после плана"
    else:
        assert ours.get("Price") == "445.00"
