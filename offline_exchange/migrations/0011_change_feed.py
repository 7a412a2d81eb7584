"""The change feed replaces the per-device registrations (PROTOCOL §5.2).

Devices with registrations pending get a full list next time (nothing pending is lost); the others go
on with incremental lists from the feed's start. Orders registered for a device are put in the feed, so
they still go. Then the feed's triggers are created (on PostgreSQL; their SQL as it stood then is kept
below, see POSTGRESQL_TRIGGERS) and the registrations dropped.
"""

import django.db.models.functions.datetime
from django.db import migrations, models


def from_registrations(apps, schema_editor):
    from django.utils import timezone

    Device = apps.get_model("offline_exchange", "OfflineDevice")
    ChangeRegistration = apps.get_model("offline_exchange", "ChangeRegistration")
    OrderRegistration = apps.get_model("offline_exchange", "OrderRegistration")
    Feed = apps.get_model("offline_exchange", "ChangeFeedEntry")
    pending = set(ChangeRegistration.objects.values_list("device_id", flat=True).distinct())
    for device in Device.objects.select_related("rule"):
        if device.price_list_delivered_at is None or device.pk in pending:
            continue  # full next time: no watermark
        device.price_list_watermark = 0
        delivered = device.price_list_delivered_at
        device.price_list_on = delivered.date() if timezone.is_naive(delivered) else timezone.localdate(delivered)
        device.price_list_rule_state = f"{device.rule_id}:{device.rule.revision}"
        device.save(update_fields=["price_list_watermark", "price_list_on", "price_list_rule_state"])
    Device.objects.update(orders_watermark=0)
    Feed.objects.bulk_create([Feed(kind=2, object_id=order_id) for order_id in
                              OrderRegistration.objects.values_list("order_id", flat=True).distinct()])


# The change feed's triggers on PostgreSQL exactly as this migration created them (the SQL of
# offline_exchange/feed_sql.py as it stood then, before the feed had its scope columns): one statement a
# line. Frozen here, so an edit of today's triggers never changes what this migration runs; post_migrate
# (offline_exchange.apps) replaces them with today's after every migrate. On SQLite this migration
# creates none: post_migrate creates them once every migration has run (offline_exchange.apps says why).
POSTGRESQL_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION feed_lock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(-429562524, 0); RETURN NULL; END $$
CREATE TRIGGER feed_retail_item_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_item" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_item_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_item_ins AFTER INSERT ON "retail_item" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_item_ins()
CREATE OR REPLACE FUNCTION feed_retail_item_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_item_del AFTER DELETE ON "retail_item" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_item_del()
CREATE OR REPLACE FUNCTION feed_retail_item_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_item_upd AFTER UPDATE ON "retail_item" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_item_upd()
CREATE TRIGGER feed_retail_characteristic_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_characteristic" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_characteristic_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_characteristic_ins AFTER INSERT ON "retail_characteristic" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_characteristic_ins()
CREATE OR REPLACE FUNCTION feed_retail_characteristic_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_characteristic_del AFTER DELETE ON "retail_characteristic" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_characteristic_del()
CREATE OR REPLACE FUNCTION feed_retail_characteristic_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_characteristic_upd AFTER UPDATE ON "retail_characteristic" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_characteristic_upd()
CREATE TRIGGER feed_retail_pack_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_pack" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_pack_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_pack_ins AFTER INSERT ON "retail_pack" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_pack_ins()
CREATE OR REPLACE FUNCTION feed_retail_pack_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_pack_del AFTER DELETE ON "retail_pack" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_pack_del()
CREATE OR REPLACE FUNCTION feed_retail_pack_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_pack_upd AFTER UPDATE ON "retail_pack" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_pack_upd()
CREATE TRIGGER feed_retail_barcode_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_barcode" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_barcode_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_barcode_ins AFTER INSERT ON "retail_barcode" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_barcode_ins()
CREATE OR REPLACE FUNCTION feed_retail_barcode_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_barcode_del AFTER DELETE ON "retail_barcode" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_barcode_del()
CREATE OR REPLACE FUNCTION feed_retail_barcode_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_barcode_upd AFTER UPDATE ON "retail_barcode" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_barcode_upd()
CREATE TRIGGER feed_retail_price_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_price" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_price_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_price_ins AFTER INSERT ON "retail_price" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_price_ins()
CREATE OR REPLACE FUNCTION feed_retail_price_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_price_del AFTER DELETE ON "retail_price" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_price_del()
CREATE OR REPLACE FUNCTION feed_retail_price_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_price_upd AFTER UPDATE ON "retail_price" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_price_upd()
CREATE TRIGGER feed_retail_stockbalance_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_stockbalance" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_stockbalance_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_stockbalance_ins AFTER INSERT ON "retail_stockbalance" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_stockbalance_ins()
CREATE OR REPLACE FUNCTION feed_retail_stockbalance_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_stockbalance_del AFTER DELETE ON "retail_stockbalance" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_stockbalance_del()
CREATE OR REPLACE FUNCTION feed_retail_stockbalance_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_stockbalance_upd AFTER UPDATE ON "retail_stockbalance" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_stockbalance_upd()
CREATE TRIGGER feed_offline_exchange_skucode_lock BEFORE INSERT OR UPDATE OR DELETE ON "offline_exchange_skucode" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_offline_exchange_skucode_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_skucode_ins AFTER INSERT ON "offline_exchange_skucode" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_offline_exchange_skucode_ins()
CREATE OR REPLACE FUNCTION feed_offline_exchange_skucode_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT DISTINCT "item_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_skucode_del AFTER DELETE ON "offline_exchange_skucode" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_offline_exchange_skucode_del()
CREATE OR REPLACE FUNCTION feed_offline_exchange_skucode_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, x FROM (SELECT n."item_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."item_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_skucode_upd AFTER UPDATE ON "offline_exchange_skucode" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_offline_exchange_skucode_upd()
CREATE TRIGGER feed_retail_customerorder_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_customerorder" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_customerorder_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorder_ins AFTER INSERT ON "retail_customerorder" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorder_ins()
CREATE OR REPLACE FUNCTION feed_retail_customerorder_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorder_del AFTER DELETE ON "retail_customerorder" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorder_del()
CREATE OR REPLACE FUNCTION feed_retail_customerorder_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT n."id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorder_upd AFTER UPDATE ON "retail_customerorder" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorder_upd()
CREATE TRIGGER feed_retail_customerorderline_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_customerorderline" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_customerorderline_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "order_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderline_ins AFTER INSERT ON "retail_customerorderline" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderline_ins()
CREATE OR REPLACE FUNCTION feed_retail_customerorderline_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "order_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderline_del AFTER DELETE ON "retail_customerorderline" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderline_del()
CREATE OR REPLACE FUNCTION feed_retail_customerorderline_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT n."order_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."order_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderline_upd AFTER UPDATE ON "retail_customerorderline" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderline_upd()
CREATE TRIGGER feed_retail_customerorderpayment_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_customerorderpayment" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_customerorderpayment_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "order_id" AS x FROM new_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderpayment_ins AFTER INSERT ON "retail_customerorderpayment" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderpayment_ins()
CREATE OR REPLACE FUNCTION feed_retail_customerorderpayment_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT DISTINCT "order_id" AS x FROM old_rows) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderpayment_del AFTER DELETE ON "retail_customerorderpayment" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderpayment_del()
CREATE OR REPLACE FUNCTION feed_retail_customerorderpayment_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 2, x FROM (SELECT n."order_id" AS x FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o UNION SELECT o."order_id" FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o) changed WHERE x IS NOT NULL; RETURN NULL; END $$
CREATE TRIGGER feed_retail_customerorderpayment_upd AFTER UPDATE ON "retail_customerorderpayment" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_customerorderpayment_upd()
CREATE TRIGGER feed_retail_unit_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_unit" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_unit_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, i.id FROM retail_item i WHERE i."base_unit_id" IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o); RETURN NULL; END $$
CREATE TRIGGER feed_retail_unit_upd AFTER UPDATE ON "retail_unit" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_unit_upd()
CREATE TRIGGER feed_retail_itemgroup_lock BEFORE INSERT OR UPDATE OR DELETE ON "retail_itemgroup" FOR EACH STATEMENT EXECUTE FUNCTION feed_lock()
CREATE OR REPLACE FUNCTION feed_retail_itemgroup_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, i.id FROM retail_item i WHERE i."group_id" IN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o); RETURN NULL; END $$
CREATE TRIGGER feed_retail_itemgroup_upd AFTER UPDATE ON "retail_itemgroup" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_retail_itemgroup_upd()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangerule_rev() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "offline_exchange_exchangerule" SET revision = GREATEST(OLD.revision, NEW.revision) + 1 WHERE id = NEW.id; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangerule_rev AFTER UPDATE ON "offline_exchange_exchangerule" FOR EACH ROW WHEN (OLD."warehouse_id" IS DISTINCT FROM NEW."warehouse_id" OR OLD."export_groups" IS DISTINCT FROM NEW."export_groups" OR OLD."filter_kinds" IS DISTINCT FROM NEW."filter_kinds" OR NEW.revision < OLD.revision) EXECUTE FUNCTION feed_offline_exchange_exchangerule_rev()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangerule_filter_groups_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "offline_exchange_exchangerule" SET revision = revision + 1 WHERE id = NEW.exchangerule_id; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangerule_filter_groups_ins AFTER INSERT ON "offline_exchange_exchangerule_filter_groups" FOR EACH ROW EXECUTE FUNCTION feed_offline_exchange_exchangerule_filter_groups_ins()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangerule_filter_groups_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "offline_exchange_exchangerule" SET revision = revision + 1 WHERE id = OLD.exchangerule_id; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangerule_filter_groups_del AFTER DELETE ON "offline_exchange_exchangerule_filter_groups" FOR EACH ROW EXECUTE FUNCTION feed_offline_exchange_exchangerule_filter_groups_del()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangerule_filter_items_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "offline_exchange_exchangerule" SET revision = revision + 1 WHERE id = NEW.exchangerule_id; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangerule_filter_items_ins AFTER INSERT ON "offline_exchange_exchangerule_filter_items" FOR EACH ROW EXECUTE FUNCTION feed_offline_exchange_exchangerule_filter_items_ins()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangerule_filter_items_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "offline_exchange_exchangerule" SET revision = revision + 1 WHERE id = OLD.exchangerule_id; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangerule_filter_items_del AFTER DELETE ON "offline_exchange_exchangerule_filter_items" FOR EACH ROW EXECUTE FUNCTION feed_offline_exchange_exchangerule_filter_items_del()
CREATE OR REPLACE FUNCTION feed_offline_exchange_exchangesettings_sku() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(-429562524, 0); INSERT INTO offline_exchange_changefeedentry (kind, object_id) SELECT 1, id FROM retail_item; RETURN NULL; END $$
CREATE TRIGGER feed_offline_exchange_exchangesettings_sku AFTER UPDATE ON "offline_exchange_exchangesettings" FOR EACH ROW WHEN (NEW.auto_generate_sku AND NOT OLD.auto_generate_sku) EXECUTE FUNCTION feed_offline_exchange_exchangesettings_sku()
"""

# The tables the triggers are on, and the feed's own.
TABLES = [
    "offline_exchange_changefeedentry",
    "offline_exchange_exchangerule",
    "offline_exchange_exchangerule_filter_groups",
    "offline_exchange_exchangerule_filter_items",
    "offline_exchange_exchangesettings",
    "offline_exchange_skucode",
    "retail_barcode",
    "retail_characteristic",
    "retail_customerorder",
    "retail_customerorderline",
    "retail_customerorderpayment",
    "retail_item",
    "retail_itemgroup",
    "retail_pack",
    "retail_price",
    "retail_stockbalance",
    "retail_unit",
]

# (trigger, its table) of every trigger of the feed; SQLite's have no *_lock ones.
TRIGGERS = [
    ("feed_retail_item_ins", "retail_item"),
    ("feed_retail_item_upd", "retail_item"),
    ("feed_retail_item_del", "retail_item"),
    ("feed_retail_item_lock", "retail_item"),
    ("feed_retail_characteristic_ins", "retail_characteristic"),
    ("feed_retail_characteristic_upd", "retail_characteristic"),
    ("feed_retail_characteristic_del", "retail_characteristic"),
    ("feed_retail_characteristic_lock", "retail_characteristic"),
    ("feed_retail_pack_ins", "retail_pack"),
    ("feed_retail_pack_upd", "retail_pack"),
    ("feed_retail_pack_del", "retail_pack"),
    ("feed_retail_pack_lock", "retail_pack"),
    ("feed_retail_barcode_ins", "retail_barcode"),
    ("feed_retail_barcode_upd", "retail_barcode"),
    ("feed_retail_barcode_del", "retail_barcode"),
    ("feed_retail_barcode_lock", "retail_barcode"),
    ("feed_retail_price_ins", "retail_price"),
    ("feed_retail_price_upd", "retail_price"),
    ("feed_retail_price_del", "retail_price"),
    ("feed_retail_price_lock", "retail_price"),
    ("feed_retail_stockbalance_ins", "retail_stockbalance"),
    ("feed_retail_stockbalance_upd", "retail_stockbalance"),
    ("feed_retail_stockbalance_del", "retail_stockbalance"),
    ("feed_retail_stockbalance_lock", "retail_stockbalance"),
    ("feed_offline_exchange_skucode_ins", "offline_exchange_skucode"),
    ("feed_offline_exchange_skucode_upd", "offline_exchange_skucode"),
    ("feed_offline_exchange_skucode_del", "offline_exchange_skucode"),
    ("feed_offline_exchange_skucode_lock", "offline_exchange_skucode"),
    ("feed_retail_customerorder_ins", "retail_customerorder"),
    ("feed_retail_customerorder_upd", "retail_customerorder"),
    ("feed_retail_customerorder_del", "retail_customerorder"),
    ("feed_retail_customerorder_lock", "retail_customerorder"),
    ("feed_retail_customerorderline_ins", "retail_customerorderline"),
    ("feed_retail_customerorderline_upd", "retail_customerorderline"),
    ("feed_retail_customerorderline_del", "retail_customerorderline"),
    ("feed_retail_customerorderline_lock", "retail_customerorderline"),
    ("feed_retail_customerorderpayment_ins", "retail_customerorderpayment"),
    ("feed_retail_customerorderpayment_upd", "retail_customerorderpayment"),
    ("feed_retail_customerorderpayment_del", "retail_customerorderpayment"),
    ("feed_retail_customerorderpayment_lock", "retail_customerorderpayment"),
    ("feed_retail_unit_upd", "retail_unit"),
    ("feed_retail_unit_lock", "retail_unit"),
    ("feed_retail_itemgroup_upd", "retail_itemgroup"),
    ("feed_retail_itemgroup_lock", "retail_itemgroup"),
    ("feed_offline_exchange_exchangerule_rev", "offline_exchange_exchangerule"),
    ("feed_offline_exchange_exchangerule_filter_groups_ins", "offline_exchange_exchangerule_filter_groups"),
    ("feed_offline_exchange_exchangerule_filter_groups_del", "offline_exchange_exchangerule_filter_groups"),
    ("feed_offline_exchange_exchangerule_filter_items_ins", "offline_exchange_exchangerule_filter_items"),
    ("feed_offline_exchange_exchangerule_filter_items_del", "offline_exchange_exchangerule_filter_items"),
    ("feed_offline_exchange_exchangesettings_sku", "offline_exchange_exchangesettings"),
]


def triggers_create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        return  # created by post_migrate, once every migration has run (offline_exchange.apps says why)
    with connection.cursor() as cursor:
        if not set(TABLES) <= set(connection.introspection.table_names(cursor)):
            raise RuntimeError("the change feed's tables are missing")
    triggers_drop(apps, schema_editor)
    with connection.cursor() as cursor:
        for statement in POSTGRESQL_TRIGGERS.strip().splitlines():
            cursor.execute(statement)


def triggers_drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for name, table in TRIGGERS:
            if connection.vendor == "postgresql":
                if table in existing:
                    cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            elif not name.endswith("_lock"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('offline_exchange', '0010_goods_blocks'),
        ('retail', '0002_sales_import'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChangeFeedEntry',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('kind', models.PositiveSmallIntegerField(choices=[(1, 'Номенклатура'), (2, 'Заказ покупателя')], verbose_name='Вид')),
                ('object_id', models.BigIntegerField(verbose_name='Объект')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), verbose_name='Время')),
            ],
            options={
                'verbose_name': 'Изменение в ленте',
                'verbose_name_plural': 'Лента изменений',
            },
        ),
        migrations.CreateModel(
            name='ChangeFeedState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('horizon', models.BigIntegerField(default=0)),
                ('compacted_at', models.DateTimeField(null=True)),
            ],
            options={
                'verbose_name': 'Состояние ленты изменений',
                'verbose_name_plural': 'Состояние ленты изменений',
            },
        ),
        migrations.RemoveIndex(
            model_name='cachedgood',
            name='cached_good_usable',
        ),
        migrations.RemoveField(
            model_name='transfer',
            name='registration_watermark',
        ),
        migrations.AddField(
            model_name='cachedgood',
            name='seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='cachedgoodsblock',
            name='seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='exchangerule',
            name='revision',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='Версия отбора'),
        ),
        migrations.AddField(
            model_name='offlinedevice',
            name='orders_watermark',
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='Позиция ленты изменений заказов'),
        ),
        migrations.AddField(
            model_name='offlinedevice',
            name='price_list_on',
            field=models.DateField(blank=True, editable=False, null=True, verbose_name='Цены прайс-листа на дату'),
        ),
        migrations.AddField(
            model_name='offlinedevice',
            name='price_list_rule_state',
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name='offlinedevice',
            name='price_list_watermark',
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='Позиция ленты изменений прайс-листа'),
        ),
        migrations.AddField(
            model_name='transfer',
            name='feed_watermark',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='transfer',
            name='price_day',
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name='transfer',
            name='rule_state',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddIndex(
            model_name='cachedgood',
            index=models.Index(fields=['variant', 'item', 'valid_until', 'seq'], name='cached_good_usable_seq'),
        ),
        migrations.AddIndex(
            model_name='changefeedentry',
            index=models.Index(fields=['kind', 'object_id', 'id'], name='change_feed_object'),
        ),
        migrations.AddIndex(
            model_name='changefeedentry',
            index=models.Index(fields=['created_at'], name='change_feed_created'),
        ),
        migrations.RunPython(from_registrations, migrations.RunPython.noop),
        migrations.RunPython(triggers_create, triggers_drop),
        migrations.DeleteModel(
            name='ChangeRegistration',
        ),
        migrations.DeleteModel(
            name='OrderRegistration',
        ),
    ]
