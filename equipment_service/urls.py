from django.urls import path, re_path

from equipment_service.views import equipment_service

urlpatterns = [
    path("ws/EquipmentService", equipment_service),
    path("ws/EquipmentService.1cws", equipment_service),
    re_path(r"^(?P<base>[^/]+)/ws/EquipmentService(?:\.1cws)?$", equipment_service),
]
