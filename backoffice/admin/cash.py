"""Admins of the cash: «Выемка денежных средств из кассы ККМ» (written after each upload, or by hand) and
«Денежные средства», the ledger its posting and the posted sales reports write."""
from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from backoffice.admin.readonly import ReadOnlyAdmin
from backoffice.admin.stock import StockDocumentAdmin
from common.ru import datetime_text, money_text
from retail.models import STORE_CASH_DESK, CashWithdrawal, MoneyMovement


class CashWithdrawalForm(forms.ModelForm):
    class Meta:
        model = CashWithdrawal
        fields = ["date", "organization", "store", "cash_register", "amount", "comment"]

    def clean(self):
        data = super().clean()
        store, register = data.get("store"), data.get("cash_register")
        if store is not None and register is not None and register.store_id != store.pk:
            raise ValidationError({"cash_register": f"Касса ККМ «{register}» относится к магазину "
                                                    f"«{register.store}», а не к «{store}»."})
        if data.get("amount") is not None and data["amount"] <= 0:
            raise ValidationError({"amount": "Сумма выемки должна быть больше нуля."})
        return data


def document_link(obj) -> str:
    """The document that wrote a ledger row, as a link to its page."""
    document = obj.document
    if document is None:
        return "—"
    try:
        url = reverse(f"admin:{obj.document_type.app_label}_{obj.document_type.model}_change", args=[obj.document_id])
    except NoReverseMatch:
        return str(document)
    return format_html('<a href="{}">{}</a>', url, document)


@admin.register(CashWithdrawal)
class CashWithdrawalAdmin(StockDocumentAdmin):
    form = CashWithdrawalForm
    change_form_template = "admin/retail/cashwithdrawal/change_form.html"
    list_display = ["number", "date_shown", "store", "cash_register", "amount_shown", "posted", "report_link"]
    list_priority = {"number": 1, "date_shown": 1, "amount_shown": 1, "posted": 1, "cash_register": 2,
                     "report_link": 3, "store": 3}
    list_filter = ["posted", "store", "cash_register", ("date", admin.DateFieldListFilter)]
    list_select_related = ["store", "cash_register", "sales_report"]
    readonly_fields = ["number", "posted", "report_link"]

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": ["number", "date", "organization", "store", "cash_register", "amount", "posted",
                                   "report_link", "comment"]})]

    @admin.display(description="Сумма", ordering="amount")
    def amount_shown(self, obj):
        return money_text(obj.amount)

    @admin.display(description="Отчет о розничных продажах")
    def report_link(self, obj):
        if obj is None or obj.sales_report_id is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:retail_retailsalesreport_change",
                                                          args=[obj.sales_report_id]), obj.sales_report)

    def save_related(self, request, form, formsets, change):
        # No lines to fill: only «Провести» / «Отменить проведение» as asked.
        super(StockDocumentAdmin, self).save_related(request, form, formsets, change)
        self._post_as_asked(request, form.instance)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context = super().render_change_form(request, context, add, change, form_url, obj)
        rows = []
        if obj is not None and obj.pk:
            rows = list(MoneyMovement.objects.filter(document_type=ContentType.objects.get_for_model(obj),
                                                     document_id=obj.pk).select_related("cash_register")
                        .order_by("line_number"))
            for row in rows:
                row.income = row.amount if row.amount > 0 else None
                row.expense = -row.amount if row.amount < 0 else None
        context.context_data["money_movements"] = rows
        return context


@admin.register(MoneyMovement)
class MoneyMovementAdmin(ReadOnlyAdmin):
    """«Денежные средства»: read-only, written by posted sales reports and withdrawals."""

    list_display = ["date_shown", "store", "place", "kind", "income", "expense", "document_shown"]
    list_priority = {"date_shown": 1, "income": 1, "expense": 1, "document_shown": 1, "place": 2, "kind": 2,
                     "store": 3}
    list_filter = ["store", "cash_register", "kind", ("date", admin.DateFieldListFilter)]
    list_select_related = ["store", "cash_register", "document_type"]
    date_hierarchy = "date"

    @admin.display(description="Период", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    @admin.display(description="Касса")
    def place(self, obj):
        return str(obj.cash_register) if obj.cash_register_id else STORE_CASH_DESK

    @admin.display(description="Приход")
    def income(self, obj):
        return money_text(obj.amount) if obj.amount > 0 else ""

    @admin.display(description="Расход")
    def expense(self, obj):
        return money_text(-obj.amount) if obj.amount < 0 else ""

    @admin.display(description="Регистратор")
    def document_shown(self, obj):
        return document_link(obj)
