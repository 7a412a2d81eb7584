from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Розница: бэк-офис"
admin.site.site_title = "Розница"
admin.site.index_title = "Администрирование"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("equipment_service.urls")),
]
