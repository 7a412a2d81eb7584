from django.db import migrations

GROUP_NAME = "Выполнение синхронизации данных"


def create_sync_group(apps, schema_editor):
    # Permissions are normally created after migrate; the group needs its permission now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="offline_exchange", model="offlinedevice")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="sync_data", defaults={"name": GROUP_NAME},
    )
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def remove_sync_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("offline_exchange", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_sync_group, remove_sync_group)]
