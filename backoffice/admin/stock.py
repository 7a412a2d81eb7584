"""Admins of the store's documents: «Провести» / «Отменить проведение», lines by barcode and from a file."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from backoffice.admin.lines import DocumentLinesMixin
from backoffice.admin.readonly import ReadOnlyAdmin
from backoffice.admin.rights import GuardedHistoryMixin
from common.ru import datetime_text, money_text, quantity_text
from retail.models import (
    AccountingSettings,
    GoodsReceipt,
    GoodsReceiptLine,
    OpeningBalance,
    OpeningBalanceLine,
    PriceSetting,
    PriceSettingLine,
    StockCount,
    StockCountLine,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    WriteOff,
    WriteOffLine,
)
from retail.services.numbering import document_number_assign
from retail.services.orders import order_close, order_fulfilment, order_state
from retail.services.posting import PostingError, document_delete, document_post, document_unpost
from retail.services.stock_lines import (
    LinesError,
    document_line_add,
    document_lines_import,
    position_by_barcode,
)


class StockDocumentForm(forms.ModelForm):
    lines_file = forms.FileField(
        label="Загрузить строки из файла", required=False,
        help_text="CSV или XLSX с колонками: Штрихкод (или Артикул, или Номенклатура), Характеристика, "
                  "Количество, Цена, Розничная цена. Нажмите «Загрузить из файла».",
    )
    barcode = forms.CharField(label="Штрихкод", required=False, max_length=64,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                                            "placeholder": "Отсканируйте штрихкод"}))

    def clean(self):
        data = super().clean()
        warehouse, to_warehouse = data.get("warehouse"), data.get("to_warehouse")
        if warehouse is not None and warehouse == to_warehouse:
            raise ValidationError("Склад-отправитель и склад-получатель должны различаться.")
        return data


class LineInline(admin.TabularInline):
    extra = 0
    autocomplete_fields = ["item", "characteristic"]
    raw_id_fields = []

    def get_fields(self, request, obj=None):
        return ["line_number", "item", "characteristic"] + self.line_fields

    def get_readonly_fields(self, request, obj=None):
        return getattr(self, "readonly_line_fields", [])


class StockDocumentAdmin(DocumentLinesMixin, GuardedHistoryMixin, SimpleHistoryAdmin):
    """What every store document's admin does, as in 1С:Розница's document forms."""

    form = StockDocumentForm
    change_form_template = "admin/retail/stock_document/change_form.html"
    list_display = ["number", "date_shown", "warehouse", "posted", "organization", "comment"]
    list_priority = {"number": 1, "date_shown": 1, "posted": 1, "warehouse": 1, "total_shown": 1, "price_type": 1,
                     "supplier": 2, "reason": 2, "to_warehouse": 2, "organization": 3, "comment": 4}
    list_filter = ["posted", "warehouse", ("date", admin.DateFieldListFilter)]
    search_fields = ["number", "comment"]
    date_hierarchy = "date"
    actions = ["post_selected", "unpost_selected"]
    header_fields = ["warehouse"]
    readonly_fields = ["number", "posted_state"]

    @admin.display(description="Дата", ordering="date")
    def date_shown(self, obj):
        return datetime_text(obj.date)

    @admin.display(description="Проведен")
    def posted_state(self, obj):
        # Words, not Django's red ✖: a document being filled is not posted yet, which is no alarm.
        return "Да" if obj is not None and obj.posted else "Нет"

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["number", "date", "organization"] + self.header_fields
                              + ["posted_state", "comment"]})]
        # A viewer cannot fill lines: without this the scan inputs showed as «Barcode: None».
        if self.has_change_permission(request, obj) or (obj is None and self.has_add_permission(request)):
            fieldsets.append(("Подбор строк", {"fields": ["barcode", "lines_file"]}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        if not change:
            obj.responsible = request.user
        document_number_assign(document=obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        document = form.instance
        post = request.POST
        try:
            if post.get("barcode", "").strip() and "_import" not in post:
                line = document_line_add(document=document, position=position_by_barcode(post["barcode"]))
                self.message_user(request, f"Добавлено: {line.item}" + (
                    f", {line.characteristic}" if line.characteristic_id else ""), messages.SUCCESS)
            if "_import" in post:
                upload = request.FILES.get("lines_file")
                if upload is None:
                    raise LinesError("Выберите файл CSV или XLSX.")
                count = document_lines_import(document=document, upload=upload)
                self.message_user(request, f"Загружено строк из файла: {count}.", messages.SUCCESS)
        except LinesError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        self._post_as_asked(request, document)

    def delete_model(self, request, obj):
        document_delete(document=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        # «Удалить выбранные» of the list goes here, not through delete_model.
        for document in queryset:
            document_delete(document=document, user=request.user)

    def _post_as_asked(self, request, document):
        post = request.POST
        try:
            if "_unpost" in post:
                document_unpost(document=document, user=request.user)
                self.message_user(request, f"{document}: проведение отменено.", messages.SUCCESS)
            elif "_post" in post or "_post_close" in post or document.posted:
                # Writing a posted document posts it again, as in 1C: its movements follow its lines.
                with transaction.atomic():
                    document_post(document=document, user=request.user)
                if "_post" in post or "_post_close" in post:
                    self.message_user(request, f"{document} проведен.", messages.SUCCESS)
        except PostingError as exc:
            document_unpost(document=document, user=request.user)
            self.message_user(request, f"{document} не проведен: {exc}.", messages.ERROR)

    def _stay(self, request, obj):
        return any(key in request.POST for key in ("_post", "_unpost", "_import", "_scan")) or (
            request.POST.get("barcode", "").strip() and "_post_close" not in request.POST)

    def response_add(self, request, obj, post_url_continue=None):
        if self._stay(request, obj):
            return HttpResponseRedirect(request.path.replace("/add/", f"/{obj.pk}/change/"))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._stay(request, obj):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description="Провести", permissions=["change"])
    def post_selected(self, request, queryset):
        done = 0
        for document in queryset.order_by("date", "pk"):
            try:
                with transaction.atomic():
                    document_post(document=document, user=request.user)
                done += 1
            except PostingError as exc:
                self.message_user(request, f"{document} не проведен: {exc}.", messages.ERROR)
        self.message_user(request, f"Проведено документов: {done}.", messages.SUCCESS)

    @admin.action(description="Отменить проведение", permissions=["change"])
    def unpost_selected(self, request, queryset):
        for document in queryset:
            document_unpost(document=document, user=request.user)
        self.message_user(request, f"Отменено проведение документов: {queryset.count()}.", messages.SUCCESS)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["lines_config"] = self.lines_config()
        context["lines_total"] = getattr(obj, "total", None) if obj is not None and obj.pk else None
        context["movements"] = []
        if obj is not None and obj.pk:
            from django.contrib.contenttypes.models import ContentType
            context["movements"] = list(StockMovement.objects.filter(
                document_type=ContentType.objects.get_for_model(obj), document_id=obj.pk)
                .select_related("warehouse", "item", "characteristic").order_by("line_number"))
            for m in context["movements"]:
                m.income = m.quantity if m.quantity > 0 else None
                m.expense = -m.quantity if m.quantity < 0 else None
        return super().render_change_form(request, context, add, change, form_url, obj)


class OpeningBalanceLineInline(LineInline):
    model = OpeningBalanceLine
    line_fields = ["quantity", "price"]


@admin.register(OpeningBalance)
class OpeningBalanceAdmin(StockDocumentAdmin):
    inlines = [OpeningBalanceLineInline]


class GoodsReceiptLineInline(LineInline):
    model = GoodsReceiptLine
    line_fields = ["quantity", "price", "amount", "vat_rate", "retail_price"]


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(StockDocumentAdmin):
    inlines = [GoodsReceiptLineInline]
    lines_kind = "receipt"
    header_fields = ["warehouse", "supplier", "supplier_document", "retail_price_type"]
    # Searched, never listed: a store sees only its own suppliers (retail.rights).
    autocomplete_fields = ["supplier"]
    list_display = ["number", "date_shown", "warehouse", "supplier", "total_shown", "posted", "organization", "comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lines_total=Sum("lines__amount"))

    @admin.display(description="Сумма", ordering="lines_total")
    def total_shown(self, obj):
        return money_text(getattr(obj, "lines_total", None) or 0)


class WriteOffLineInline(LineInline):
    model = WriteOffLine
    line_fields = ["quantity"]


@admin.register(WriteOff)
class WriteOffAdmin(StockDocumentAdmin):
    inlines = [WriteOffLineInline]
    header_fields = ["warehouse", "reason"]
    list_display = ["number", "date_shown", "warehouse", "reason", "posted", "organization", "comment"]


class StockCountLineInline(LineInline):
    model = StockCountLine
    line_fields = ["counted_quantity", "book_quantity", "difference"]
    readonly_line_fields = ["book_quantity", "difference"]

    @admin.display(description="Отклонение")
    def difference(self, obj):
        return obj.difference if obj.pk else "—"


@admin.register(StockCount)
class StockCountAdmin(StockDocumentAdmin):
    inlines = [StockCountLineInline]
    lines_quantity_field = "counted_quantity"


class StockTransferLineInline(LineInline):
    model = StockTransferLine
    line_fields = ["quantity"]


@admin.register(StockTransfer)
class StockTransferAdmin(StockDocumentAdmin):
    inlines = [StockTransferLineInline]
    header_fields = ["warehouse", "to_warehouse"]
    unscoped_choices = ("to_warehouse",)
    list_display = ["number", "date_shown", "warehouse", "to_warehouse", "posted", "organization", "comment"]


class PriceSettingLineInline(LineInline):
    model = PriceSettingLine
    line_fields = ["price"]


@admin.register(PriceSetting)
class PriceSettingAdmin(StockDocumentAdmin):
    inlines = [PriceSettingLineInline]
    lines_kind, lines_quantity_field = "price_setting", "price"
    header_fields = ["price_type"]
    list_display = ["number", "date_shown", "price_type", "posted", "organization", "comment"]
    list_filter = ["posted", "price_type", ("date", admin.DateFieldListFilter)]


@admin.register(AccountingSettings)
class AccountingSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not AccountingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    """«Товары на складах»: read-only, written by posted documents."""

    list_display = ["date", "warehouse", "item", "characteristic", "quantity", "document_link"]
    list_filter = ["warehouse", ("date", admin.DateFieldListFilter), "document_type"]
    search_fields = ["item__name", "item__article"]
    list_select_related = ["warehouse", "item", "characteristic", "document_type"]
    date_hierarchy = "date"

    @admin.display(description="Регистратор")
    def document_link(self, obj):
        from django.urls import NoReverseMatch, reverse
        from django.utils.html import format_html

        try:
            url = reverse(f"admin:{obj.document_type.app_label}_{obj.document_type.model}_change",
                          args=[obj.document_id])
        except NoReverseMatch:
            return str(obj.document)
        return format_html('<a href="{}">{}</a>', url, obj.document)


class OrderFollowsSalesMixin:
    """The customer order page shows what posted sales reports shipped and paid, and its state."""

    actions = ["close_orders"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(1, ("Продажа и оплата", {"fields": ["sales_state", "fulfilment"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return list(super().get_readonly_fields(request, obj)) + ["sales_state", "fulfilment"]

    @admin.display(description="Состояние")
    def sales_state(self, obj):
        return order_state(order=obj) if obj and obj.pk else "—"

    @admin.display(description="Отгружено и оплачено")
    def fulfilment(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html, format_html_join
        from django.utils.safestring import mark_safe


        if obj is None or obj.pk is None:
            return "—"
        data = order_fulfilment(order=obj)
        rows = []
        for line in obj.lines.select_related("item", "characteristic", "pack"):
            shipped = data.shipped.get((line.item_id, line.characteristic_id, line.pack_id), 0)
            rows.append((str(line.item) + (f", {line.characteristic}" if line.characteristic_id else ""),
                         quantity_text(line.quantity), quantity_text(shipped)))
        goods = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        reports = format_html_join("", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>', [
            (reverse("admin:retail_retailsalesreport_change", args=[report.pk]), str(report),
             money_text(shipped), money_text(paid)) for report, shipped, paid in data.reports])
        return format_html(
            '<table class="order-fulfilment"><thead><tr><th>Товар</th><th>Заказано</th><th>Отгружено</th></tr>'
            "</thead><tbody>{}</tbody></table>"
            '<table class="order-reports"><thead><tr><th>Отчет о розничных продажах</th><th>Отгружено на сумму</th>'
            "<th>Оплачено</th></tr></thead><tbody>{}</tbody></table>"
            "<p>Сумма заказа {}; предоплата {}; оплачено при продаже {}; всего оплачено {}.</p>",
            goods, reports or mark_safe("<tr><td colspan=3>Продаж по заказу нет</td></tr>"),
            money_text(data.total), money_text(data.prepaid), money_text(data.paid_at_sale), money_text(data.paid))

    @admin.action(description="Закрыть заказ", permissions=["change"])
    def close_orders(self, request, queryset):
        for order in queryset:
            order_close(order=order)
        self.message_user(request, f"Закрыто заказов: {queryset.count()}.", messages.SUCCESS)
