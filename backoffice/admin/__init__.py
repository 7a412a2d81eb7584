"""The admin, one module per area; importing them registers their ModelAdmins (Django's autodiscover
imports this package)."""
from backoffice.admin import cash, catalog, exchange, orders, sales_reports, stock  # noqa: F401
