"""The change feed (PROTOCOL §5.2): whatever writes a change — the admin, a file import, a management
command, the ORM's update()/bulk_*, raw SQL — it reaches the device's next incremental list, at a cost
that does not depend on the number of devices."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from offline_exchange.feed_sql import ITEM, ORDER, feed_triggers_create, trigger_names
from offline_exchange.models import ChangeFeedEntry, ExchangeRule, OfflineDevice, OrderDue, SkuCode, Transfer
from offline_exchange.services import price_list
from offline_exchange.services.feed import (
    FULL_RULE,
    FULL_SILENT,
    feed_changed,
    feed_compact,
    feed_high_water,
    feed_item_versions,
    feed_items_changed,
    price_list_changed_positions,
    price_list_full_reason,
)
from offline_exchange.services.transfers import package_next, transfer_prepare
from retail.models import (
    Barcode,
    Characteristic,
    CustomerOrder,
    CustomerOrderLine,
    Item,
    ItemGroup,
    Pack,
    Price,
    PriceType,
    StockBalance,
    Unit,
)
from retail.services.catalog import catalog_import
from tests.conftest import FMT_NS
from tests.offline_exchange.test_feed_triggers import installed as installed_triggers
from tests.offline_exchange.test_goods_cache import (
    _admin_post,
    _balance,
    _barcode,
    _group_code,
    _price_deleted,
    _price_today,
    _sku_number,
    _unit_code,
)

pytestmark = pytest.mark.django_db
N = f"{{{FMT_NS}}}"


def listed(device: OfflineDevice) -> OfflineDevice:
    """The device with one package a list, after its first (full) list."""
    device.items_per_package = 0
    device.save()
    assert transfer_list(device, full=True)
    return OfflineDevice.objects.get(pk=device.pk)


def transfer_list(device: OfflineDevice, *, full: bool = False) -> list:
    """A whole transfer as the device receives it: its Good elements."""
    device = OfflineDevice.objects.get(pk=device.pk)
    transfer = transfer_prepare(device=device, full=full)
    assert transfer.state == Transfer.State.READY, transfer.error
    goods = []
    while True:
        answer = package_next(device=device, transfer_id=str(transfer.pk), restart=False)
        assert answer.formed
        goods.extend(etree.fromstring(answer.content).iter("{*}Good"))
        if answer.transfer_completed:
            return goods


def of_item(goods: list, item: Item) -> list:
    return [g for g in goods if g.get("UUID") == str(item.uuid)]


def shown(goods: list, item: Item, value: str) -> bool:
    """The value appears anywhere in the item's Goods (an attribute of the Good, its characteristics, packs
    or barcodes), whatever their shape."""
    return any(value in (element.get(name) or "") for good in of_item(goods, item) for element in good.iter()
               for name in ("Name", "Price", "Balance", "Code", "UnitCode", "GroupCode", "Value"))


# table → (the row changed, its field, the new value, the item whose Good shows it, the value as shown)
def _row(table):
    return {
        "item": lambda: Item.objects.get(article="КД-12"),
        "characteristic": lambda: Characteristic.objects.filter(item__article="НД-02").order_by("pk").first(),
        "pack": lambda: Pack.objects.order_by("pk").first(),
        "barcode": lambda: Barcode.objects.filter(item__article="ШВ-1").order_by("pk").first(),
        "price": lambda: Price.objects.get(item__article="КД-12", characteristic=None),
        "stockbalance": lambda: StockBalance.objects.get(item__article="МР-15", characteristic=None),
        "skucode": lambda: SkuCode.objects.get(item__article="КЦ-24", characteristic=None, pack=None),
        "unit": lambda: Unit.objects.get(okei_code="166"),
        "itemgroup": lambda: ItemGroup.objects.get(name="Книги и канцтовары"),
    }[table]()


CHANGES = {
    "item": ("name", "Кубики «Новые»", "Кубики «Новые»"),
    "characteristic": ("name", "Размер 99", "Размер 99"),
    "pack": ("name", "Коробка новая", "Коробка новая"),
    "barcode": ("value", "4601234588881", "4601234588881"),
    "price": ("value", Decimal("321.00"), "321.00"),
    "stockbalance": ("quantity", Decimal("55"), "55.000"),
    "skucode": ("number", 987655, "987655"),
    "unit": ("okei_code", "168", "168"),
    "itemgroup": ("code", "K-98", "K-98"),
}


def _item_of(table, row) -> Item:
    if table == "item":
        return row
    if table == "unit":
        return Item.objects.filter(base_unit=row).order_by("pk").first()
    if table == "itemgroup":
        return Item.objects.filter(group=row).order_by("pk").first()
    return row.item


def _write(path: str, row, field: str, value) -> None:
    model = type(row)
    if path == "save":
        setattr(row, field, value)
        row.save()
    elif path == "update":
        model.objects.filter(pk=row.pk).update(**{field: value})
    elif path == "bulk_update":
        setattr(row, field, value)
        model.objects.bulk_update([row], [field])
    elif path == "raw_sql":
        column = model._meta.get_field(field).column
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET "
                           f"{connection.ops.quote_name(column)} = %s WHERE id = %s", [value, row.pk])
    else:
        raise AssertionError(path)


@pytest.mark.parametrize("path", ["save", "update", "bulk_update", "raw_sql"])
@pytest.mark.parametrize("table", list(CHANGES))
def test_every_write_of_every_table_reaches_the_next_incremental_list(demo, table, path):
    device = listed(demo["device"])
    row = _row(table)
    item = _item_of(table, row)
    field, value, as_shown = CHANGES[table]
    assert not shown(transfer_list(device), item, as_shown)  # nothing pending yet
    _write(path, row, field, value)
    goods = transfer_list(device)
    assert shown(goods, item, as_shown), [etree.tostring(g, encoding="unicode") for g in of_item(goods, item)]
    assert not of_item(transfer_list(device), item)  # delivered: not again until it changes


def _created(table: str):
    """(rows to bulk_create for this table, the item they belong to)."""
    item = Item.objects.get(article="ШВ-1")
    rows = {
        "characteristic": [Characteristic(item=item, name="Синий")],
        "pack": [Pack(item=item, name="Упаковка 10 шт", coefficient=Decimal("10"))],
        "barcode": [Barcode(item=item, value="4601234577771", barcode_type="EAN13")],
        "price": [Price(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("7.77"))],
        "stockbalance": [StockBalance(item=item, warehouse=OfflineDevice.objects.order_by("pk").first().rule.warehouse,
                                      quantity=Decimal("3"))],
    }[table]
    return rows, item


@pytest.mark.parametrize("table", ["characteristic", "pack", "barcode", "price", "stockbalance"])
def test_bulk_create_and_queryset_delete_reach_the_next_incremental_list(demo, table):
    device = listed(demo["device"])
    rows, item = _created(table)
    type(rows[0]).objects.bulk_create(rows)
    assert of_item(transfer_list(device), item)
    # A new position's SKU is generated while the list is built: a change too, sent once more at most.
    assert not of_item(transfer_list(device) and transfer_list(device), item)
    created = type(rows[0]).objects.filter(item=item).order_by("-pk")[:1]
    type(rows[0]).objects.filter(pk__in=list(created.values_list("pk", flat=True))).delete()
    assert of_item(transfer_list(device), item)


def test_a_new_item_created_by_bulk_create_reaches_the_list(demo):
    device = listed(demo["device"])
    [item] = Item.objects.bulk_create([Item(name="Новинка", base_unit=Unit.objects.get(okei_code="796"),
                                            vat_rate="20")])
    item = Item.objects.get(name="Новинка")
    Price.objects.bulk_create([Price(price_type=PriceType.objects.get(), item=item, date=dt.date.today(),
                                     value=Decimal("5"))])
    goods = transfer_list(device)
    assert [g.get("Name") for g in goods] == ["Новинка"] and of_item(goods, item)[0].get("Price") == "5.00"


@pytest.mark.parametrize("change", [_price_today, _balance, _unit_code, _group_code, _sku_number, _barcode,
                                    _price_deleted])
def test_an_admin_edit_reaches_the_next_incremental_list(demo, admin_client, change):
    device = listed(demo["device"])
    name, attribute, value = change(admin_client, demo)
    item = Item.objects.get(name=name)
    goods = transfer_list(device)
    assert of_item(goods, item)
    if value is not None:
        assert shown(goods, item, value)
    else:  # the price went: the Good has none now
        assert of_item(goods, item)[0].get(attribute) is None


def test_admin_edits_of_items_characteristics_and_packs_reach_the_list(demo, admin_client):
    device = listed(demo["device"])
    item = Item.objects.get(article="КД-12")
    _admin_post(admin_client, "retail_item", item, {
        "name": "Кубики из админки", "article": item.article, "description": item.description, "kind": item.kind,
        "group": item.group_id or "", "base_unit": item.base_unit_id, "vat_rate": item.vat_rate,
        "calculation_subject": item.calculation_subject, "marking_kind": item.marking_kind or "",
        "alcohol_kind_code": "", "alcohol_volume": "", "alcohol_strength": "", "alcohol_vendor_inn": "",
        "alcohol_vendor_kpp": "",
        **{f"{prefix}-{key}": number for prefix in ("characteristics", "packs", "barcodes", "prices")
           for key, number in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0),
                               ("MAX_NUM_FORMS", 1000))},
    })
    characteristic = Characteristic.objects.filter(item__article="НД-02").order_by("pk").first()
    _admin_post(admin_client, "retail_characteristic", characteristic,
                {"item": characteristic.item_id, "name": "Размер из админки"})
    pack = Pack.objects.order_by("pk").first()
    _admin_post(admin_client, "retail_pack", pack, {"item": pack.item_id, "name": "Упаковка из админки",
                                                    "coefficient": str(pack.coefficient)})
    goods = transfer_list(device)
    assert shown(goods, item, "Кубики из админки")
    assert shown(goods, characteristic.item, "Размер из админки")
    assert shown(goods, pack.item, "Упаковка из админки")


def test_a_file_import_reaches_the_next_incremental_list(demo):
    device = listed(demo["device"])
    item = Item.objects.get(article="КД-12")
    data = (f"price_type,item,characteristic,date,value\n"
            f"{PriceType.objects.get().name},{item.uuid},,{dt.date.today().isoformat()},654.00\n")
    outcome = catalog_import(model="prices", data=data.encode(), file_format="csv", dry_run=False)
    assert outcome.ok, outcome.errors
    goods = transfer_list(device)
    assert [g.get("UUID") for g in goods] == [str(item.uuid)] and goods[0].get("Price") == "654.00"


def test_a_management_command_reaches_the_next_incremental_list(demo, tmp_path):
    device = listed(demo["device"])
    item = Item.objects.get(article="ШВ-1")
    path = tmp_path / "barcodes.csv"
    path.write_text(f"value,item,characteristic,pack,barcode_type\n4601234566662,{item.uuid},,,EAN13\n",
                    encoding="utf-8")
    call_command("catalog_import", "barcodes", str(path))
    assert shown(transfer_list(device), item, "4601234566662")
    # demo_data brings an edited price back to the seed: that is a change too.
    Price.objects.filter(item__article="КД-12").update(value=Decimal("1.00"))
    transfer_list(device)
    call_command("demo_data")
    assert shown(transfer_list(device), Item.objects.get(article="КД-12"), "320.00")


@pytest.mark.parametrize("how", ["update", "admin"])
def test_a_moved_barcode_resends_both_items_and_the_old_one_no_longer_carries_it(demo, admin_client, how):
    device = listed(demo["device"])
    barcode = Barcode.objects.filter(item__article="ШВ-1", characteristic=None, pack=None).order_by("pk").first()
    old, new = barcode.item, Item.objects.get(article="КД-12")
    if how == "update":
        Barcode.objects.filter(pk=barcode.pk).update(item=new)
    else:
        _admin_post(admin_client, "retail_barcode", barcode, {
            "value": barcode.value, "item": new.pk, "characteristic": "", "pack": "",
            "barcode_type": barcode.barcode_type})
    goods = transfer_list(device)
    assert sorted(g.get("UUID") for g in goods) == sorted([str(old.uuid), str(new.uuid)])
    assert shown(goods, new, barcode.value) and not shown(goods, old, barcode.value)


def test_a_price_dated_tomorrow_comes_in_tomorrows_list_not_todays(demo, monkeypatch):
    device = listed(demo["device"])
    item = Item.objects.get(article="КМ-30")
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=tomorrow, value=Decimal("999.00"))
    # Today the item goes (it was written to), with the price in force today: nothing is sent early.
    [good] = transfer_list(device)
    assert good.get("Price") == "899.00"
    assert transfer_list(device) == []
    # Tomorrow, with no edit at all, the new price comes into force and goes out.
    monkeypatch.setattr(price_list, "price_day", lambda: tomorrow)
    [good] = transfer_list(device)
    assert good.get("UUID") == str(item.uuid) and good.get("Price") == "999.00"
    assert transfer_list(device) == []


def test_a_dated_price_reaches_a_device_whose_first_list_after_its_day_comes_later(demo, monkeypatch):
    device = listed(demo["device"])
    item = Item.objects.get(article="КМ-30")
    in_three_days = dt.date.today() + dt.timedelta(days=3)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=in_three_days, value=Decimal("111.00"))
    transfer_list(device)
    monkeypatch.setattr(price_list, "price_day", lambda: in_three_days + dt.timedelta(days=2))
    [good] = transfer_list(device)  # the register was off on the day itself
    assert good.get("Price") == "111.00"


def test_get_price_list_carries_the_changes_and_dated_prices_too(demo, monkeypatch):
    from offline_exchange.services.transfers import price_list_deliver

    device = listed(demo["device"])
    item = Item.objects.get(article="КМ-30")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=tomorrow, value=Decimal("998.00"))
    assert b'Price="899.00"' in price_list_deliver(device=OfflineDevice.objects.get(pk=device.pk))
    assert b"<Good " not in price_list_deliver(device=OfflineDevice.objects.get(pk=device.pk))
    monkeypatch.setattr(price_list, "price_day", lambda: tomorrow)
    assert b'Price="998.00"' in price_list_deliver(device=OfflineDevice.objects.get(pk=device.pk))


def test_a_change_made_while_a_transfer_is_handed_out_goes_in_the_next_one(demo):
    device = demo["device"]
    device.items_per_package = 2
    device.save()
    transfer_list(device, full=True)
    item = Item.objects.get(article="ПЯ-90")
    Item.objects.filter(article="КД-12").update(description="Изменено до выгрузки")
    transfer = transfer_prepare(device=OfflineDevice.objects.get(pk=device.pk), full=False)
    Price.objects.create(price_type=PriceType.objects.get(), item=item, date=dt.date.today(), value=Decimal("58.00"))
    while not package_next(device=device, transfer_id=str(transfer.pk), restart=False).transfer_completed:
        pass
    goods = transfer_list(device)  # the item and its pack of 6: one Good per position
    assert {good.get("UUID") for good in goods} == {str(item.uuid)}
    assert [good.get("Price") for good in goods if not good.get("HasPacks")] == ["58.00"]


def test_a_rule_change_makes_the_next_list_full(demo):
    device = listed(demo["device"])
    rule = ExchangeRule.objects.get(pk=device.rule_id)
    rule.export_groups = False
    rule.save()
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == FULL_RULE
    assert transfer_prepare(device=OfflineDevice.objects.get(pk=device.pk), full=False).full
    transfer_list(device)  # that full list completes
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == ""
    rule.filter_groups.add(ItemGroup.objects.get(name="Книги и канцтовары"))  # the filter, an m2m table
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == FULL_RULE
    transfer_list(device)
    rule.refresh_from_db()
    rule.name = "Другое имя"  # not what the list is selected by
    rule.save()
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == ""


def test_orders_go_again_when_they_or_their_lines_change_whatever_writes_them(demo, client, device_id):
    from offline_exchange.services.exports import orders_export

    def received():  # what the register proves by selling the orders (orders stay due until then)
        OrderDue.objects.filter(device=device).delete()

    device = OfflineDevice.objects.get(pk=demo["device"].pk)
    assert b"<Order " in orders_export(device=device)
    received()
    assert b"<Order " not in orders_export(device=device)
    order = CustomerOrder.objects.get()
    CustomerOrderLine.objects.filter(order=order).update(quantity=Decimal("3"))
    assert b"<Order " in orders_export(device=device)
    received()
    assert b"<Order " not in orders_export(device=device)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CustomerOrder._meta.db_table} SET comment = %s WHERE id = %s", ["SQL", order.pk])
    assert b"<Order " in orders_export(device=device)


@pytest.mark.parametrize("devices", [2, 50])
def test_rows_written_by_a_repricing_do_not_depend_on_the_number_of_devices(demo, devices):
    template = demo["device"]
    for number in range(devices - 2):  # the demo has two registers
        OfflineDevice.objects.create(name=f"Касса {number}", organization=template.organization, rule=template.rule,
                                     device_id=f"EXTRA-{number:04d}")
    assert OfflineDevice.objects.filter(in_use=True).count() == devices
    items = Item.objects.count()
    before = ChangeFeedEntry.objects.count()
    Price.objects.update(value=Decimal("10.00"))
    written = ChangeFeedEntry.objects.count() - before
    priced = Price.objects.values("item").distinct().count()
    assert written == priced <= items  # one row per repriced item, whatever the number of registers


def test_compaction_keeps_what_a_device_still_needs(demo, settings):
    settings.EQUIPMENT_SERVICE_FEED_RETENTION_DAYS = 7
    device = listed(demo["device"])
    other = OfflineDevice.objects.create(name="Вторая касса", organization=device.organization, rule=device.rule,
                                         device_id="SECOND-0001")
    listed(other)
    long_ago = timezone.now() - dt.timedelta(days=30)
    puzzle, beetle = Item.objects.get(article="79052"), Item.objects.get(article="П-0780")
    Item.objects.filter(pk=puzzle.pk).update(description="Первое изменение")
    Item.objects.filter(pk=puzzle.pk).update(description="Второе изменение")
    assert of_item(transfer_list(device), puzzle) and of_item(transfer_list(other), puzzle)
    Item.objects.filter(pk=beetle.pk).update(description="Изменение")
    transfer_list(other)  # the second register has it; the first not yet
    ChangeFeedEntry.objects.update(created_at=long_ago)  # all of it older than the retention
    assert feed_compact() > 0
    # The superseded row of the puzzle went, its last one stays (its version); the beetle's row, which the
    # first register has not received, stays.
    assert ChangeFeedEntry.objects.filter(kind=ITEM, object_id=puzzle.pk).count() == 1
    assert ChangeFeedEntry.objects.filter(kind=ITEM, object_id=beetle.pk).exists()
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == ""
    goods = transfer_list(device)
    assert [g.get("UUID") for g in goods] == [str(beetle.uuid)]


def test_a_device_silent_longer_than_the_retention_gets_a_full_list(demo, settings, admin_client):
    settings.EQUIPMENT_SERVICE_FEED_RETENTION_DAYS = 7
    device = listed(demo["device"])
    other = listed(OfflineDevice.objects.create(name="Вторая касса", organization=device.organization,
                                                rule=device.rule, device_id="SECOND-0002"))
    OfflineDevice.objects.filter(pk=device.pk).update(price_list_delivered_at=timezone.now() - dt.timedelta(days=30))
    CustomerOrder.objects.update(comment="Изменен")
    Item.objects.filter(article="79052").update(description="Изменение")
    from offline_exchange.services.exports import orders_export
    transfer_list(other)  # the register in use has what changed; the silent one holds nothing back
    orders_export(device=OfflineDevice.objects.get(pk=other.pk))
    ChangeFeedEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=10))
    assert feed_compact() > 0
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=device.pk)) == FULL_SILENT
    assert price_list_full_reason(device=OfflineDevice.objects.get(pk=other.pk)) == ""
    assert FULL_SILENT in admin_client.get("/admin/offline_exchange/exchangeconsole/").content.decode()
    assert transfer_prepare(device=OfflineDevice.objects.get(pk=device.pk), full=False).full
    # The silent device's orders all go again: the rows it had not received are gone.
    assert b"<Order " in orders_export(device=OfflineDevice.objects.get(pk=device.pk))


def test_compaction_runs_as_a_command_and_as_a_task(demo, settings):
    from offline_exchange.tasks import change_feed_compact

    settings.EQUIPMENT_SERVICE_FEED_RETENTION_DAYS = 1
    Item.objects.update(description="Изменение")
    Item.objects.update(description="Еще изменение")
    ChangeFeedEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    OfflineDevice.objects.update(in_use=False)
    call_command("feed_compact")
    assert ChangeFeedEntry.objects.filter(kind=ITEM).count() == Item.objects.count()  # each item's last row
    Item.objects.update(description="Третье изменение")
    ChangeFeedEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    change_feed_compact.call()
    assert ChangeFeedEntry.objects.filter(kind=ITEM).count() == Item.objects.count()
    assert feed_high_water() >= ChangeFeedEntry.objects.order_by("-id").first().id


def test_every_trigger_exists_and_survives_a_table_rebuild(demo):
    assert set(installed_triggers()) == set(trigger_names(connection.vendor))
    if connection.vendor == "sqlite":
        # SQLite alters a table by copying it: its triggers go; migrate's post_migrate puts them back.
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER feed_retail_price_upd")
        assert "feed_retail_price_upd" not in installed_triggers()
        feed_triggers_create(connection)
        assert set(installed_triggers()) == set(trigger_names(connection.vendor))


def test_an_unchanged_save_records_nothing(demo):
    before = feed_high_water()
    item = Item.objects.get(article="КД-12")
    item.save()
    Price.objects.filter(item=item).update(value=Price.objects.get(item=item, characteristic=None).value)
    assert feed_items_changed(after=before) == set()
    assert feed_changed(kind=ORDER, after=before) == set()


def test_incremental_list_carries_only_the_rules_goods(demo):
    device = listed(demo["device"])
    rule = device.rule
    rule.filter_groups.add(ItemGroup.objects.get(name="Книги и канцтовары"))
    transfer_list(device)  # the full list after the rule change
    Item.objects.update(description="Все изменены")
    goods = transfer_list(device)
    assert goods and all(
        Item.objects.get(uuid=g.get("UUID")).group.name == "Книги и канцтовары" for g in goods)
    assert reverse("admin:offline_exchange_exchangeconsole_changelist")


def test_the_feeds_reads_leave_distinct_rows_to_python_and_give_the_same_answers(demo):
    """No DISTINCT or GROUP BY over the feed on PostgreSQL: its hash aggregate over a large range can explode into
    hundreds of thousands of batches when its statistics lag (a 0.4 s read took 6 minutes after a chain-wide
    repricing). The answers are what an aggregate gives: each item once, its last position its version."""
    device = listed(demo["device"])
    item = Item.objects.first()
    for value in ("101.00", "102.00", "103.00"):  # three rows of one item above the device's position
        Price.objects.filter(item=item).update(value=Decimal(value))
    ids = list(Item.objects.values_list("pk", flat=True))
    upto = feed_high_water()
    with CaptureQueriesContext(connection) as queries:
        changed = feed_items_changed(after=device.price_list_watermark, upto=upto)
        versions, some = feed_item_versions(item_ids=None), feed_item_versions(item_ids=ids)
        positions = price_list_changed_positions(device=device, upto=upto, on=dt.date.today())
    feed = ChangeFeedEntry._meta.db_table
    reads = [query["sql"] for query in queries.captured_queries if feed in query["sql"]]
    assert len(reads) == 4
    # SQLite plans no hash aggregate: an item's last row is taken as its index is walked (a catalog just loaded
    # has several rows an item); its other reads stay plain too.
    aggregated = [sql for sql in reads if "DISTINCT" in sql.upper() or "GROUP BY" in sql.upper()]
    if connection.vendor == "sqlite":
        assert len(aggregated) == 2 and all("MAX(id)" in sql and "kind = 1 " in sql for sql in aggregated)
    else:
        assert not aggregated
    assert changed == {item.pk} and set(positions) == {item.pk}
    expected = dict(ChangeFeedEntry.objects.filter(kind=ITEM).values("object_id").annotate(last=Max("id"))
                    .values_list("object_id", "last"))
    assert versions == expected
    assert some == {pk: version for pk, version in expected.items() if pk in ids}
