from django.contrib import admin
from django.urls import include, path

from backoffice.reports_views import urls as report_urls
from config.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *report_urls(),  # the store reports, under the admin (admin_view: login and staff required)
    path("admin/", admin.site.urls),
    path("", include("equipment_service.urls")),
]
