"""Back-office admin: catalog, orders and the read-only Retail Sales Report review."""
from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from offline_exchange.admin import reload_entry
from offline_exchange.services.price_list import item_exchange_refusals
from offline_exchange.services.sku import SkuRangeExhaustedError, sku_generate_for_items

# The catalog admins import and export through the limited mixin (file limits, CSV/XLSX only).
from .admin_import import LimitedImportExportMixin as ImportExportMixin
from .admin_rights import GuardedHistoryMixin, StoreScopedAdminMixin
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


class BarcodeInline(admin.TabularInline):
    model = Barcode
    extra = 0
    autocomplete_fields = []


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


@admin.register(Item)
class ItemAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [ItemResource]
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
        refusals = item_exchange_refusals(item=obj) if obj.pk else []
        if not refusals:
            return "—"
        return format_html_join(mark_safe("<br>"), '<strong class="errornote">⚠ {}</strong>',
                                ((text,) for text in refusals))

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
class StockBalanceAdmin(admin.ModelAdmin):
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


class OrderLineInline(admin.TabularInline):
    model = CustomerOrderLine
    extra = 0


class OrderPaymentInline(admin.TabularInline):
    model = CustomerOrderPayment
    extra = 0


@admin.register(CustomerOrder)
class CustomerOrderAdmin(StoreScopedAdminMixin, OrderFollowsSalesMixin, admin.ModelAdmin):
    list_display = ["number", "date", "status", "is_cancelled", "counterparty", "store", "courier_cash_register"]
    list_filter = ["status", "is_cancelled", "store", "courier_cash_register"]
    search_fields = ["number", "counterparty__name", "phone"]
    inlines = [OrderLineInline, OrderPaymentInline]
    fieldsets = [
        (None, {"fields": ["number", "date", "status", "is_cancelled", "organization", "store", "warehouse",
                           "counterparty", "desired_date", "courier_cash_register"]}),
        ("Доставка", {"fields": ["address_city", "address_street", "address_building", "address_apartment",
                                 "address_entrance", "address_floor", "phone", "email", "comment"]}),
    ]


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
