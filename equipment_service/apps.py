from django.apps import AppConfig


class EquipmentServiceConfig(AppConfig):
    name = "equipment_service"
    verbose_name = "Web-сервис EquipmentService"
