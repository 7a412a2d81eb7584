"""The admin, one module per area; importing them registers their ModelAdmins (Django's autodiscover
imports this package)."""
from backoffice.admin import catalog, checks, exchange, orders, returns, sales_reports, stock  # noqa: F401
