"""The admin site: 1C's order of sections, Russian number inputs and the store scope for every admin, a
throttled login.

Imported when the admin app is ready (`RetailAdminConfig.default_site`), so it may import models."""
from functools import cache

from django import forms
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.widgets import FilteredSelectMultiple, RelatedFieldWidgetWrapper
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from import_export.forms import SelectableFieldsExportForm

from backoffice.admin_scope import StoreScopedAdminMixin
from backoffice.templatetags.admin_words import column_name_label
from offline_exchange.services import lockout
from offline_exchange.services.addresses import client_address

# The order in which the 1С:Розница instruction for 1С:Мобильная касса walks the set-up.
APP_ORDER = ["offline_exchange", "retail", "auth"]
MODEL_ORDER = [
    "ExchangeSettings", "ExchangeRule", "OfflineDevice", "CashRegister", "PaymentKind", "SkuCode",
    "ExchangeConsole", "ExchangeJournalEntry", "Transfer",
    "CustomerOrder", "RetailSalesReport", "Organization", "Store", "Warehouse", "Item", "ItemGroup",
    "Characteristic", "Pack", "Barcode", "Price", "PriceType", "StockBalance", "Unit", "Counterparty",
]


# The store's own sections, as 1С:Розница groups its commands: reference data, purchases, the warehouse,
# sales, service. The exchange keeps its own section (the instruction's order above).
RETAIL_SECTIONS = [
    ("nsi", "НСИ", ["Organization", "Store", "Warehouse", "Item", "ItemGroup", "Characteristic", "Pack", "Barcode",
                    "Unit", "Counterparty", "PriceType", "Price", "PriceSetting"]),
    ("purchases", "Закупки", ["GoodsReceipt"]),
    ("warehouse", "Склад", ["OpeningBalance", "StockTransfer", "WriteOff", "StockCount", "StockBalance",
                            "StockMovement"]),
    ("sales", "Продажи", ["CustomerOrder", "RetailSalesReport", "CashWithdrawal", "MoneyMovement"]),
    ("service", "Сервис", ["AccountingSettings"]),
]


def _retail_sections(app: dict) -> list[dict]:
    """The «Розница» application split into 1C's sections (a model named in none of them goes to «Сервис»)."""
    placed = {name for _slug, _title, names in RETAIL_SECTIONS for name in names}
    sections = []
    for slug, title, names in RETAIL_SECTIONS:
        members = [model for model in app["models"]
                   if model["object_name"] in names or (slug == "service" and model["object_name"] not in placed)]
        members.sort(key=lambda model: _position(names, model["object_name"]))
        if members:
            sections.append({**app, "name": title, "section": slug, "models": members})
    return sections


def _position(order: list[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


# The two-list chooser names its lists «Доступные …» / «Выбранные …»: the field's name in the plural, in
# lower case, where the field's own label does not read so («Отбор: группы»).
CHOOSER_NAMES = {"filter_groups": "группы номенклатуры", "filter_items": "позиции номенклатуры"}


def chooser_name(db_field) -> str:
    name = CHOOSER_NAMES.get(db_field.name, str(db_field.verbose_name))
    return name[:1].lower() + name[1:]


class RussianInputsMixin:
    """Number inputs show what the columns show (1 306,84) and accept it back: Django leaves a decimal input
    unlocalized (1306.84, and refuses 1306,84) unless the form field asks for localization. The two-list
    chooser reads «Доступные пользователи синхронизации», not «Доступные Пользователи синхронизации»."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField):
            kwargs.setdefault("localize", True)
            if type(db_field) not in self.formfield_overrides:
                kwargs.setdefault("widget", forms.TextInput(attrs={"class": "vDecimalField", "inputmode": "decimal"}))
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(field, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, FilteredSelectMultiple):
            widget.verbose_name = chooser_name(db_field)
        return field

    def get_inlines(self, request, obj):
        return [with_site_rules(inline) for inline in super().get_inlines(request, obj)]

    def get_list_display(self, request):
        return [_yes_column(self.model, name) if _is_boolean(self.model, name) else name
                for name in super().get_list_display(request)]


def _is_boolean(model, name) -> bool:
    if not isinstance(name, str):
        return False
    try:
        return isinstance(model._meta.get_field(name), models.BooleanField)
    except FieldDoesNotExist:
        return False


@cache
def _yes_column(model, name: str):
    """A yes/no column as 1C's lists show it: a mark where it is «да», nothing where it is the normal «нет»
    (Django draws a red ✖ in every such cell: «Весовой», «Пометка удаления», «Отменен»)."""

    def column(obj):
        # Blank, not the list's «-» for a missing value: «нет» is a value.
        return mark_safe('<span class="yes" title="Да">✔</span>' if getattr(obj, name) else "&nbsp;")

    column.__name__ = name  # the column's classes stay column-<name> / field-<name>
    column.short_description = model._meta.get_field(name).verbose_name
    column.admin_order_field = name
    return column


def _russian_export_form():
    class RussianExportForm(SelectableFieldsExportForm):
        """The export page's column checkboxes by their Russian names (the library title-cases identifiers:
        «Vat Rate»)."""

        def _get_field_label(self, resource, field_name):
            field = resource.fields.get(field_name)
            column = field.column_name if field else field_name
            return column_name_label(column, resource._meta.model)

    return RussianExportForm


@cache
def with_site_rules(admin_class):
    """The admin (or inline) class with what every admin of the site does: Russian number inputs and the
    store scope (`backoffice.admin_scope`)."""
    mixins = tuple(mixin for mixin in (RussianInputsMixin, StoreScopedAdminMixin)
                   if not issubclass(admin_class, mixin))
    if not mixins:
        return admin_class
    attributes = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
    if getattr(admin_class, "export_form_class", None) is SelectableFieldsExportForm:
        attributes["export_form_class"] = _russian_export_form()
    return type(admin_class.__name__, (*mixins, admin_class), attributes)


class RetailAdminSite(AdminSite):
    site_header = "Розница: бэк-офис"
    site_title = "Розница"
    index_title = "Администрирование"
    # No public site: «Открыть сайт» would lead to a 404.
    site_url = None

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every admin (the project's and the libraries') gets the Russian number inputs and the store scope,
        # none has to ask.
        super().register(model_or_iterable, with_site_rules(admin_class or ModelAdmin), **options)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    @login_not_required
    def login(self, request, extra_context=None):
        """Django's login, throttled as the service's logins are: failures lock out the pair (login,
        address) and the address, in the same table, shared by every app server."""

        if request.method != "POST":
            return super().login(request, extra_context)
        username, ip = request.POST.get("username", "")[:150], client_address(request)
        reason = lockout.lockout_reason(ip=ip, username=username)
        if reason:
            form = (self.login_form or AdminAuthenticationForm)(request, initial={"username": username})
            context = {**self.each_context(request), "title": "Вход", "app_path": request.get_full_path(),
                       "form": form, "site_header": self.site_header,
                       "username": username, "lockout": reason, REDIRECT_FIELD_NAME: request.GET.get(
                           REDIRECT_FIELD_NAME, ""), **(extra_context or {})}
            return TemplateResponse(request, "admin/login_locked.html", context, status=429)
        response = super().login(request, extra_context)
        if request.user.is_authenticated and response.status_code == 302:
            lockout.lockout_clear(ip=ip, username=username)
        else:
            lockout.lockout_record_failure(ip=ip, username=username)
        return response

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        apps.sort(key=lambda app: _position(APP_ORDER, app["app_label"]))
        for app in apps:
            app["models"].sort(key=lambda model: _position(MODEL_ORDER, model["object_name"]))
        if app_label is not None:
            return apps  # the application's own page keeps one list under its own title
        grouped = []
        for app in apps:
            grouped += _retail_sections(app) if app["app_label"] == "retail" else [app]
        return grouped
