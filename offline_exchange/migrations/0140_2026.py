"""1C as of 2026 (research/1c-2026.md): VAT 22 % is in format 3.3 only, so the «Передавать ставку НДС 22%»
setting goes; new devices default to 3.3 (existing ones keep theirs); a payment kind can be SBP."""

from django.db import migrations, models


def _lists_follow_the_format(apps, schema_editor):
    """A device whose list content changes with the setting gone gets a full list next: a 3.3 register that
    had 22 % goods held back now receives them; a 3.0-3.2 one that was sent TaxRate 22 (outside its schema)
    no longer is, and a full list leaves those goods off it. Only where some good has VAT 22 %."""
    Item = apps.get_model("retail", "Item")
    OfflineDevice = apps.get_model("offline_exchange", "OfflineDevice")
    Transfer = apps.get_model("offline_exchange", "Transfer")
    if Item.objects.filter(vat_rate="22").exists():
        changed = (OfflineDevice.objects.filter(format_version=3003, vat22=False)
                   | OfflineDevice.objects.filter(format_version__lt=3003, vat22=True))
        ids = list(changed.values_list("pk", flat=True))
        OfflineDevice.objects.filter(pk__in=ids).update(price_list_watermark=None)
        Transfer.objects.filter(device_id__in=ids, completed_at=None).delete()
    # Cached Goods were keyed by the setting too: the cache is rebuilt on demand under the new keys.
    for name in ("CachedGoodsBlock", "CachedGood", "GoodsCacheVariant"):
        apps.get_model("offline_exchange", name).objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('offline_exchange', '0130_admin'),
        ('retail', '0130_checks'),
    ]

    operations = [
        migrations.RunPython(_lists_follow_the_format, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='goodscachevariant',
            name='vat22',
        ),
        migrations.RemoveField(
            model_name='offlinedevice',
            name='vat22',
        ),
        migrations.AddField(
            model_name='paymentkind',
            name='sbp',
            field=models.BooleanField(default=False, help_text='Оплаты этим видом — переводы по QR-коду СБП: в отчетах выручка по ним показывается отдельно от платежных карт. Только для вида с типом «Платежная карта».', verbose_name='СБП (Система быстрых платежей)'),
        ),
        migrations.AlterField(
            model_name='offlinedevice',
            name='format_version',
            field=models.PositiveIntegerField(choices=[(3000, '3.0'), (3001, '3.1'), (3002, '3.2'), (3003, '3.3')], default=3003, help_text='Ставку НДС 22% и маркируемую продукцию всех видов передает только формат 3.3; товары, которые формат кассы не передает, на кассу не выгружаются.', verbose_name='Версия формата обмена'),
        ),
    ]
