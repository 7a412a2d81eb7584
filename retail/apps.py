from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

# Django writes «Can add log entry» into auth_permission when it creates a permission, in English
# whatever the language; the rights a manager ticks in a group read as 1C's: «Добавление: касса ККМ».
ACTIONS = {"add": "Добавление", "change": "Изменение", "delete": "Удаление", "view": "Просмотр"}
HISTORY_PREFIX = "история изменений: "


def permission_name(action: str, model) -> str:
    return f"{ACTIONS[action]}: {model._meta.verbose_name}"[:255]


def _history_models_name():
    # simple-history names its models «historical касса ККМ» with no translation hook; the name shows in
    # the rights of a group. Only the runtime name changes: migrations read the declared one.
    for model in apps.get_models():
        tracked = getattr(model, "instance_type", None)
        if tracked is not None and hasattr(model, "history_change_reason"):
            model._meta.verbose_name = HISTORY_PREFIX + str(tracked._meta.verbose_name)
            model._meta.verbose_name_plural = HISTORY_PREFIX + str(tracked._meta.verbose_name_plural)


def permissions_name_russian(sender, using="default", apps=apps, **kwargs):
    """Renames the built-in permissions of the app just migrated (every app: Django's own and the libraries'
    too). Runs after Django's create_permissions, on every migrate and flush; idempotent."""
    from django.apps import apps as global_apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.utils import translation

    if not global_apps.is_installed("django.contrib.auth"):
        return
    with translation.override("ru"):
        wanted = {}
        for model in sender.get_models():
            content_type = ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=False)
            for action in model._meta.default_permissions:
                if action in ACTIONS:
                    wanted[(content_type.pk, f"{action}_{model._meta.model_name}")] = permission_name(action, model)
    if not wanted:
        return
    content_types = {content_type for content_type, _ in wanted}
    stale = [p for p in Permission.objects.using(using).filter(content_type__in=content_types)
             if wanted.get((p.content_type_id, p.codename), p.name) != p.name]
    for permission in stale:
        permission.name = wanted[(permission.content_type_id, permission.codename)]
    Permission.objects.using(using).bulk_update(stale, ["name"])


class RetailConfig(AppConfig):
    name = "retail"
    verbose_name = "Розница"

    def ready(self):
        _history_models_name()
        # No sender: the handler renames the permissions of whichever app was migrated.
        post_migrate.connect(permissions_name_russian, dispatch_uid="retail_permissions_russian")
