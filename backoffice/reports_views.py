"""Admin pages of the store reports: a filter form, the table, an SVG chart, «Сохранить в Excel».

Read for the user (`retail.rights`): the filters offer only the user's stores, their warehouses and
registers; another store named in the query string is refused as any wrong choice is («Выберите корректный
вариант»), and the report is built from the user's stores' rows only whatever the filter says."""
import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from common.ru import date_text, datetime_text, money_text, quantity_text
from offline_exchange.models import CashRegister
from retail.models import Item, ItemGroup, Store, Warehouse
from retail.rights import NO_STORES_TEXT, scope_queryset, staff_store_ids
from retail.services import reports
from retail.services.check_reports import GROUPINGS

DATE_INPUT = ["%d.%m.%Y", "%Y-%m-%d"]


def _week_ago():
    return dt.date.today() - dt.timedelta(days=6)


class ScopedForm(forms.Form):
    """Every choice of a store's object offers only the user's stores' (catalog choices are everyone's)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = scope_queryset(field.queryset, user)


class PeriodForm(ScopedForm):
    date_from = forms.DateField(label="Период с", input_formats=DATE_INPUT, initial=_week_ago,
                                widget=forms.DateInput(format="%d.%m.%Y"))
    date_to = forms.DateField(label="по", input_formats=DATE_INPUT, initial=dt.date.today,
                              widget=forms.DateInput(format="%d.%m.%Y"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("Начало периода позже его конца.")
        if data.get("date_from") and data.get("date_to") and (data["date_to"] - data["date_from"]).days > 366:
            raise forms.ValidationError("Период не длиннее года.")
        return data


class StockStatementForm(PeriodForm):
    warehouse = forms.ModelChoiceField(label="Склад", queryset=Warehouse.objects.all(), required=False,
                                       empty_label="Все склады")
    group = forms.ModelChoiceField(label="Группа", queryset=ItemGroup.objects.all(), required=False,
                                   empty_label="Все группы")


class StockOnDateForm(ScopedForm):
    at = forms.DateTimeField(label="На дату", input_formats=["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                                                             "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
                             widget=forms.DateTimeInput(format="%d.%m.%Y %H:%M:%S"),
                             initial=lambda: dt.datetime.now().replace(microsecond=0))
    warehouse = forms.ModelChoiceField(label="Склад", queryset=Warehouse.objects.all(), required=False,
                                       empty_label="Все склады")
    group = forms.ModelChoiceField(label="Группа", queryset=ItemGroup.objects.all(), required=False,
                                   empty_label="Все группы")


class SalesForm(PeriodForm):
    store = forms.ModelChoiceField(label="Магазин", queryset=Store.objects.all(), required=False,
                                   empty_label="Все магазины")
    cash_register = forms.ModelChoiceField(label="Касса ККМ", queryset=CashRegister.objects.all(), required=False,
                                           empty_label="Все кассы")
    item = forms.ModelChoiceField(label="Номенклатура", queryset=Item.objects.all(), required=False,
                                  empty_label="Все товары")
    group = forms.ModelChoiceField(label="Группа", queryset=ItemGroup.objects.all(), required=False,
                                   empty_label="Все группы")


class ShiftsForm(PeriodForm):
    store = forms.ModelChoiceField(label="Магазин", queryset=Store.objects.all(), required=False,
                                   empty_label="Все магазины")
    cash_register = forms.ModelChoiceField(label="Касса ККМ", queryset=CashRegister.objects.all(), required=False,
                                           empty_label="Все кассы")


class ChecksForm(ShiftsForm):
    grouping = forms.ChoiceField(label="Группировка", initial="hour", choices=[
        (key, label) for key, (label, _expression) in GROUPINGS.items() if key != "report"])


REPORTS = {
    "stock-statement": ("Ведомость по товарам на складах", StockStatementForm, reports.stock_statement,
                        "retail.view_stockbalance"),
    "stock-on-date": ("Остатки товаров", StockOnDateForm, reports.stock_on_date, "retail.view_stockbalance"),
    "sales": ("Продажи", SalesForm, reports.sales, "retail.view_retailsalesreport"),
    "cash-shifts": ("Кассовые смены", ShiftsForm, reports.cash_shifts, "retail.view_retailsalesreport"),
    "checks": ("Чеки", ChecksForm, reports.checks_report, "retail.view_check"),
}
FORMATTERS = {"qty": quantity_text, "money": money_text, "date": date_text, "datetime": datetime_text}


def _cell(value, kind):
    if isinstance(value, str) or value is None:
        return value or ""
    return FORMATTERS.get(kind, str)(value)


def report_list(request):
    return [{"slug": slug, "title": title} for slug, (title, _f, _b, perm) in REPORTS.items()
            if request.user.has_perm(perm)]


def report_view(request, slug):
    title, form_class, build, perm = REPORTS[slug]
    if not request.user.has_perm(perm):
        raise PermissionDenied
    params = request.GET.copy()
    wants_xlsx = params.pop("format", None) == ["xlsx"]
    report = None
    # Staff bound to no store, without «Все магазины»: the page says why there is nothing, no file is made.
    no_stores = staff_store_ids(request.user) == []
    if not params:
        # The first opening: the report for the default filter (the last week, today's stock).
        initial = {name: (f.initial() if callable(f.initial) else f.initial)
                   for name, f in form_class.base_fields.items()}
        form = form_class(initial=initial, user=request.user)
        if not no_stores:
            report = build(**initial, user=request.user)
    else:
        form = form_class(params, user=request.user)
        if form.is_valid() and not no_stores:
            report = build(**form.cleaned_data, user=request.user)
    if report is not None and wants_xlsx:
        response = HttpResponse(reports.report_xlsx(report), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="{slug}-{dt.date.today():%Y%m%d}.xlsx"'
        return response
    rows, more_totals = [], []
    if report is not None:
        kinds = [c.kind for c in report.columns]
        rows = [[(_cell(v, k), k) for v, k in zip(row, kinds)] for row in report.rows]
        totals = [(_cell(v, k), k) for v, k in zip(report.totals, kinds)] if report.totals else None
        more_totals = [[(_cell(v, k), k) for v, k in zip(row, kinds)] for row in report.more_totals]
    query = params.copy()
    query["format"] = "xlsx"
    context = {
        **admin.site.each_context(request), "title": title, "form": form, "report": report, "rows": rows,
        "totals": totals if report is not None else None, "more_totals": more_totals, "xlsx_query": query.urlencode(),
        "reports": report_list(request), "slug": slug, "no_stores": NO_STORES_TEXT if no_stores else "",
    }
    return TemplateResponse(request, "admin/retail/reports/report.html", context)


def urls():
    return [path(f"admin/reports/{slug}/", admin.site.admin_view(report_view), {"slug": slug},
                 name=f"report-{slug}") for slug in REPORTS]
