"""Admin pages of «Валовая прибыль» (for those who may see costs) and «Денежные средства»: a filter form of the
user's stores, the tables, a chart, «Сохранить в Excel»."""
import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse

from backoffice.reports_views import DATE_INPUT, FORMATTERS, PeriodForm, report_list
from common.ru import money_text
from offline_exchange.models import CashRegister
from retail.models import ItemGroup, Store, Warehouse
from retail.rights import staff_store_ids
from retail.services.margin import BY, PERIODS, gross_profit, money_movements_report, money_statement
from retail.services.reports import report_xlsx, reports_xlsx

COST_PERMISSION = "retail.view_cost"
CASH_PERMISSION = "retail.view_moneymovement"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _percent(value) -> str:
    return f"{money_text(value)} %"


CELLS = {**FORMATTERS, "percent": _percent}


def _cell(value, kind):
    if isinstance(value, str) or value is None:
        return value or ""
    return CELLS.get(kind, str)(value)


class ProfitForm(PeriodForm):  # PeriodForm is a ScopedForm: choices limited to the user's stores
    by = forms.ChoiceField(label="Группировать по", choices=list(BY.items()), initial="item", required=False)
    period = forms.ChoiceField(label="Периодичность", choices=list(PERIODS.items()), initial="day", required=False)
    store = forms.ModelChoiceField(label="Магазин", queryset=Store.objects.all(), required=False,
                                   empty_label="Все магазины")
    warehouse = forms.ModelChoiceField(label="Склад", queryset=Warehouse.objects.all(), required=False,
                                       empty_label="Все склады")
    group = forms.ModelChoiceField(label="Группа", queryset=ItemGroup.objects.all(), required=False,
                                   empty_label="Все группы")

    def clean(self):
        data = super().clean()
        # A link that names only the period (a bookmark, «Сохранить в Excel» of an old page) gets the defaults.
        data["by"] = data.get("by") or "item"
        data["period"] = data.get("period") or "day"
        return data


class MoneyForm(PeriodForm):
    """The balances at the end of a day (the period's last day unless given) and the period's movements."""

    at = forms.DateField(label="Остатки на", input_formats=DATE_INPUT, initial=dt.date.today, required=False,
                         widget=forms.DateInput(format="%d.%m.%Y"))
    store = forms.ModelChoiceField(label="Магазин", queryset=Store.objects.all(), required=False,
                                   empty_label="Все магазины")
    cash_register = forms.ModelChoiceField(label="Касса ККМ", queryset=CashRegister.objects.all(), required=False,
                                           empty_label="Все кассы")

    def clean(self):
        data = super().clean()
        if not data.get("at") and data.get("date_to"):
            data["at"] = data["date_to"]
        return data


MARGIN_REPORTS = {"gross-profit": ("Валовая прибыль", COST_PERMISSION),
                  "cash": ("Денежные средства", CASH_PERMISSION)}


def all_reports(request) -> list[dict]:
    """Every report the user may open: the store reports and these."""
    return report_list(request) + [{"slug": slug, "title": title} for slug, (title, perm) in MARGIN_REPORTS.items()
                                   if request.user.has_perm(perm)]


def _form(request, form_class):
    """The bound form, or on the first opening the default filter already applied; and whether Excel is asked."""
    params = request.GET.copy()
    wants_xlsx = params.pop("format", None) == ["xlsx"]
    if not params:
        initial = {name: (f.initial() if callable(f.initial) else f.initial)
                   for name, f in form_class.base_fields.items()}
        form = form_class(initial, user=request.user)
    else:
        form = form_class(params, user=request.user)
    query = params.copy()
    query["format"] = "xlsx"
    return form, wants_xlsx, query.urlencode()


def _xlsx(content: bytes, slug: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{slug}-{dt.date.today():%Y%m%d}.xlsx"'
    return response


def _context(request, title, form, slug, xlsx_query, **extra):
    return {**admin.site.each_context(request), "title": title, "form": form, "slug": slug,
            "xlsx_query": xlsx_query, "reports": all_reports(request), **extra}


def profit_view(request):
    if not request.user.has_perm(COST_PERMISSION):
        raise PermissionDenied
    form, wants_xlsx, xlsx_query = _form(request, ProfitForm)
    report = None
    if form.is_valid():
        report = gross_profit(**form.cleaned_data, store_ids=staff_store_ids(request.user))
    if report is not None and wants_xlsx:
        return _xlsx(report_xlsx(report), "gross-profit")
    rows, totals = [], None
    if report is not None:
        kinds = [c.kind for c in report.columns]
        rows = [[(_cell(v, k), k) for v, k in zip(row, kinds)] for row in report.rows]
        totals = [(_cell(v, k), k) for v, k in zip(report.totals, kinds)]
    return TemplateResponse(request, "admin/retail/reports/report.html", _context(
        request, "Валовая прибыль", form, "gross-profit", xlsx_query, report=report, rows=rows, totals=totals))


def _document_url(row) -> str:
    try:
        return reverse(f"admin:{row.document_type.app_label}_{row.document_type.model}_change", args=[row.document_id])
    except NoReverseMatch:
        return ""


def money_view(request):
    if not request.user.has_perm(CASH_PERMISSION):
        raise PermissionDenied
    form, wants_xlsx, xlsx_query = _form(request, MoneyForm)
    statement = None
    if form.is_valid():
        statement = money_statement(**form.cleaned_data, store_ids=staff_store_ids(request.user))
    if statement is not None and wants_xlsx:
        return _xlsx(reports_xlsx([statement.balances, money_movements_report(statement)]), "cash")
    balances, movements = [], []
    if statement is not None:
        balances = [(store, place, money_text(value)) for store, place, value in statement.balances.rows]
        movements = [{"date": row.date, "store": row.store, "place": row.place, "kind": row.kind,
                      "income": money_text(row.amount) if row.amount > 0 else "",
                      "expense": money_text(-row.amount) if row.amount < 0 else "",
                      "document": row.document, "url": _document_url(row)} for row in statement.movements]
    return TemplateResponse(request, "admin/retail/reports/cash.html", _context(
        request, "Денежные средства", form, "cash", xlsx_query, statement=statement, balances=balances,
        movements=movements))


def urls():
    return [path("admin/reports/gross-profit/", admin.site.admin_view(profit_view), name="report-gross-profit"),
            path("admin/reports/cash/", admin.site.admin_view(money_view), name="report-cash")]
