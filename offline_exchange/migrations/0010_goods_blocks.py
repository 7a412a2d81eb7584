import django.db.models.deletion
from django.db import migrations, models


def store_blocks_for_fast_reads(apps, schema_editor):
    """On PostgreSQL a block (half a megabyte of Goods) is stored out of line, by default compressed with
    pglz, which every package served would spend longer undoing than reading. lz4 (PostgreSQL 14+, when
    built with it, as Debian's is) is undone faster than the uncompressed bytes are read; without it the
    block is stored as it is."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import DatabaseError, transaction

    table = schema_editor.quote_name(apps.get_model("offline_exchange", "CachedGoodsBlock")._meta.db_table)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN content SET COMPRESSION lz4")
    except DatabaseError:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN content SET STORAGE EXTERNAL")


class Migration(migrations.Migration):

    dependencies = [
        ("offline_exchange", "0009_goods_cache"),
    ]

    operations = [
        migrations.CreateModel(
            name="CachedGoodsBlock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=32)),
                ("digest", models.CharField(max_length=32)),
                ("first_item_id", models.BigIntegerField()),
                ("last_item_id", models.BigIntegerField()),
                ("content", models.BinaryField()),
                ("valid_until", models.DateField(null=True)),
                ("used_on", models.DateField()),
                ("variant", models.ForeignKey(db_constraint=False, db_index=False,
                                              on_delete=django.db.models.deletion.CASCADE, related_name="blocks",
                                              to="offline_exchange.goodscachevariant")),
            ],
            options={
                "verbose_name": "Блок товаров в кэше прайс-листа",
                "verbose_name_plural": "Блоки товаров в кэше прайс-листа",
                "indexes": [models.Index(fields=["first_item_id", "last_item_id"], name="cached_goods_block_items")],
                "constraints": [models.UniqueConstraint(fields=("variant", "key"), name="cached_goods_block_unique")],
            },
        ),
        migrations.RunPython(store_blocks_for_fast_reads, migrations.RunPython.noop),
    ]
