"""The admin, one module per area; importing them registers their ModelAdmins (Django's autodiscover
imports this package). The store scope is not declared here: the site applies it to every admin it
registers (`backoffice.admin_scope`)."""
from backoffice.admin import cash, catalog, checks, exchange, orders, returns, sales_reports, stock  # noqa: F401
