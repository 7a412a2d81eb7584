"""Admin of the catalog and the store structure: organizations, stores, warehouses, items and their
positions, prices and balances."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

# The catalog admins import and export through the limited mixin (file limits, CSV/XLSX only).
from backoffice.admin.imports import LimitedImportExportMixin as ImportExportMixin
from backoffice.admin.readonly import ReadOnlyAdmin
from backoffice.item_card import item_exchange_warnings, item_positions
from offline_exchange.services.sku import SkuRangeExhaustedError, sku_generate_for_items
from retail.models import (
    Barcode,
    Characteristic,
    Counterparty,
    Item,
    ItemGroup,
    Organization,
    Pack,
    Price,
    PriceType,
    StockBalance,
    Store,
    TaxationSystem,
    Unit,
    Warehouse,
)
from retail.resources import (
    BarcodeResource,
    CharacteristicResource,
    ItemResource,
    PackResource,
    PriceResource,
)


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
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "retail_price_type"]
    inlines = [WarehouseInline]
    filter_horizontal = ["staff"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
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

    def get_object(self, request, object_id, from_field=None):
        item = super().get_object(request, object_id, from_field)
        if item is not None:
            # The card names registers: only those of the viewer's stores (a read-only field gets no request).
            item.viewer = request.user
        return item

    @admin.display(description="Выгрузка на кассы")
    def exchange_refusals(self, obj):
        viewer = getattr(obj, "viewer", None)
        warnings = item_exchange_warnings(item=obj, user=viewer) if obj and obj.pk and viewer else []
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
        # A code, not an amount: never «100 009».
        return str(code.number) if code else "—"

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
class StockBalanceAdmin(ReadOnlyAdmin):
    """Totals of the stock ledger: read-only, changed by posting documents (backoffice.admin.stock)."""

    list_display = ["item", "characteristic", "warehouse", "quantity"]
    list_filter = ["warehouse"]
    search_fields = ["item__name", "item__article"]


