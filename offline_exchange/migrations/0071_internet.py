from django.db import migrations, models


class Migration(migrations.Migration):
    """A stranger's refusals counted per address, kind and hour, with the logins tried (issue 22)."""

    dependencies = [
        ('offline_exchange', '0070_document_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='exchangejournalentry',
            name='refusal',
            field=models.CharField(blank=True, max_length=16, verbose_name='Вид отказа'),
        ),
        migrations.AddField(
            model_name='exchangejournalentry',
            name='tried',
            field=models.JSONField(blank=True, default=dict, verbose_name='Опробовано'),
        ),
    ]
