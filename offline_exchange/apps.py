from django.apps import AppConfig


class OfflineExchangeConfig(AppConfig):
    name = "offline_exchange"
    verbose_name = "Обмен с офлайн оборудованием"
