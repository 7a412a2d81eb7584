"""The admin site: 1C's order of sections, Russian number inputs and the store scope for every admin, a
throttled login.

Imported when the admin app is ready (`RetailAdminConfig.default_site`), so it may import models."""
from functools import cache

from django import forms
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.db import models
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
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


def _position(order: list[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


class RussianInputsMixin:
    """Number inputs show what the columns show (1 306,84) and accept it back: Django leaves a decimal input
    unlocalized (1306.84, and refuses 1306,84) unless the form field asks for localization."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField):
            kwargs.setdefault("localize", True)
            if type(db_field) not in self.formfield_overrides:
                kwargs.setdefault("widget", forms.TextInput(attrs={"class": "vDecimalField", "inputmode": "decimal"}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        return [with_site_rules(inline) for inline in super().get_inlines(request, obj)]


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
        return apps
