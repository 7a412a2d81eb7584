from django.apps import AppConfig


class RetailConfig(AppConfig):
    name = "retail"
    verbose_name = "Розница"
