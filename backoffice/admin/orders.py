"""Admin of customer orders: lines filled and summed, numbered like every document, their exchange state."""
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from backoffice.admin.lines import DocumentLinesMixin, pk_of
from backoffice.admin.stock import (
    OrderFollowsSalesMixin,  # also registers the store documents' admins
)
from common.ru import datetime_text, money_text
from offline_exchange.services.order_delivery import order_exchange
from retail.models import (
    CustomerOrder,
    CustomerOrderLine,
    CustomerOrderPayment,
    Store,
)
from retail.rights import scope_queryset
from retail.services.orders import (
    OrderTotals,
    order_lines_write,
    order_number_taken,
    order_save,
    order_totals,
)


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
    template = "admin/compact_inline.html"
    table_class = "order-lines"
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
    template = "admin/compact_inline.html"
    table_class = "order-payments"
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
class CustomerOrderAdmin(DocumentLinesMixin, OrderFollowsSalesMixin, admin.ModelAdmin):
    form = CustomerOrderForm
    lines_kind = "order"
    change_form_template = "admin/retail/customerorder/change_form.html"
    list_display = ["number", "date_shown", "status", "is_cancelled", "counterparty", "store", "total_shown",
                    "courier_cash_register"]
    list_priority = {"number": 1, "date_shown": 1, "status": 1, "total_shown": 1, "is_cancelled": 2,
                     "counterparty": 2, "store": 3, "courier_cash_register": 3}
    list_filter = ["status", "is_cancelled", "store", "courier_cash_register"]
    search_fields = ["number", "counterparty__name", "phone"]
    # Searched, never listed: a store sees only its own customers (retail.rights).
    autocomplete_fields = ["counterparty"]
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

    def lines_price_type_id(self, request):
        """An order's lines are priced at its store's retail price (a store of the user's)."""
        store = scope_queryset(Store.objects.all(), request.user).filter(pk=pk_of(request.GET.get("store"))).first()
        return store.retail_price_type_id if store is not None else None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["order_totals"] = order_totals(order=obj) if obj is not None else OrderTotals()
        context["lines_config"] = self.lines_config()
        return super().render_change_form(request, context, add, change, form_url, obj)


