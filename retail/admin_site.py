from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

# The order in which the 1С:Розница instruction for 1С:Мобильная касса walks the set-up.
APP_ORDER = ["offline_exchange", "retail", "auth"]
MODEL_ORDER = [
    "ExchangeSettings", "ExchangeRule", "OfflineDevice", "CashRegister", "PaymentKind", "SkuCode",
    "ExchangeConsole", "ExchangeJournalEntry", "Transfer",
    "CustomerOrder", "RetailSalesReport", "Organization", "Store", "Warehouse", "Item", "ItemGroup",
    "Characteristic", "Pack", "Barcode", "Price", "PriceType", "StockBalance", "Unit", "Counterparty",
]


def _position(order: list[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


class RetailAdminSite(AdminSite):
    site_header = "Розница: бэк-офис"
    site_title = "Розница"
    index_title = "Администрирование"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        apps.sort(key=lambda app: _position(APP_ORDER, app["app_label"]))
        for app in apps:
            app["models"].sort(key=lambda model: _position(MODEL_ORDER, model["object_name"]))
        return apps


class RetailAdminConfig(AdminConfig):
    default_site = "retail.admin_site.RetailAdminSite"
