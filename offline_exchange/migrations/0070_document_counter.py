"""The sales reports' own number counters go: retail's DocumentCounter (seeded from them) numbers every document."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('offline_exchange', '0060_words'),
        ('retail', '0060_document_counter'),
    ]

    operations = [
        migrations.DeleteModel(
            name='ReportNumberCounter',
        ),
    ]
