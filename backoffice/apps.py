from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    """The admin UI over both domains: it owns no models, only admin modules, pages, template tags and demo data."""

    default = True
    name = "backoffice"
    verbose_name = "Бэк-офис"


class RetailAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the project's site (installed in place of `django.contrib.admin`)."""

    default = False  # named in INSTALLED_APPS; "backoffice" alone means BackofficeConfig
    default_site = "backoffice.admin_site.RetailAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin is registered now
        # Imported here: the admin modules read models, which do not exist while apps are being loaded.
        from django.contrib import admin

        from backoffice.admin.words import admins_replace

        admins_replace(admin.site)
