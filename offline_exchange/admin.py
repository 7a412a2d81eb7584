"""Exchange set-up in the order of the 1С:Розница instruction, plus the journal and transfers."""
import re
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from retail.admin_rights import StoreScopedAdminMixin, SyncUsersFieldMixin
from retail.models import Item
from retail.templatetags.ru_format import datetime_text

from .models import (
    CashRegister, DeviceCodeAlias, ExchangeConsole, ExchangeJournalEntry, ExchangeRule, ExchangeSettings, OfflineDevice, PaymentKind, PaymentMapping,
    SkuCode, Transfer, TransferPackage,
)
from .services.devices import (
    LIST_SETTINGS, device_full_next_time, device_list_settings_changed, device_queue_reset,
)
from .services.journal import TWO_CLIENTS_WARNING
from .services.lockout import lockout_state
from .services.feed import price_list_full_reason, price_list_pending_count
from .services.sales import SUCCESS, sales_reports_reload
from .services.code_aliases import sku_number_of
from .services.sku import SkuRangeExhaustedError, sku_generate_for_rule
from .services.transfers import NOT_FORMED_NOTE


@admin.register(ExchangeSettings)
class ExchangeSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "offline_exchange_enabled", "auto_generate_sku", "weight_sku_min", "weight_sku_max"]

    def has_add_permission(self, request):
        return not ExchangeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ExchangeRuleForm(forms.ModelForm):
    filter_kinds = forms.TypedMultipleChoiceField(
        label="Отбор: виды номенклатуры", choices=Item.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ExchangeRule
        fields = "__all__"


@admin.register(ExchangeRule)
class ExchangeRuleAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = ExchangeRuleForm
    list_display = ["name", "warehouse", "export_groups"]
    filter_horizontal = ["filter_groups", "filter_items"]
    actions = ["generate_sku"]

    @admin.action(description="Сгенерировать SKU", permissions=["change"])
    def generate_sku(self, request, queryset):
        total = 0
        for rule in queryset:
            try:
                total += sku_generate_for_rule(rule=rule)
            except SkuRangeExhaustedError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
        self.message_user(request, f"Создано кодов SKU: {total}.", messages.SUCCESS)


@admin.register(OfflineDevice)
class OfflineDeviceAdmin(StoreScopedAdminMixin, SyncUsersFieldMixin, admin.ModelAdmin):
    list_display = ["name", "device_id", "organization", "rule", "format_version", "exchange_kind", "in_use",
                    "price_list_delivered_at"]
    list_filter = ["in_use", "exchange_kind", "organization"]
    search_fields = ["name", "device_id"]
    fieldsets = [
        (None, {"fields": ["name", "organization", "workplace", "rule", "in_use"]}),
        ("Настройки", {"fields": ["format_version", "goods_shape", "vat22", "exchange_kind", "device_id",
                                  "allow_discounts", "allow_payment_cards", "items_per_package", "export_balances"]}),
        ("Доступ", {"fields": ["users"]}),
    ]
    filter_horizontal = ["users"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and LIST_SETTINGS.intersection(form.changed_data):
            device_list_settings_changed(device=obj)


class PaymentMappingInline(admin.TabularInline):
    model = PaymentMapping
    extra = 0


@admin.register(CashRegister)
class CashRegisterAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "organization", "store", "device"]
    list_filter = ["store", "organization"]
    inlines = [PaymentMappingInline]


@admin.register(PaymentKind)
class PaymentKindAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "bank", "commission_percent"]
    list_filter = ["type"]


@admin.register(SkuCode)
class SkuCodeAdmin(admin.ModelAdmin):
    list_display = ["number", "item", "characteristic", "pack"]
    search_fields = ["item__name", "item__article"]
    search_help_text = "Наименование, артикул или номер SKU (как на кассе, можно с нулями впереди: 00042)."
    list_select_related = ["item", "characteristic", "pack"]
    readonly_fields = ["position_key"]

    def get_search_results(self, request, queryset, search_term):
        # A register shows the code padded («00042»): the number is matched as a number, not as text.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        number = sku_number_of(search_term)
        if number is not None:
            found = found | queryset.filter(number=number)
        return found, duplicates

    def save_model(self, request, obj, form, change):
        obj.position_key = SkuCode.key_for(obj.item_id, obj.characteristic_id, obj.pack_id)
        super().save_model(request, obj, form, change)


class TransferPackageInline(admin.TabularInline):
    model = TransferPackage
    fields = ["number", "sent"]
    readonly_fields = ["number", "sent"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "device", "full", "state", "package_total", "goods_count", "created_at", "completed_at"]
    list_filter = ["state", "full", "device"]
    inlines = [TransferPackageInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


DOCUMENT_SHOWN = 200_000


def reload_entry(model_admin, request, entry: ExchangeJournalEntry) -> None:
    """«Перезагрузить из журнала» of one stored upload, told to the admin as the device would be."""
    try:
        result = sales_reports_reload(entry=entry, user=request.user)
    except ValueError as exc:
        model_admin.message_user(request, f"{entry}: {exc}", messages.ERROR)
        return
    level = messages.SUCCESS if result.success and result.description == SUCCESS else messages.WARNING
    model_admin.message_user(request, f"{entry}: {result.description}", level)


@admin.register(ExchangeJournalEntry)
class ExchangeJournalEntryAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "operation", "status", "device", "device_ref", "user", "address", "repeats",
                    "duration_ms", "request_bytes", "response_bytes", "short_error", "warning"]
    search_fields = ["device_ref", "error", "note", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["device", "user"]
    exclude = ["document"]

    list_filter = ["status", "operation", "doc_type", "device", ("created_at", admin.DateFieldListFilter)]
    actions = ["reload_from_journal"]

    @admin.display(description="Ошибка")
    def short_error(self, obj):
        return obj.error[:120]

    def get_urls(self):
        download = path("<int:pk>/document/", self.admin_site.admin_view(self.document_view),
                        name="offline_exchange_exchangejournalentry_document")
        return [download] + super().get_urls()

    def document_view(self, request, pk):
        entry = self.get_object(request, str(pk))
        if entry is None or not self.has_view_permission(request, entry) or not entry.document:
            raise Http404("В этой записи журнала нет загруженного документа")
        response = HttpResponse(bytes(entry.document), content_type="application/xml; charset=utf-8")
        # The DocType is the device's word: only letters, digits, «_» and «-» reach the file name.
        kind = re.sub(r"[^A-Za-z0-9_-]", "_", entry.doc_type or entry.operation)[:40] or "document"
        name = f"{kind}-{entry.pk}-{entry.created_at:%Y%m%d-%H%M%S}.xml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.action(description="Перезагрузить из журнала", permissions=["view"])
    def reload_from_journal(self, request, queryset):
        if not request.user.has_perm("retail.change_retailsalesreport"):
            self.message_user(request, "Нет права изменять отчеты о розничных продажах.", messages.ERROR)
            return
        for entry in queryset.filter(operation="PostDocs").select_related("device").order_by("created_at", "id"):
            reload_entry(self, request, entry)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "document"] + ["document_text"]

    @admin.display(description="Загруженный документ")
    def document_text(self, obj):
        if not obj.document:
            return "—"
        data = bytes(obj.document)
        shown = data[:DOCUMENT_SHOWN].decode("utf-8", errors="replace")
        url = reverse("admin:offline_exchange_exchangejournalentry_document", args=[obj.pk])
        more = f" (показаны первые {DOCUMENT_SHOWN} байт из {len(data)})" if len(data) > DOCUMENT_SHOWN else ""
        return format_html("<p><a href='{}'>Скачать XML</a>{}</p>"
                           "<pre style='white-space:pre-wrap;max-height:40em;overflow:auto'>{}</pre>",
                           url, more, shown)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)





def _journal_url(**filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return reverse("admin:offline_exchange_exchangejournalentry_changelist") + (f"?{query}" if query else "")


def _last_ok(operations: list[str]):
    # A poll answered «not formed yet» delivered nothing.
    return Subquery(ExchangeJournalEntry.objects.filter(
        device=OuterRef("pk"), operation__in=operations, status=ExchangeJournalEntry.Status.OK,
    ).exclude(note=NOT_FORMED_NOTE).order_by("-created_at").values("created_at")[:1])


@admin.register(ExchangeConsole)
class ExchangeConsoleAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """One line per device: when it last talked to us, what it last received and sent, what waits for it."""

    list_display = ["name", "device_id", "last_contact_link", "last_settings", "last_price_list", "last_orders",
                    "last_upload", "pending", "current_transfer", "last_error_link", "warnings"]
    list_display_links = None
    list_filter = ["in_use", "organization"]
    search_fields = ["name", "device_id"]
    actions = ["full_next_time", "reset_queue"]

    def get_queryset(self, request):
        journal = ExchangeJournalEntry.objects.filter(device=OuterRef("pk"))
        errors = journal.filter(status__in=[ExchangeJournalEntry.Status.FAULT, ExchangeJournalEntry.Status.REFUSED,
                                            ExchangeJournalEntry.Status.DENIED]).order_by("-created_at")
        return super().get_queryset(request).select_related("rule").annotate(
            last_contact=Subquery(journal.order_by("-created_at").values("created_at")[:1]),
            last_settings_at=_last_ok(["GetSettings"]),
            last_price_list_at=_last_ok(["GetPriceListPackage", "GetPriceList"]),
            last_orders_at=_last_ok(["GetDocs"]),
            last_upload_at=_last_ok(["PostDocs"]),
            last_error_id=Subquery(errors.values("pk")[:1]),
            last_error_text=Subquery(errors.values("error")[:1]),
            last_error_at=Subquery(errors.values("created_at")[:1]),
            two_clients=Exists(journal.filter(created_at__gte=timezone.now() - timedelta(days=1))
                               .exclude(warning="")),
        ).prefetch_related("users")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Последний обмен", ordering="last_contact")
    def last_contact_link(self, obj):
        if obj.last_contact is None:
            return "не было"
        return format_html('<a href="{}">{}</a>', _journal_url(device__id__exact=obj.pk),
                           f"{obj.last_contact:%d.%m.%Y %H:%M:%S}")

    def _at(self, value, obj, operation):
        if value is None:
            return "—"
        return format_html('<a href="{}">{}</a>', _journal_url(device__id__exact=obj.pk, operation__exact=operation),
                           f"{value:%d.%m.%Y %H:%M:%S}")

    @admin.display(description="Настройки получены")
    def last_settings(self, obj):
        return self._at(obj.last_settings_at, obj, "GetSettings")

    @admin.display(description="Прайс-лист получен")
    def last_price_list(self, obj):
        return self._at(obj.last_price_list_at, obj, "GetPriceListPackage")

    @admin.display(description="Заказы получены")
    def last_orders(self, obj):
        return self._at(obj.last_orders_at, obj, "GetDocs")

    @admin.display(description="Продажи загружены")
    def last_upload(self, obj):
        return self._at(obj.last_upload_at, obj, "PostDocs")

    @admin.display(description="Изменений к выгрузке")
    def pending(self, obj):
        reason = price_list_full_reason(device=obj)
        if reason:
            return f"следующая выгрузка — полная: {reason}"
        return price_list_pending_count(device=obj)

    @admin.display(description="Текущая выгрузка")
    def current_transfer(self, obj):
        transfer = obj.transfers.order_by("-created_at").first()
        if transfer is None:
            return "нет" + (" (следующая — полная)" if price_list_full_reason(device=obj) else "")
        sent = transfer.packages.filter(sent=True).count()
        kind = "полная" if transfer.full else "изменения"
        url = reverse("admin:offline_exchange_transfer_change", args=[transfer.pk])
        line = format_html('<a href="{}">{}, {}: товаров {}, пакетов {} / сформировано {} / передано {}</a>', url,
                           kind, transfer.get_state_display().lower(), transfer.goods_count,
                           transfer.package_total, transfer.built_packages, sent)
        if transfer.left_out:
            line = format_html('{}<br><strong class="errornote">⚠ {}</strong>', line, transfer.left_out[:600])
        return line

    @admin.display(description="Последняя ошибка")
    def last_error_link(self, obj):
        if obj.last_error_id is None:
            return "—"
        url = reverse("admin:offline_exchange_exchangejournalentry_change", args=[obj.last_error_id])
        return format_html('<a href="{}">{}: {}</a>', url, f"{obj.last_error_at:%d.%m.%Y %H:%M}",
                           (obj.last_error_text or "")[:160])

    @admin.display(description="Предупреждения")
    def warnings(self, obj):
        """Lock-outs of the device's logins and two clients sharing its identifier, as they stand now."""
        found = lockout_state(usernames=[user.username for user in obj.users.all()])
        if obj.two_clients:  # a journal entry of the last day says so
            found.append(TWO_CLIENTS_WARNING)
        return format_html_join(mark_safe("<br>"), "{}", ((text,) for text in found)) if found else "—"

    @admin.action(description="Выгрузить полностью при следующем обмене", permissions=["view"])
    def full_next_time(self, request, queryset):
        if not request.user.has_perm("offline_exchange.change_offlinedevice"):
            self.message_user(request, "Нет права изменять подключаемое оборудование.", messages.ERROR)
            return
        for device in queryset:
            device_full_next_time(device=device)
        self.message_user(request, f"При следующем обмене полный прайс-лист получат: {queryset.count()} устр.",
                          messages.SUCCESS)

    @admin.action(description="Сбросить очередь", permissions=["view"])
    def reset_queue(self, request, queryset):
        if not request.user.has_perm("offline_exchange.change_offlinedevice"):
            self.message_user(request, "Нет права изменять подключаемое оборудование.", messages.ERROR)
            return
        dropped = sum(device_queue_reset(device=device) for device in queryset)
        self.message_user(request, f"Удалено выгрузок: {dropped}. Изменения, еще не полученные устройствами, "
                                   "сохранены в ленте изменений и уйдут при следующем обмене.", messages.SUCCESS)


@admin.register(DeviceCodeAlias)
class DeviceCodeAliasAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    """The codes mapped on report pages: shown, and deleted when a mapping was wrong (map it again on the
    report's page; a mapping is never edited here, where the report it came from is out of sight)."""

    list_display = ["code", "device", "position", "created_by", "created_shown"]
    list_filter = ["device"]
    search_fields = ["code", "item__name", "item__article"]
    list_select_related = ["device", "item", "characteristic", "pack", "created_by"]

    @admin.display(description="Позиция номенклатуры")
    def position(self, obj):
        return obj.position_text()

    @admin.display(description="Сопоставлен", ordering="created_at")
    def created_shown(self, obj):
        return datetime_text(obj.created_at)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)
