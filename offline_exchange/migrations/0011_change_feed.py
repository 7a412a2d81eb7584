"""The change feed replaces the per-device registrations (PROTOCOL §5.2).

Devices with registrations pending get a full list next time (nothing pending is lost); the others go
on with incremental lists from the feed's start. Orders registered for a device are put in the feed, so
they still go. Then the feed's triggers are created (`offline_exchange/feed_sql.py`, SQLite and
PostgreSQL) and the registrations dropped.
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


def triggers_create(apps, schema_editor):
    from offline_exchange.feed_sql import feed_triggers_create

    if schema_editor.connection.vendor == "sqlite":
        return  # created by post_migrate, once every migration has run (offline_exchange.apps says why)
    if not feed_triggers_create(schema_editor.connection):
        raise RuntimeError("the change feed's tables are missing")


def triggers_drop(apps, schema_editor):
    from offline_exchange.feed_sql import feed_triggers_drop

    feed_triggers_drop(schema_editor.connection)


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
