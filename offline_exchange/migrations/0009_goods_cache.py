import django.db.models.deletion
from django.db import migrations, models

UPGRADE_ERROR = ("Сервер обновлен во время передачи прайс-листа. "
                 "Запросите прайс-лист заново: следующая выгрузка сформирует его по-новому.")


def fail_unfinished_transfers(apps, schema_editor):
    """Packages written before the upgrade hold their goods inline and cannot be served any more: a
    device in the middle of a transfer gets a fault with the reason, and its next Prepare starts a new
    transfer (its registrations are kept, so nothing is lost)."""
    Transfer = apps.get_model("offline_exchange", "Transfer")
    TransferPackage = apps.get_model("offline_exchange", "TransferPackage")
    Transfer.objects.filter(completed_at=None).exclude(state="error").update(state="error", error=UPGRADE_ERROR)
    TransferPackage.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("offline_exchange", "0008_exchange_console"),
        ("retail", "0002_sales_import"),
    ]

    operations = [
        migrations.RunPython(fail_unfinished_transfers, migrations.RunPython.noop),
        migrations.RenameField("transferpackage", "content", "head"),
        migrations.AlterField(
            model_name="transferpackage", name="head", field=models.BinaryField(verbose_name="Документ без товаров"),
        ),
        migrations.AddField(
            model_name="transferpackage", name="item_ids",
            field=models.BinaryField(default=bytes, verbose_name="Товары пакета"),
        ),
        migrations.CreateModel(
            name="GoodsCacheVariant",
            fields=[
                ("key", models.CharField(editable=False, max_length=64, primary_key=True, serialize=False)),
                ("format_version", models.PositiveIntegerField(verbose_name="Версия формата обмена")),
                ("export_groups", models.BooleanField(verbose_name="Выгружать группы товаров")),
                ("balance_warehouse", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                                        related_name="+", to="retail.warehouse",
                                                        verbose_name="Склад остатков")),
                ("price_type", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="+", to="retail.pricetype", verbose_name="Вид цены")),
            ],
            options={"verbose_name": "Вариант кэша товаров", "verbose_name_plural": "Варианты кэша товаров"},
        ),
        migrations.CreateModel(
            name="CachedGood",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("content", models.BinaryField()),
                ("valid_until", models.DateField(null=True)),
                ("item", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE,
                                           related_name="+", to="retail.item")),
                ("variant", models.ForeignKey(db_constraint=False, db_index=False,
                                              on_delete=django.db.models.deletion.CASCADE,
                                              related_name="goods", to="offline_exchange.goodscachevariant")),
            ],
            options={
                "verbose_name": "Товар в кэше прайс-листа",
                "verbose_name_plural": "Кэш товаров прайс-листа",
                "indexes": [models.Index(fields=["variant", "item", "valid_until"], name="cached_good_usable")],
                "constraints": [models.UniqueConstraint(fields=("variant", "item"), name="cached_good_unique")],
            },
        ),
    ]
