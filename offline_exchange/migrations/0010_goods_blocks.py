import django.db.models.deletion
from django.db import migrations, models


def store_blocks_uncompressed(apps, schema_editor):
    """On PostgreSQL a block (half a megabyte of Goods) goes out of line, and by default compressed: every
    package served would decompress it. Stored as it is, reading it is a copy."""
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("offline_exchange", "CachedGoodsBlock")._meta.db_table)
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
        migrations.RunPython(store_blocks_uncompressed, migrations.RunPython.noop),
    ]
