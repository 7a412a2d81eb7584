"""Prices and balances leave the cached Goods' text: a cached Good holds slots for them, filled when a list is
written, and their changes go into the feed as `VALUES` rows, which are no Good's version. A chain-wide
repricing or a day's sales then rebuild no Good. The feed's triggers are rewritten after every migrate
(offline_exchange.apps)."""

from django.db import migrations, models


def _forget_goods_with_prices(apps, schema_editor):
    # Cached Goods and blocks written before hold prices as text: the cache is rebuilt on demand.
    for name in ("CachedGoodsBlock", "CachedGood"):
        apps.get_model("offline_exchange", name).objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('offline_exchange', '0140_2026'),
    ]

    operations = [
        migrations.RunPython(_forget_goods_with_prices, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='changefeedentry',
            name='kind',
            field=models.PositiveSmallIntegerField(choices=[(1, 'Номенклатура'), (2, 'Заказ покупателя'),
                                                            (3, 'Цены и остатки')], verbose_name='Вид'),
        ),
    ]
