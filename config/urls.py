from django.contrib import admin
from django.urls import include, path

from backoffice.reports_margin import urls as margin_report_urls
from backoffice.reports_views import urls as report_urls
from config.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *report_urls(),  # the store reports, under the admin (admin_view: login and staff required)
    *margin_report_urls(),  # «Валовая прибыль» and «Денежные средства», the same way
    path("admin/", admin.site.urls),
    path("", include("equipment_service.urls")),
]
