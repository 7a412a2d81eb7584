"""Cost beside the item card, a price-setting document and a sales report: shown only to users who may see
costs (`retail.view_cost`), over the warehouses of their stores. Each tag calls a selector and formats."""
from django import template

from common.ru import money_text, quantity_text
from retail.models import PriceSetting, RetailSalesReport
from retail.rights import staff_store_ids
from retail.services.margin import item_costs, price_setting_costs, sales_report_costs

register = template.Library()
COST_PERMISSION = "retail.view_cost"


def _allowed(context) -> bool:
    request = context.get("request")
    return request is not None and request.user.has_perm(COST_PERMISSION)


def _percent(value) -> str:
    return "—" if value is None else f"{money_text(value)} %"


def _money(value) -> str:
    return "—" if value is None else money_text(value)


@register.inclusion_tag("admin/retail/costs/item.html", takes_context=True)
def item_cost_block(context, item):
    if not _allowed(context) or item is None or item.pk is None:
        return {"shown": False}
    rows = [(row.name, quantity_text(row.quantity), _money(row.cost), money_text(row.average), _money(row.price),
             _percent(row.margin))
            for row in item_costs(item=item, store_ids=staff_store_ids(context["request"].user))]
    return {"shown": True, "rows": rows}


@register.inclusion_tag("admin/retail/costs/price_setting.html", takes_context=True)
def price_setting_cost_block(context, document):
    if not _allowed(context) or not isinstance(document, PriceSetting) or document.pk is None:
        return {"shown": False}
    rows = [(row.name, _money(row.price), money_text(row.average), _percent(row.margin))
            for row in price_setting_costs(document=document, store_ids=staff_store_ids(context["request"].user))]
    return {"shown": True, "rows": rows}


@register.inclusion_tag("admin/retail/costs/sales_report.html", takes_context=True)
def sales_report_cost_block(context, report):
    if not _allowed(context) or not isinstance(report, RetailSalesReport) or not report.posted:
        return {"shown": False}
    rows = sales_report_costs(report=report)
    shown = [(row.name, quantity_text(row.quantity), money_text(row.revenue), money_text(row.cost),
              money_text(row.profit), _percent(row.margin)) for row in rows]
    revenue = sum((row.revenue for row in rows), 0)
    cost = sum((row.cost for row in rows), 0)
    totals = (money_text(revenue), money_text(cost), money_text(revenue - cost))
    return {"shown": True, "rows": shown, "totals": totals}
