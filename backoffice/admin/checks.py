"""«Чеки ККМ»: every uploaded check, read-only, found by number, date, amount, item or marking code; each
leads to its shift's report and store (a marking code → its check → shift → report → store). Store scope
applies to the list, the pages and the filters, as the site applies it to every admin (`backoffice.admin_scope`)."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin.readonly import GoodsMoneyColumns, ReadOnlyAdmin, ReadOnlyInline
from common.ru import datetime_text, money_text, vat_text
from offline_exchange.format.rates import check_line_rate
from retail.models import Check, CheckLine, CheckMarkingCode, CheckPayment
from retail.rights import scope_queryset
from retail.services.check_reports import checks_search


class CheckLineInline(GoodsMoneyColumns, ReadOnlyInline):
    model = CheckLine
    fields = ["line_number", "code", "item", "characteristic", "pack", "quantity_shown", "price_shown",
              "amount_shown", "vat_shown", "payment_method"]
    readonly_fields = fields

    @admin.display(description="Ставка НДС")
    def vat_shown(self, obj):
        # As the checks print it («20%», «Без НДС»), the register's own spelling beside a calculated rate.
        rate = check_line_rate(obj.vat_rate)
        if rate is None:
            return obj.vat_rate  # not a rate we know: as sent
        if not rate:
            return "—"
        text = vat_text(rate)
        return f"{text} ({obj.vat_rate})" if "/" in obj.vat_rate else text


class CheckMarkingCodeInline(ReadOnlyInline):
    model = CheckMarkingCode
    fields = ["line_number", "code"]
    readonly_fields = fields


class CheckPaymentInline(ReadOnlyInline):
    model = CheckPayment
    fields = ["payment_kind", "option_code", "amount_shown"]
    readonly_fields = fields

    @admin.display(description="Сумма")
    def amount_shown(self, obj):
        return money_text(obj.amount)


def _link(url_name: str, obj, text=None):
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), text or str(obj))


@admin.register(Check)
class CheckAdmin(ReadOnlyAdmin):
    """Read only: a check is what the register sent; a re-sent shift replaces its checks."""

    list_display = ["date_shown", "number", "operation", "total_shown", "store_shown", "register_shown",
                    "shift_shown", "report_shown"]
    list_display_links = ["date_shown", "number"]
    list_filter = ["operation", "report__store", "report__cash_register", ("date", admin.DateFieldListFilter)]
    list_select_related = ["report__store", "report__cash_register"]
    search_fields = ["number"]  # the search itself is `checks_search` (number, date, amount, item, code)
    search_help_text = ("Номер чека, дата (13.07.2020), сумма (1 306,84), товар (наименование или артикул) или код "
                        "маркировки (целиком или начало: GTIN и серийный номер).")
    date_hierarchy = "date"
    show_full_result_count = False  # a count of millions of checks on every page is not worth its time
    fieldsets = [
        (None, {"fields": ["operation", "number", "date_shown", "total_shown", "line_count"]}),
        ("Где и когда", {"fields": ["store_shown", "register_shown", "shift_shown", "report_shown"]}),
        ("Оплата", {"fields": ["cash_shown", "electronic_shown", "prepayment_shown", "postpayment_shown",
                               "barter_shown"]}),
        ("Связанные документы", {"fields": ["ref_shown", "order", "returns_report_shown", "uuid"]}),
    ]
    inlines = [CheckLineInline, CheckMarkingCodeInline, CheckPaymentInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user  # the sale check a return names may be another store's: see ref_shown
        return obj

    def get_search_results(self, request, queryset, search_term):
        return checks_search(queryset=queryset, term=search_term), False

    @admin.display(description="Время", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    @admin.display(description="Сумма", ordering="total")
    def total_shown(self, obj):
        return money_text(obj.total)

    @admin.display(description="Магазин")
    def store_shown(self, obj):
        return obj.report.store or "—"

    @admin.display(description="Касса ККМ")
    def register_shown(self, obj):
        return obj.report.cash_register or "—"

    @admin.display(description="Смена")
    def shift_shown(self, obj):
        report = obj.report
        opened = datetime_text(report.shift_opened_at)
        return f"№ {report.shift_number}, открыта {opened}"

    @admin.display(description="Отчет о розничных продажах")
    def report_shown(self, obj):
        return _link("admin:retail_retailsalesreport_change", obj.report, obj.report.number)

    @admin.display(description="Наличными")
    def cash_shown(self, obj):
        return money_text(obj.cash)

    @admin.display(description="Электронно")
    def electronic_shown(self, obj):
        return money_text(obj.electronic)

    @admin.display(description="Зачтено предоплатой")
    def prepayment_shown(self, obj):
        return money_text(obj.prepayment)

    @admin.display(description="В кредит (постоплата)")
    def postpayment_shown(self, obj):
        return money_text(obj.postpayment)

    @admin.display(description="Встречным предоставлением")
    def barter_shown(self, obj):
        return money_text(obj.barter)

    @admin.display(description="Чек продажи / заказ")
    def ref_shown(self, obj):
        if not obj.ref_uuid:
            return "—"
        if obj.ref_type == Check.RefType.CHECK:
            # Named only when it is in the viewer's stores (a sale may come back in another store).
            sale = (scope_queryset(Check.objects.filter(uuid=obj.ref_uuid), getattr(obj, "viewer", None))
                    .exclude(pk=obj.pk).select_related("report").first())
            if sale is not None:
                return format_html('<a href="{}">{}</a> (смена № {}, отчет {})',
                                   reverse("admin:retail_check_change", args=[sale.pk]), sale,
                                   sale.report.shift_number, sale.report.number)
            return f"чек {obj.ref_uuid} (в базе его нет или он другого магазина)"
        return f"{obj.get_ref_type_display()} {obj.ref_uuid}"

    @admin.display(description="Отчет о розничных возвратах")
    def returns_report_shown(self, obj):
        return _link("admin:retail_retailreturnsreport_change", obj.returns_report)
