# The journal's «Предупреждение»: an upload taken with a report left unposted.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('offline_exchange', '0110_resend'),
        ('retail', '0120_manual_closing'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exchangejournalentry',
            name='status',
            field=models.CharField(choices=[('received', 'Принят, обрабатывается'), ('ok', 'Успешно'), ('warning', 'Предупреждение'), ('refused', 'Отклонено сервером'), ('fault', 'Ошибка'), ('denied', 'Доступ запрещен')], db_index=True, max_length=8, verbose_name='Статус'),
        ),
    ]
