"""«Все магазины»: the right to every store's data. Staff bound to no store used to see every store; from
here they see none unless they hold it (directly or through the group of the same name)."""
from django.conf import settings
from django.db import migrations, models

RIGHT = "Все магазины"


def create_right(apps, schema_editor):
    # Permissions are normally created after migrate; the group needs its permission now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="retail", model="store")
    permission, _ = Permission.objects.get_or_create(content_type=content_type, codename="view_all_stores",
                                                     defaults={"name": RIGHT})
    group, _ = Group.objects.get_or_create(name=RIGHT)
    group.permissions.add(permission)


def remove_right(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=RIGHT).delete()
    apps.get_model("auth", "Permission").objects.filter(codename="view_all_stores",
                                                        content_type__app_label="retail").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("retail", "0061_reasons_as_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="store",
            options={"ordering": ["name"], "permissions": [("view_all_stores", "Все магазины")],
                     "verbose_name": "Магазин", "verbose_name_plural": "Магазины"},
        ),
        migrations.AlterField(
            model_name="store",
            name="staff",
            field=models.ManyToManyField(
                blank=True, related_name="stores", to=settings.AUTH_USER_MODEL, verbose_name="Сотрудники магазина",
                help_text="Сотрудники (не администраторы), которые видят в бэк-офисе кассы, оборудование, отчеты, "
                          "заказы, клиентов, остатки и журнал обмена только этого магазина. Сотрудник, не указанный "
                          "ни в одном магазине, данных магазинов не видит, если у него нет права «Все магазины».",
            ),
        ),
        migrations.RunPython(create_right, remove_right),
    ]
