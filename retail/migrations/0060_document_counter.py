"""One numbering for every numbered document: a counter per (kind, prefix, year), seeded from the numbers
already given (and from the sales reports' own counters, which go), so the next number follows them."""
from django.db import migrations, models

# Every numbered document as it stands at this migration; kind = the model's label.
NUMBERED = ["openingbalance", "goodsreceipt", "writeoff", "stockcount", "stocktransfer", "pricesetting",
            "customerorder", "retailsalesreport"]
SALES_REPORTS = "retail.retailsalesreport"


def counters_seed(apps, schema_editor):
    last: dict[tuple[str, str, int], int] = {}
    for name in NUMBERED:
        model = apps.get_model("retail", name)
        rows = (model.objects.filter(number_year__isnull=False, number_seq__gt=0)
                .values_list("number", "number_year", "number_seq").iterator(chunk_size=5000))
        for number, year, sequence in rows:
            # A number is «prefix-000001»; the prefix it was given under, whatever the organization's is now.
            prefix = number.rsplit("-", 1)[0]
            key = (f"retail.{name}", prefix, year)
            last[key] = max(last.get(key, 0), sequence)
    for prefix, year, value in apps.get_model("offline_exchange", "ReportNumberCounter").objects.values_list(
            "prefix", "year", "last"):
        key = (SALES_REPORTS, prefix, year)
        last[key] = max(last.get(key, 0), value)
    Counter = apps.get_model("retail", "DocumentCounter")
    Counter.objects.bulk_create([Counter(kind=kind, prefix=prefix, year=year, last=value)
                                 for (kind, prefix, year), value in sorted(last.items())], batch_size=1000)


def counters_unseed(apps, schema_editor):
    # Back to the sales reports' own counters; the other kinds counted from their documents then.
    Old = apps.get_model("offline_exchange", "ReportNumberCounter")
    Old.objects.bulk_create([
        Old(prefix=prefix, year=year, last=value)
        for prefix, year, value in apps.get_model("retail", "DocumentCounter").objects.filter(
            kind=SALES_REPORTS).values_list("prefix", "year", "last")
    ])


class Migration(migrations.Migration):

    dependencies = [
        ('retail', '0050_words'),
        ('offline_exchange', '0060_words'),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=100, verbose_name='Вид документа')),
                ('prefix', models.CharField(max_length=20, verbose_name='Префикс')),
                ('year', models.PositiveSmallIntegerField(verbose_name='Год')),
                ('last', models.PositiveIntegerField(default=0, verbose_name='Последний номер')),
            ],
            options={
                'verbose_name': 'Нумератор документов',
                'verbose_name_plural': 'Нумераторы документов',
                'constraints': [models.UniqueConstraint(fields=('kind', 'prefix', 'year'), name='document_counter_unique')],
            },
        ),
        migrations.RunPython(counters_seed, counters_unseed),
    ]
