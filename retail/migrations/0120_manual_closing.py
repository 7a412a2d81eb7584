"""Customer orders close as in 1C by default: a fully sold and paid order becomes «Готов к закрытию» and a
person closes it (the «Закрыть заказ» action); the automatic closing is the setting.

Only new installations get the new default. An existing installation keeps the closing it runs on: a store
whose orders close by themselves when the courier's report posts would otherwise find them piling up
«Готов к закрытию» after an upgrade, with nothing telling it why. Its stored settings row already holds its
choice (changing the column default touches no row); a base in use that never saved the settings ran on the
old default, so it gets a row saying so. A freshly migrated base has no data yet and gets the new default.
"""
from django.db import migrations, models

IN_USE = ("Organization", "Store", "Item", "CustomerOrder", "RetailSalesReport")


def keep_automatic_closing(apps, schema_editor):
    Settings = apps.get_model("retail", "AccountingSettings")
    if Settings.objects.exists():
        return
    if any(apps.get_model("retail", name).objects.exists() for name in IN_USE):
        Settings.objects.create(pk=1, manual_order_closing=False)


class Migration(migrations.Migration):

    dependencies = [
        ("retail", "0100_cost"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accountingsettings",
            name="manual_order_closing",
            field=models.BooleanField(
                default=True,
                help_text="Как в 1С: полностью проданный и оплаченный заказ получает состояние «Готов к закрытию», "
                          "а закрывает его пользователь. Выключено — такой заказ закрывается автоматически.",
                verbose_name="Закрывать заказы покупателей вручную"),
        ),
        migrations.RunPython(keep_automatic_closing, migrations.RunPython.noop),
    ]
