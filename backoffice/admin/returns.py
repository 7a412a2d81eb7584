"""«Отчеты о розничных возвратах»: returns of checks sold in another shift, each its own document (as УТ 11.5
books them), read-only like the sales report they come with; each names the shift it was made in and the
sale's shift and report when the upload named them."""
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from backoffice.admin.exchange import reload_entry
from backoffice.admin.readonly import GoodsMoneyColumns, ReadOnlyInline, ReadOnlyMixin
from backoffice.admin.rights import GuardedHistoryMixin
from common.ru import datetime_text, money_text
from retail.models import (
    Check,
    RetailReturnsReport,
    RetailReturnsReportLine,
    RetailReturnsReportPayment,
    RetailSalesReport,
)
from retail.rights import scope_queryset
from retail.services.reasons import reason_text


class ReturnsLineInline(GoodsMoneyColumns, ReadOnlyInline):
    model = RetailReturnsReportLine
    fields = ["line_number", "item", "characteristic", "pack", "sent_code", "quantity_shown", "price_shown",
              "amount_shown", "vat_rate", "vat_amount_shown"]
    readonly_fields = fields

    @admin.display(description="Сумма НДС")
    def vat_amount_shown(self, obj):
        return money_text(obj.vat_amount)


class ReturnsPaymentInline(ReadOnlyInline):
    model = RetailReturnsReportPayment
    fields = ["line_number", "payment_kind", "option_code", "amount"]
    readonly_fields = fields


@admin.register(RetailReturnsReport)
class RetailReturnsReportAdmin(GuardedHistoryMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    # Viewed, never edited: what changes it is the shift's upload, reloaded from the journal.
    history_revert_allowed = False  # a received document: reload the shift from the journal instead
    list_display = ["posted_icon", "number", "date_shown", "store", "cash_register", "total_shown",
                    "shift_report_shown", "sale_report_shown"]
    list_display_links = ["number"]
    list_filter = ["posted", "store", "cash_register", ("date", admin.DateFieldListFilter)]
    list_select_related = ["store", "cash_register", "shift_report", "sale_report"]
    search_fields = ["number", "check_number", "sale_check_number"]
    date_hierarchy = "date"
    actions = ["reload_from_journal"]
    fieldsets = [
        (None, {"fields": ["number", "date_shown", "posted", "reasons_shown"]}),
        ("Касса и склад", {"fields": ["store", "cash_register", "organization", "warehouse", "device"]}),
        ("Чек возврата и продажа", {"fields": ["check_shown", "shift_report_shown", "sale_shown",
                                               "sale_report_shown"]}),
        ("Суммы", {"fields": ["total_shown", "vat_total_shown", "cash_total_shown", "electronic_total_shown"]}),
        (None, {"fields": ["comment", "responsible", "journal_entry"]}),
    ]
    inlines = [ReturnsLineInline, ReturnsPaymentInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        # A sale may come back in another store: its shift is named only to those who see that store.
        visible = scope_queryset(RetailSalesReport.objects.filter(pk=OuterRef("sale_report_id")), request.user)
        return super().get_queryset(request).annotate(sale_report_visible=Exists(visible))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user  # the sale may be another store's: see sale_shown, sale_report_shown
        return obj

    @admin.display(description="Проведен", boolean=True, ordering="posted")
    def posted_icon(self, obj):
        return obj.posted

    @admin.display(description="Причины, по которым документ не проведен")
    def reasons_shown(self, obj):
        # The stored reasons are data; their Russian is written in one place (retail.services.reasons).
        return "\n".join(reason_text(reason) for reason in obj.not_posted_reasons or []) or "—"

    @admin.display(description="Дата", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    @admin.display(description="Сумма возврата", ordering="total")
    def total_shown(self, obj):
        return money_text(obj.total)

    @admin.display(description="НДС в т.ч.")
    def vat_total_shown(self, obj):
        return money_text(obj.vat_total)

    @admin.display(description="Возвращено наличными")
    def cash_total_shown(self, obj):
        return money_text(obj.cash_total)

    @admin.display(description="Возвращено электронно")
    def electronic_total_shown(self, obj):
        return money_text(obj.electronic_total)

    @admin.display(description="Смена возврата")
    def shift_report_shown(self, obj):
        report = obj.shift_report
        return format_html('<a href="{}">смена № {}, отчет {}</a>',
                           reverse("admin:retail_retailsalesreport_change", args=[report.pk]), report.shift_number,
                           report.number)

    @admin.display(description="Смена продажи")
    def sale_report_shown(self, obj):
        report = obj.sale_report
        if report is not None and not getattr(obj, "sale_report_visible", False):
            return "смена другого магазина"
        if report is None:
            return "чек продажи в базе не найден" if obj.sale_check_uuid else "—"
        return format_html('<a href="{}">смена № {}, отчет {}</a>',
                           reverse("admin:retail_retailsalesreport_change", args=[report.pk]), report.shift_number,
                           report.number)

    @admin.display(description="Чек возврата")
    def check_shown(self, obj):
        check = obj.checks.first()
        if check is None:
            return f"№ {obj.check_number}"
        return format_html('<a href="{}">{}</a>', reverse("admin:retail_check_change", args=[check.pk]), check)

    @admin.display(description="Чек продажи")
    def sale_shown(self, obj):
        if not obj.sale_check_uuid:
            return "—"
        sale = scope_queryset(Check.objects.filter(uuid=obj.sale_check_uuid, operation=Check.Operation.SALE),
                              getattr(obj, "viewer", None)).first()
        if sale is None:
            return f"{obj.sale_check_uuid} (в базе его нет или он другого магазина)"
        return format_html('<a href="{}">{}</a>', reverse("admin:retail_check_change", args=[sale.pk]), sale)

    @admin.action(description="Перезагрузить смену из журнала", permissions=["view"])
    def reload_from_journal(self, request, queryset):
        if not request.user.has_perm("retail.change_retailsalesreport"):
            self.message_user(request, "Нет права изменять отчеты о розничных продажах.", messages.ERROR)
            return
        for entry in {doc.journal_entry for doc in queryset.select_related("journal_entry__device")}:
            if entry is None:
                self.message_user(request, "У документа нет записи журнала обмена: перезагружать нечего.",
                                  messages.WARNING)
                continue
            reload_entry(self, request, entry)
