from django.db import migrations, models


def numbers_to_year_and_sequence(apps, schema_editor):
    """Existing orders keep their numbers; their year is their date's, and a number of the organization's
    own form (ТДРТ-000007) counts in its sequence, so the next automatic number never repeats it.
    (On PostgreSQL the feed's trigger records these orders: a register gets them once more, unchanged.)"""
    import re

    CustomerOrder = apps.get_model("retail", "CustomerOrder")
    for order in CustomerOrder.objects.select_related("organization").order_by("pk"):
        prefix = order.organization.number_prefix or "00"
        match = re.fullmatch(rf"{re.escape(prefix)}-(\d{{1,9}})", order.number)
        CustomerOrder.objects.filter(pk=order.pk).update(
            number_year=order.date.year, number_seq=int(match.group(1)) if match else None)


class Migration(migrations.Migration):

    dependencies = [
        ("retail", "0030_stock_ledger"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerorder",
            name="number_seq",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="Порядковый номер"),
        ),
        migrations.AddField(
            model_name="customerorder",
            name="number_year",
            field=models.PositiveSmallIntegerField(editable=False, null=True, verbose_name="Год нумерации"),
        ),
        migrations.AlterField(
            model_name="customerorder",
            name="number",
            field=models.CharField(blank=True, db_index=True,
                                   help_text="Оставьте пустым: номер будет присвоен автоматически.",
                                   max_length=20, verbose_name="Номер"),
        ),
        migrations.AlterField(
            model_name="customerorderline",
            name="vat_rate",
            field=models.CharField(blank=True, choices=[("none", "Без НДС"), ("0", "0%"), ("5", "5%"), ("7", "7%"),
                                                        ("10", "10%"), ("18", "18%"), ("20", "20%"), ("22", "22%")],
                                   help_text="Пусто — ставка номенклатуры.", max_length=5, verbose_name="Ставка НДС"),
        ),
        migrations.RunPython(numbers_to_year_and_sequence, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="customerorder",
            constraint=models.UniqueConstraint(fields=("number", "number_year"),
                                               name="customer_order_unique_number_per_year"),
        ),
    ]
