"""Back-office admin: catalog, orders and the read-only Retail Sales Report review."""
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from offline_exchange.admin import reload_entry
from offline_exchange.services.sku import SkuRangeExhaustedError, sku_generate_for_items

# The catalog admins import and export through the limited mixin (file limits, CSV/XLSX only).
from .admin_import import LimitedImportExportMixin as ImportExportMixin
from .admin_rights import GuardedHistoryMixin, StoreScopedAdminMixin
from .services.item_card import item_exchange_warnings, item_positions
from .services.orders import (
    order_exchange, order_lines_write, order_number_taken, order_save, order_totals,
)
from .templatetags.ru_format import datetime_text, money_text
from .models import (
    Barcode, Characteristic, Counterparty, CustomerOrder, CustomerOrderLine, CustomerOrderPayment, Item, ItemGroup,
    Organization, Pack, Price, PriceType, RetailSalesReport, SalesReportBankCreditPayment, SalesReportCardPayment,
    SalesReportCashMovement, SalesReportExciseStamp, SalesReportGoodsLine, SalesReportReturnedLine,
    SalesReportSettlement, StockBalance, Store, TaxationSystem, Unit, Warehouse,
)
from .admin_stock import OrderFollowsSalesMixin  # also registers the store documents' admins
from .resources import BarcodeResource, CharacteristicResource, ItemResource, PackResource, PriceResource
# The Retail Sales Report page (its own section at the end of this file).
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from offline_exchange.models import DeviceCodeAlias
from offline_exchange.services.code_aliases import (
    CodeMappingError, code_alias_set, position_from_key, positions_search, sku_code_assign,
)
from offline_exchange.services.sales import sales_report_reasons_short, sales_report_repost, sales_report_unrecognized

from .sales_report_page import report_page_context
from .templatetags.ru_format import datetime_text, money_text


class OrganizationForm(forms.ModelForm):
    taxation_systems = forms.TypedMultipleChoiceField(
        label="Системы налогообложения", choices=TaxationSystem.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organization
        fields = "__all__"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = ["name", "inn", "kpp", "number_prefix"]
    search_fields = ["name", "inn"]


class WarehouseInline(admin.TabularInline):
    model = Warehouse
    extra = 0


@admin.register(Store)
class StoreAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "address", "retail_price_type"]
    inlines = [WarehouseInline]
    filter_horizontal = ["staff"]


@admin.register(Warehouse)
class WarehouseAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "store"]


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email"]
    search_fields = ["name", "phone"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "okei_code"]


@admin.register(ItemGroup)
class ItemGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["name", "code"]


@admin.register(PriceType)
class PriceTypeAdmin(admin.ModelAdmin):
    list_display = ["name"]


class CharacteristicInline(admin.TabularInline):
    model = Characteristic
    extra = 0


class PackInline(admin.TabularInline):
    model = Pack
    extra = 0


class ItemOwnChoicesMixin:
    """A barcode's or a price's characteristic and pack: only those of the item on the card (none before
    the item is written), so a position of another item cannot be picked."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name, model in (("characteristic", Characteristic), ("pack", Pack)):
            field = formset.form.base_fields.get(name)
            if field is not None:
                field.queryset = model.objects.filter(item=obj) if obj is not None and obj.pk else model.objects.none()
        return formset


class BarcodeInline(ItemOwnChoicesMixin, admin.TabularInline):
    model = Barcode
    extra = 0


class PriceInline(ItemOwnChoicesMixin, admin.TabularInline):
    model = Price
    extra = 0


@admin.register(Item)
class ItemAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [ItemResource]
    change_form_template = "admin/retail/item/change_form.html"
    list_display = ["name", "article", "group", "vat_rate", "is_weight", "sku_number", "deletion_mark"]
    list_filter = ["group", "kind", "vat_rate", "is_weight", "deletion_mark"]
    search_fields = ["name", "article", "barcodes__value"]
    inlines = [CharacteristicInline, PackInline, BarcodeInline, PriceInline]
    actions = ["generate_sku"]
    fieldsets = [
        (None, {"fields": ["name", "article", "description", "kind", "group", "base_unit", "vat_rate",
                           "is_weight", "calculation_subject", "marking_kind", "classification_code", "is_excisable",
                           "deletion_mark", "exchange_refusals"]}),
        ("Алкогольная продукция", {"classes": ["collapse"], "fields": [
            "is_alcohol", "alcohol_is_excisable", "alcohol_kind_code", "alcohol_volume", "alcohol_strength",
            "alcohol_vendor_inn", "alcohol_vendor_kpp", "alcohol_is_draught"]}),
    ]

    readonly_fields = ["exchange_refusals"]

    @admin.display(description="Выгрузка на кассы")
    def exchange_refusals(self, obj):
        warnings = item_exchange_warnings(item=obj) if obj and obj.pk else []
        if not warnings:
            return "—"
        return format_html_join(mark_safe("<br>"), '<strong class="errornote">⚠ {}</strong>',
                                ((text,) for text in warnings))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["item_positions"] = item_positions(item=obj) if obj is not None else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="SKU")
    def sku_number(self, obj):
        code = obj.sku_codes.filter(characteristic=None, pack=None).first()
        return code.number if code else "—"

    @admin.action(description="Сгенерировать SKU", permissions=["change"])
    def generate_sku(self, request, queryset):
        try:
            created = sku_generate_for_items(item_ids=list(queryset.values_list("pk", flat=True)))
        except SkuRangeExhaustedError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Создано кодов SKU: {created}.", messages.SUCCESS)


@admin.register(Characteristic)
class CharacteristicAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [CharacteristicResource]
    list_display = ["name", "item"]
    search_fields = ["name", "item__name"]


@admin.register(Pack)
class PackAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [PackResource]
    list_display = ["name", "item", "coefficient"]
    search_fields = ["name", "item__name"]


@admin.register(Barcode)
class BarcodeAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [BarcodeResource]
    list_display = ["value", "item", "characteristic", "pack"]
    search_fields = ["value", "item__name"]


@admin.register(Price)
class PriceAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [PriceResource]
    list_display = ["item", "characteristic", "price_type", "date", "value"]
    list_filter = ["price_type"]
    search_fields = ["item__name"]


@admin.register(StockBalance)
class StockBalanceAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """Totals of the stock ledger: read-only, changed by posting documents (retail.admin_stock)."""

    list_display = ["item", "characteristic", "warehouse", "quantity"]
    list_filter = ["warehouse"]
    search_fields = ["item__name", "item__article"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _plain_related(field):
    """A compact choice in a line: no add / change / delete / view icons beside it."""
    widget = getattr(field, "widget", None)
    for name in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
        if hasattr(widget, name):
            setattr(widget, name, False)
    return field


class OrderLineForm(forms.ModelForm):
    class Meta:
        model = CustomerOrderLine
        fields = ["item", "characteristic", "pack", "quantity", "price", "vat_rate"]
        # Typed and shown as the store writes numbers: 2,5 and 1306,84.
        localized_fields = ["quantity", "price"]
        widgets = {"quantity": forms.TextInput(attrs={"class": "ru-number", "inputmode": "decimal"}),
                   "price": forms.TextInput(attrs={"class": "ru-number", "inputmode": "decimal"})}


class OrderLineInline(admin.TabularInline):
    model = CustomerOrderLine
    form = OrderLineForm
    # Read into «Добавить еще один …»: a masculine noun keeps the phrase grammatical.
    verbose_name, verbose_name_plural = "товар", "Товары"
    extra = 0
    template = "admin/retail/customerorder/lines_inline.html"
    autocomplete_fields = ["item", "characteristic", "pack"]
    fields = ["item", "characteristic", "pack", "quantity", "price", "vat_rate", "amount_shown", "vat_shown"]
    readonly_fields = ["amount_shown", "vat_shown"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return _plain_related(super().formfield_for_dbfield(db_field, request, **kwargs))

    @admin.display(description="Сумма")
    def amount_shown(self, obj):
        return money_text(obj.amount) if obj and obj.pk else "—"

    @admin.display(description="НДС")
    def vat_shown(self, obj):
        return money_text(obj.vat_amount) if obj and obj.pk else "—"


class OrderPaymentInline(admin.TabularInline):
    model = CustomerOrderPayment
    verbose_name, verbose_name_plural = "платеж предоплаты", "Предоплаты"
    extra = 0
    template = "admin/retail/customerorder/payments_inline.html"
    formfield_overrides = {models.DecimalField: {"localize": True, "widget": forms.TextInput(
        attrs={"class": "ru-number", "inputmode": "decimal"})}}


class CustomerOrderForm(forms.ModelForm):
    class Meta:
        model = CustomerOrder
        fields = "__all__"

    def clean(self):
        data = super().clean()
        number, date = (data.get("number") or "").strip(), data.get("date")
        if number and date and order_number_taken(number=number, year=date.year, exclude_pk=self.instance.pk):
            self.add_error("number", f"Заказ покупателя с номером {number} уже есть в {date.year} году. "
                                     "Оставьте номер пустым — он будет присвоен автоматически.")
        return data


@admin.register(CustomerOrder)
class CustomerOrderAdmin(StoreScopedAdminMixin, OrderFollowsSalesMixin, admin.ModelAdmin):
    form = CustomerOrderForm
    change_form_template = "admin/retail/customerorder/change_form.html"
    list_display = ["number", "date_shown", "status", "is_cancelled", "counterparty", "store", "total_shown",
                    "courier_cash_register"]
    list_filter = ["status", "is_cancelled", "store", "courier_cash_register"]
    search_fields = ["number", "counterparty__name", "phone"]
    inlines = [OrderLineInline, OrderPaymentInline]
    fieldsets = [
        (None, {"fields": [("number", "date"), ("status", "is_cancelled"), ("organization", "store", "warehouse"),
                           ("counterparty", "desired_date"), "courier_cash_register", "exchange_state"]}),
        ("Доставка", {"classes": ["collapse"], "fields": [
            ("address_city", "address_street"), ("address_building", "address_apartment"),
            ("address_entrance", "address_floor"), ("phone", "email"), "comment"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return list(super().get_readonly_fields(request, obj)) + ["exchange_state"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "comment":
            field.widget.attrs.update({"rows": 3, "cols": 60})
        elif isinstance(db_field, models.CharField) and db_field.name.startswith("address_"):
            field.widget.attrs["size"] = 18
        return field

    @admin.display(description="Дата", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lines_total=Sum("lines__amount"))

    @admin.display(description="Сумма", ordering="lines_total")
    def total_shown(self, obj):
        return money_text(getattr(obj, "lines_total", None) or Decimal("0.00"))

    @admin.display(description="Обмен с кассой")
    def exchange_state(self, obj):
        exchange = order_exchange(order=obj) if obj is not None else None
        if exchange is None or obj.pk is None:
            return "Заказ будет выгружен в кассу курьера после записи."
        received = format_html_join(
            "", '<li><a href="{}">{}</a>{}</li>',
            ((reverse("admin:retail_retailsalesreport_change", args=[report.pk]), str(report),
              "" if posted else " (не проведен)") for report, posted in exchange.received))
        return format_html('<span class="order-exchange{}">{}</span>{}', " sent" if exchange.sent else "",
                           exchange.state,
                           format_html('<br>Продан на кассе: <ul class="order-received">{}</ul>', received)
                           if exchange.received else "")

    def save_model(self, request, obj, form, change):
        order_save(order=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CustomerOrderLine:
            return super().save_formset(request, form, formset, change)
        lines = formset.save(commit=False)
        order_lines_write(order=form.instance, lines=lines, deleted=formset.deleted_objects)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["order_totals"] = order_totals(order=obj) if obj is not None else None
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(RetailSalesReport)
class RetailSalesReportAdmin(StoreScopedAdminMixin, GuardedHistoryMixin, SimpleHistoryAdmin):
    """A received document laid out as 1С:Розница shows it; an unposted one is fixed on its own page
    (codes mapped for the register, then re-posted from the stored upload), never edited."""

    history_revert_allowed = False  # a received document is what the register sent; reload it instead
    change_form_template = "admin/retail/retailsalesreport/change_form.html"
    change_list_template = "admin/retail/retailsalesreport/change_list.html"
    list_display = ["posted_icon", "number", "date_shown", "store", "cash_register", "shift_number", "total_shown",
                    "returns_shown"]
    list_display_links = ["number"]
    list_filter = ["posted", "store", "cash_register", "device", ("date", admin.DateFieldListFilter), "shift_closed"]
    list_select_related = ["store", "cash_register"]
    search_fields = ["number", "shift_number", "not_posted_reasons"]
    date_hierarchy = "date"
    actions = ["reload_from_journal"]

    @admin.display(description="Проведен", boolean=True, ordering="posted")
    def posted_icon(self, obj):
        return obj.posted

    @admin.display(description="Дата", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    @admin.display(description="Всего", ordering="total")
    def total_shown(self, obj):
        return money_text(obj.total)

    @admin.display(description="Возврат", ordering="returns_total")
    def returns_shown(self, obj):
        return money_text(obj.returns_total)

    @admin.action(description="Перезагрузить из журнала", permissions=["change"])
    def reload_from_journal(self, request, queryset):
        entries = {report.journal_entry for report in queryset.select_related("journal_entry__device")}
        for entry in entries:
            if entry is None:
                self.message_user(request, "У отчета нет записи журнала обмена: перезагружать нечего.",
                                  messages.WARNING)
                continue
            reload_entry(self, request, entry)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("positions/", view(self.positions_view), name="%s_%s_positions" % info),
            path("<path:object_id>/map-code/", view(self.map_code_view), name="%s_%s_map_code" % info),
            path("<path:object_id>/repost/", view(self.repost_view), name="%s_%s_repost" % info),
            path("<path:object_id>/print/", view(self.print_view), name="%s_%s_print" % info),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied  # nothing on a received document is saved through its form
        report = self.get_object(request, object_id)
        if report is None or not self.has_view_permission(request, report):
            return super().change_view(request, object_id, form_url, extra_context)
        can_change = self.has_change_permission(request, report)
        context = report_page_context(report)
        context.update(
            title=context["report_title"], subtitle=None, report=report, can_change=can_change,
            can_assign_sku=can_change and request.user.has_perm("offline_exchange.add_skucode"),
            autocomplete_media=AutocompleteSelect(DeviceCodeAlias._meta.get_field("item"), self.admin_site).media,
            **self._links(report),
        )
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _links(self, report):
        info = self.opts.app_label, self.opts.model_name
        links = {name: reverse(f"admin:%s_%s_{name}" % info, args=[report.pk])
                 for name in ("map_code", "repost", "print", "history")}
        links = {f"{name}_url": url for name, url in links.items()}
        links["positions_url"] = reverse("admin:%s_%s_positions" % info)
        if report.journal_entry_id:
            links["journal_url"] = reverse("admin:offline_exchange_exchangejournalentry_change",
                                           args=[report.journal_entry_id])
            links["document_url"] = reverse("admin:offline_exchange_exchangejournalentry_document",
                                            args=[report.journal_entry_id])
        return links

    def _report_to_change(self, request, object_id):
        """The report a POST may change: in the user's stores, with the change permission."""
        if request.method != "POST":
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("Отчет о розничных продажах не найден.")
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        return report

    def _back(self, report, anchor=""):
        return redirect(reverse("admin:retail_retailsalesreport_change", args=[report.pk]) + anchor)

    def map_code_view(self, request, object_id):
        report = self._report_to_change(request, object_id)
        code = request.POST.get("code", "").strip()
        unknown = {row.code.strip() for row in sales_report_unrecognized(report=report)}
        try:
            if not code or code not in unknown:
                raise CodeMappingError(f"Код «{code[:40]}» не входит в нераспознанные строки этого отчета.")
            position = position_from_key(request.POST.get("position", ""))
            if request.POST.get("mode") == "sku":
                if not request.user.has_perm("offline_exchange.add_skucode"):
                    raise PermissionDenied
                sku = sku_code_assign(code=code, item=position.item, characteristic=position.characteristic,
                                      pack=position.pack)
                done = f"Код SKU {sku.number:05d} присвоен позиции «{position.text}»."
            else:
                code_alias_set(device=report.device, code=code, item=position.item,
                               characteristic=position.characteristic, pack=position.pack, user=request.user)
                done = f"Код {code} кассы «{report.device}» сопоставлен с позицией «{position.text}»."
        except CodeMappingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._back(report, "#unrecognized")
        self.message_user(request, done + " Нажмите «Перепровести из журнала», чтобы отчет провелся.",
                          messages.SUCCESS)
        return self._back(report, "#unrecognized")

    def repost_view(self, request, object_id):
        report = self._report_to_change(request, object_id)
        try:
            sales_report_repost(report=report, user=request.user)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._back(report)
        report.refresh_from_db()
        if report.posted:
            self.message_user(request, f"{report}: перепроведен из журнала и проведен.", messages.SUCCESS)
        else:
            unknown = len(sales_report_unrecognized(report=report))
            short = "; ".join(sales_report_reasons_short(report=report, unknown_codes=unknown))
            self.message_user(request, f"{report}: перепроведен из журнала, но не проведен: {short}.",
                              messages.WARNING)
        return self._back(report)

    def print_view(self, request, object_id):
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("Отчет о розничных продажах не найден.")
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **report_page_context(report), "report": report,
                   "title": str(report)}
        return TemplateResponse(request, "admin/retail/retailsalesreport/print.html", context)

    def positions_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        found = positions_search(term=request.GET.get("term", ""))
        return JsonResponse({"results": [{"id": key, "text": text} for key, text in found],
                             "pagination": {"more": False}})
