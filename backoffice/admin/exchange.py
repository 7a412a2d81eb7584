"""Exchange set-up in the order of the 1С:Розница instruction, plus the journal and transfers."""
import json
import re
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from backoffice.admin.readonly import ReadOnlyAdmin
from backoffice.admin.rights import SyncUsersFieldMixin
from common.ru import datetime_text
from offline_exchange.format.contents import GOOD_COLUMNS, ORDER_COLUMNS
from offline_exchange.format.versions import NEWEST_FORMAT
from offline_exchange.models import (
    DOC_TYPE_NAMES,
    OPERATION_NAMES,
    CashRegister,
    DeviceCodeAlias,
    ExchangeConsole,
    ExchangeJournalEntry,
    ExchangeRule,
    ExchangeSettings,
    OfflineDevice,
    PaymentKind,
    PaymentMapping,
    SkuCode,
    Transfer,
    TransferPackage,
)
from offline_exchange.services.code_aliases import sku_number_of
from offline_exchange.services.connections import unknown_connection_list
from offline_exchange.services.devices import (
    LIST_SETTINGS,
    device_format_switch,
    device_full_next_time,
    device_list_settings_changed,
    device_queue_reset,
)
from offline_exchange.services.feed import (
    price_list_full_reason,
    price_list_pending_count,
)
from offline_exchange.services.health import ERROR_STATUSES, ago_text, device_health
from offline_exchange.services.held_back import device_held_back
from offline_exchange.services.journal import journal_upload_result
from offline_exchange.services.lockout import lockout_state
from offline_exchange.services.received import ROWS_SHOWN, register_orders, transfer_goods
from offline_exchange.services.registers import (
    SYNC_GROUP,
    device_connection,
    device_free_for_register,
    payment_mappings_number,
    sync_user_create,
    sync_user_missing,
)
from offline_exchange.services.rules import rule_goods_count
from offline_exchange.services.sales import SUCCESS, sales_reports_reload
from offline_exchange.services.sku import SkuRangeExhaustedError, sku_generate_for_rule
from offline_exchange.services.transfers import NOT_FORMED_NOTE
from retail.models import Item, RetailSalesReport, SalesReportGoodsLine, SalesReportReturnedLine
from retail.services.reasons import reason_text
from retail.services.sales_reports import sales_report_reasons_short


@admin.register(ExchangeSettings)
class ExchangeSettingsAdmin(admin.ModelAdmin):
    """One row, like 1C's constants: the list is never shown, the settings open as their form."""

    fieldsets = [
        (None, {"fields": ["offline_exchange_enabled", "auto_generate_sku", "weight_sku_min", "weight_sku_max"]}),
        ("Обмен с офлайн оборудованием", {"fields": ["silence_hours"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        settings = ExchangeSettings.load()
        return HttpResponseRedirect(reverse("admin:offline_exchange_exchangesettings_change", args=[settings.pk]))

    def response_change(self, request, obj):
        # «Сохранить» would return to the list, which is this same form again.
        response = super().response_change(request, obj)
        if "_continue" not in request.POST and "_addanother" not in request.POST:
            return HttpResponseRedirect(reverse("admin:index"))
        return response

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WarehouseChoiceField(forms.ModelChoiceField):
    """A warehouse is chosen for its store's retail price: the choice says which it is."""

    def label_from_instance(self, obj):
        store = obj.store
        if store is None:
            return f"{obj} — магазин не указан"
        price = store.retail_price_type or "не указана"
        return f"{obj} — магазин «{store}», розничная цена: {price}"


class ExchangeRuleForm(forms.ModelForm):
    filter_kinds = forms.TypedMultipleChoiceField(
        label="Отбор: виды номенклатуры", choices=Item.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ExchangeRule
        fields = "__all__"


@admin.register(ExchangeRule)
class ExchangeRuleAdmin(admin.ModelAdmin):
    form = ExchangeRuleForm
    list_display = ["name", "warehouse", "warehouse_store", "export_groups"]
    list_select_related = ["warehouse__store__retail_price_type"]
    filter_horizontal = ["filter_groups", "filter_items"]
    readonly_fields = ["goods_count"]
    actions = ["generate_sku"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "warehouse":
            kwargs["form_class"] = WarehouseChoiceField
            kwargs["queryset"] = db_field.related_model.objects.select_related("store__retail_price_type")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Магазин, розничная цена")
    def warehouse_store(self, obj):
        store = obj.warehouse.store
        if store is None:
            return "магазин не указан"
        return f"{store}, {store.retail_price_type or 'розничная цена не указана'}"

    @admin.display(description="Товары")
    def goods_count(self, obj):
        if obj is None or obj.pk is None:
            return "посчитаются после записи правила"
        return str(rule_goods_count(rule=obj))

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


class SyncUsersField(forms.ModelMultipleChoiceField):
    """The device's logins: a login the list does not offer is refused by name, with what it lacks and a link
    to its page, never as Django's «Выберите корректный вариант. 4 нет среди допустимых значений»."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except ValidationError as exc:
            if exc.code != "invalid_choice":
                raise
            asked = [str(pk) for pk in value if str(pk).isdigit()]
            offered = {str(pk) for pk in self.queryset.filter(pk__in=asked).values_list("pk", flat=True)}
            problems = []
            for user in User.objects.filter(pk__in=asked).exclude(pk__in=offered).order_by("username"):
                missing = sync_user_missing(user=user) or "пользователь недоступен для выбора"
                problems.append(ValidationError(format_html(
                    'Пользователь «{}» не может выполнять обмен: {}. Откройте <a href="{}" target="_blank">'
                    "карточку пользователя</a>, добавьте его в группу «{}» и отметьте «Активный», затем "
                    "запишите оборудование снова.", user.username, missing,
                    reverse("admin:auth_user_change", args=[user.pk]), SYNC_GROUP), code="invalid_choice"))
            if len(problems) < len(set(asked) - offered) or not problems:
                problems.append(ValidationError("Выбранный пользователь не найден: обновите страницу и выберите "
                                                "пользователя снова.", code="invalid_choice"))
            raise ValidationError(problems) from None


class SyncUserAddWrapper(RelatedFieldWidgetWrapper):
    """«+» beside «Пользователи синхронизации» creates a login for this device's phone, not a bare user."""

    template_name = "admin/offline_exchange/offlinedevice/sync_users_wrapper.html"
    add_url = ""

    def get_related_url(self, info, action, *args):
        if action == "add" and self.add_url:
            return self.add_url
        return super().get_related_url(info, action, *args)

    def _render(self, template_name, context, renderer=None):
        # The project's templates (templates/), which the forms' own renderer does not search.
        return mark_safe(loader.render_to_string(template_name, context))


class SyncUserForm(UserCreationForm):
    """A sync login: a name and a password (checked by the password rules), nothing else to decide."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username"]
        labels = {"username": "Имя пользователя (логин на кассе)"}


@admin.register(OfflineDevice)
class OfflineDeviceAdmin(SyncUsersFieldMixin, admin.ModelAdmin):
    list_display = ["name", "device_id", "organization", "rule", "format_version", "exchange_kind", "in_use",
                    "price_list_delivered_at"]
    list_filter = ["in_use", "exchange_kind", "organization"]
    search_fields = ["name", "device_id"]
    fieldsets = [
        (None, {"fields": ["name", "organization", "workplace", "rule", "in_use"]}),
        ("Настройки", {"fields": ["format_version", "goods_shape", "exchange_kind", "device_id",
                                  "allow_discounts", "allow_payment_cards", "items_per_package", "export_balances"]}),
        ("Доступ", {"fields": ["users"]}),
    ]
    filter_horizontal = ["users"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["form_class"] = SyncUsersField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("users")
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            wrapper = field.widget
            field.widget = SyncUserAddWrapper(
                wrapper.widget, wrapper.rel, wrapper.admin_site, can_add_related=wrapper.can_add_related,
                can_change_related=wrapper.can_change_related, can_delete_related=wrapper.can_delete_related,
                can_view_related=wrapper.can_view_related)
            field.widget.add_url = (reverse("admin:offline_exchange_offlinedevice_sync_user", args=[obj.pk])
                                    if obj is not None and obj.pk else
                                    reverse("admin:offline_exchange_offlinedevice_sync_user_new"))
        return form

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("sync-user/add/", view(self.sync_user_view), name="offline_exchange_offlinedevice_sync_user_new"),
            path("<path:object_id>/sync-user/add/", view(self.sync_user_view),
                 name="offline_exchange_offlinedevice_sync_user"),
            path("<path:object_id>/format-switch/", view(self.format_switch_view),
                 name="offline_exchange_offlinedevice_format_switch"),
        ] + super().get_urls()

    def sync_user_view(self, request, object_id=None):
        """A login for the device's phone: in the sync group, bound to the device (when it is written already;
        on a new device's form the login is put into its list, bound when the device is written)."""
        device = None
        if object_id is not None:
            device = self.get_object(request, object_id)
            if device is None:
                raise Http404("Оборудование не найдено.")
            if not self.has_change_permission(request, device):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        if not request.user.has_perm("auth.add_user"):
            raise PermissionDenied
        popup = IS_POPUP_VAR in request.GET or IS_POPUP_VAR in request.POST
        form = SyncUserForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = sync_user_create(username=form.cleaned_data["username"],
                                    password=form.cleaned_data["password1"], device=device)
            if popup:
                data = json.dumps({"value": str(user.pk), "obj": str(user)})
                return TemplateResponse(request, "admin/popup_response.html", {"popup_response_data": data})
            self.message_user(request, f"Пользователь синхронизации «{user}» создан"
                              + (f" и привязан к оборудованию «{device}»." if device else "."), messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk]) if device
                else reverse("admin:offline_exchange_offlinedevice_add"))
        context = {**self.admin_site.each_context(request), "title": "Пользователь синхронизации (создание)",
                   "form": form, "device": device, "group": SYNC_GROUP, "is_popup": popup,
                   "is_popup_var": IS_POPUP_VAR, "opts": self.opts}
        return TemplateResponse(request, "admin/offline_exchange/offlinedevice/sync_user_add.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        device = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if device is not None:
            # The host the admin reached us at is the one the phone reaches, unless a proxy says otherwise.
            extra_context["connection"] = device_connection(device=device,
                                                            server=request.build_absolute_uri("/"))
            extra_context["cash_register_link"] = self._cash_register_link(request, device)
            extra_context["held_back"] = device_held_back(device=device)
            extra_context["format_switch_url"] = reverse("admin:offline_exchange_offlinedevice_format_switch",
                                                         args=[device.pk])
            extra_context["can_switch_format"] = self.has_change_permission(request, device)
            latest = device.transfers.order_by("-created_at").first()
            extra_context["received_url"] = (reverse("admin:offline_exchange_transfer_received", args=[latest.pk])
                                             if latest is not None else "")
        return super().change_view(request, object_id, form_url, extra_context)

    def format_switch_view(self, request, object_id):
        """«Перевести кассу на формат 3.3», one click on the device's page: its next list is full."""
        device = self.get_object(request, object_id)
        if device is None:
            raise Http404("Оборудование не найдено.")
        if request.method != "POST" or not self.has_change_permission(request, device):
            raise PermissionDenied
        if device_format_switch(device=device):
            self.message_user(request, f"Касса «{device}» переведена на формат обмена 3.3. При следующем обмене она "
                                       "получит полный прайс-лист со всеми товарами.", messages.SUCCESS)
        else:
            self.message_user(request, f"Касса «{device}» уже работает в формате обмена 3.3.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk]))

    def _cash_register_link(self, request, device):
        register = CashRegister.objects.filter(device=device).first()
        if register is not None:
            return format_html('Касса ККМ: <a href="{}">{}</a>',
                               reverse("admin:offline_exchange_cashregister_change", args=[register.pk]), register)
        if not request.user.has_perm("offline_exchange.add_cashregister"):
            return "Касса ККМ для этого оборудования еще не создана."
        initial = {"name": device.name, "device": device.pk, "organization": device.organization_id,
                   "workplace": device.workplace}
        store = device.rule.warehouse.store_id
        if store:
            initial["store"] = store
        url = reverse("admin:offline_exchange_cashregister_add") + "?" + urlencode(initial)
        return format_html('Касса ККМ еще не создана: <a href="{}">Создать кассу ККМ для этого оборудования</a>', url)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and LIST_SETTINGS.intersection(form.changed_data):
            device_list_settings_changed(device=obj)


class PaymentMappingForm(forms.ModelForm):
    # None, not "": rows left empty must not collide with each other as equal codes before they are numbered.
    code = forms.CharField(label="Код вида электронной оплаты", max_length=36, required=False, empty_value=None,
                           help_text="Пусто — следующий свободный номер.")

    class Meta:
        model = PaymentMapping
        fields = "__all__"


class PaymentMappingInline(admin.TabularInline):
    model = PaymentMapping
    form = PaymentMappingForm
    extra = 0


@admin.register(CashRegister)
class CashRegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organization", "store", "device"]
    list_filter = ["store", "organization"]
    inlines = [PaymentMappingInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "device" in form.base_fields:
            field = form.base_fields["device"]
            free = device_free_for_register(register=obj).values("pk")
            field.queryset = field.queryset.filter(pk__in=free)
        return form

    def save_formset(self, request, form, formset, change):
        if formset.model is not PaymentMapping:
            return super().save_formset(request, form, formset, change)
        mappings = formset.save(commit=False)
        payment_mappings_number(mappings=mappings)
        for mapping in mappings:
            mapping.save()
        for mapping in formset.deleted_objects:
            mapping.delete()
        formset.save_m2m()


@admin.register(PaymentKind)
class PaymentKindAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "sbp", "bank", "commission_percent"]
    list_filter = ["type", "sbp"]


@admin.register(SkuCode)
class SkuCodeAdmin(admin.ModelAdmin):
    list_display = ["sku", "item", "characteristic", "pack"]
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

    @admin.display(description="SKU", ordering="number")
    def sku(self, obj):
        # A code, not an amount: never «100 004».
        return str(obj.number)

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
class TransferAdmin(admin.ModelAdmin):
    list_display = ["__str__", "device", "goods_count", "skipped_without_sku", "package_total", "created_text",
                    "completed_text", "received_link"]
    list_filter = ["state", "full", "device"]
    list_select_related = ["device"]
    fields = ["title", "received_link", "device", "full", "state", "error", "goods_count", "skipped_without_sku",
              "left_out", "package_total", "built_packages", "created_text", "completed_text", "id"]
    readonly_fields = fields
    inlines = [TransferPackageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sent_packages=Count("packages", filter=Q(packages__sent=True)))

    @admin.display(description="Передача")
    def title(self, obj):
        return str(obj)

    @admin.display(description="Что получила касса")
    def received_link(self, obj):
        return format_html('<a href="{}">Товары, цены, остатки и заказы</a>',
                           reverse("admin:offline_exchange_transfer_received", args=[obj.pk]))

    def get_urls(self):
        return [path("<path:object_id>/received/", self.admin_site.admin_view(self.received_view),
                     name="offline_exchange_transfer_received")] + super().get_urls()

    def received_view(self, request, object_id):
        """«Что получила касса»: the transfer's goods as its packages carry them (one package, or every one
        matching a search), and the orders on the register."""
        transfer = self.get_object(request, object_id)
        if transfer is None:
            raise Http404("Передача прайс-листа не найдена: ее заменила следующая передача этому оборудованию.")
        if not self.has_view_permission(request, transfer):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()[:100]
        number = request.GET.get("package", "")
        package = int(number) if number.isdigit() else None
        goods = transfer_goods(transfer=transfer, package=package, term=term)
        shown = package if package is not None or term else (goods.packages[0].number if goods.packages else None)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "transfer": transfer,
            "title": f"Что получила касса «{transfer.device}»", "goods": goods, "term": term, "package": shown,
            "orders": register_orders(device=transfer.device), "rows_shown": ROWS_SHOWN,
            "columns": GOOD_COLUMNS, "order_columns": ORDER_COLUMNS,
        }
        return TemplateResponse(request, "admin/offline_exchange/transfer/received.html", context)

    @admin.display(description="Создана", ordering="created_at")
    def created_text(self, obj):
        return datetime_text(obj.created_at)

    @admin.display(description="Передана полностью", ordering="completed_at")
    def completed_text(self, obj):
        return datetime_text(obj.completed_at) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


DOCUMENT_SHOWN = 200_000


def upload_result_record(entry: ExchangeJournalEntry | None, result) -> None:
    """The journal entry of an upload posted again says how it stands now (its «Предупреждение» goes once
    every report of it is posted)."""
    if entry is not None:
        journal_upload_result(entry=entry, success=result.success, description=result.description,
                              unposted=any(not report.posted for report in result.reports))


def reload_entry(model_admin, request, entry: ExchangeJournalEntry) -> None:
    """One stored upload posted again («Провести»), told to the admin as the device would be."""
    try:
        result = sales_reports_reload(entry=entry, user=request.user)
    except ValueError as exc:
        model_admin.message_user(request, f"{entry}: {exc}", messages.ERROR)
        return
    upload_result_record(entry, result)
    level = messages.SUCCESS if result.success and result.description == SUCCESS else messages.WARNING
    model_admin.message_user(request, f"{entry}: {result.description}", level)



class OperationFilter(admin.SimpleListFilter):
    title = "операция"
    parameter_name = "operation__exact"

    def lookups(self, request, model_admin):
        used = (model_admin.get_queryset(request).order_by().values_list("operation", flat=True).distinct())
        return sorted(((name, OPERATION_NAMES.get(name, name)) for name in used), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(operation=self.value()) if self.value() else queryset


class DocTypeFilter(admin.SimpleListFilter):
    """The uploads' document types by their Russian names («отчеты о продажах», not «SaleReports»)."""

    title = "тип документа"
    parameter_name = "doc_type__exact"

    def lookups(self, request, model_admin):
        used = (model_admin.get_queryset(request).exclude(doc_type="").order_by()
                .values_list("doc_type", flat=True).distinct())
        return sorted(((name, DOC_TYPE_NAMES.get(name, f"прочие: {name}")) for name in used),
                      key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(doc_type=self.value()) if self.value() else queryset


@admin.register(ExchangeJournalEntry)
class ExchangeJournalEntryAdmin(ReadOnlyAdmin):
    """Read only: a journal entry is what happened; nobody edits or deletes it here (the purge does)."""

    list_display = ["created_text", "operation_text", "status", "device", "device_ref", "user", "address",
                    "repeats", "duration_ms", "short_error"]
    list_priority = {"created_text": 1, "operation_text": 1, "status": 1, "device": 1, "short_error": 1, "user": 2,
                     "address": 3, "duration_ms": 3, "device_ref": 4, "repeats": 4}
    search_fields = ["device_ref", "error", "note", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["device", "user"]
    fields = ["created_text", "operation_text", "status", "device", "device_ref", "user", "address", "user_agent",
              "duration_ms", "request_bytes", "response_bytes", "repeats", "last_text", "transfer_text", "doc_type_text",
              "error", "note", "warning", "document_text"]
    list_filter = ["status", OperationFilter, DocTypeFilter, "device", ("created_at", admin.DateFieldListFilter)]
    actions = ["reload_from_journal"]

    @admin.display(description="Время", ordering="created_at")
    def created_text(self, obj):
        return datetime_text(obj.created_at)

    @admin.display(description="Последний повтор")
    def last_text(self, obj):
        return datetime_text(obj.last_at) or "—"

    @admin.display(description="Операция", ordering="operation")
    def operation_text(self, obj):
        return obj.operation_text

    @admin.display(description="Передача")
    def transfer_text(self, obj):
        if obj.transfer_id is None:
            return "—"
        transfer = self.transfer_of(obj)
        if transfer is None:
            return format_html("{} (передача заменена следующей)", obj.transfer_id)
        return format_html('<a href="{}">Что получила касса</a> — {}',
                           reverse("admin:offline_exchange_transfer_received", args=[transfer.pk]), transfer)

    @staticmethod
    def transfer_of(entry):
        return Transfer.objects.filter(pk=entry.transfer_id, device_id=entry.device_id).first()

    @admin.display(description="Тип документа")
    def doc_type_text(self, obj):
        if not obj.doc_type:
            return "—"
        # The Russian name, and the device's own word as a code to search for.
        return format_html("{} <code>{}</code>", DOC_TYPE_NAMES.get(obj.doc_type, "прочие"), obj.doc_type)

    @admin.display(description="Ошибка, предупреждение")
    def short_error(self, obj):
        if obj.status == ExchangeJournalEntry.Status.WARNING:
            unposted = self._unposted(obj)
            # A shift conflicting with another is said as well: one does not hide the other.
            return format_html("{}<br>⚠ {}", unposted, obj.warning[:120]) if obj.warning else unposted
        if obj.warning:
            return format_html("{}<br>⚠ {}", obj.error[:120], obj.warning[:120]) if obj.error \
                else f"⚠ {obj.warning[:120]}"
        return obj.error[:120]

    @staticmethod
    def _unposted(obj):
        """An upload taken with reports left unposted: each such report, linked, and why in a few words."""
        reports = RetailSalesReport.objects.filter(journal_entry=obj, posted=False).order_by("number")
        lines = []
        for report in reports:
            unknown = len({(code, uuid) for model in (SalesReportGoodsLine, SalesReportReturnedLine)
                           for code, uuid in model.objects.filter(report=report, item__isnull=True)
                           .values_list("sent_code", "sent_good_uuid")})
            reasons = "; ".join(sales_report_reasons_short(report=report, unknown_codes=unknown))
            lines.append((reverse("admin:retail_retailsalesreport_change", args=[report.pk]), report.number,
                          reasons or "причина не указана"))
        if not lines:  # posted since, or a report sent again into another upload
            return format_html("⚠ {}", _short(obj.error, 120)) if obj.error else "—"
        return format_html_join(mark_safe("<br>"), '⚠ <a href="{}">Отчет {}</a> не проведен: {}', lines)

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

    @admin.action(description="Провести отчеты загрузки", permissions=["view"])
    def reload_from_journal(self, request, queryset):
        if not request.user.has_perm("retail.change_retailsalesreport"):
            self.message_user(request, "Нет права изменять отчеты о розничных продажах.", messages.ERROR)
            return
        for entry in queryset.filter(operation="PostDocs").select_related("device").order_by("created_at", "id"):
            reload_entry(self, request, entry)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

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


def _journal_url(**filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return reverse("admin:offline_exchange_exchangejournalentry_changelist") + (f"?{query}" if query else "")


def _last_ok(operations: list[str]):
    # A poll answered «not formed yet» delivered nothing; an upload with a report left unposted was taken.
    return Subquery(ExchangeJournalEntry.objects.filter(
        device=OuterRef("pk"), operation__in=operations,
        status__in=[ExchangeJournalEntry.Status.OK, ExchangeJournalEntry.Status.WARNING],
    ).exclude(note=NOT_FORMED_NOTE).order_by("-created_at").values("created_at")[:1])


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _when(value, now):
    """«5 мин назад», the exact time in the title."""
    return format_html('<span class="ago" title="{}">{}</span>', datetime_text(value), ago_text(value, now))


# The four «получены» of a line: what the phone last took from us and last gave us.
RECEIVED = [("Настройки", "last_settings_at", "GetSettings"), ("Прайс-лист", "last_price_list_at", "GetPriceListPackage"),
            ("Заказы", "last_orders_at", "GetDocs"), ("Продажи", "last_upload_at", "PostDocs")]


@admin.register(ExchangeConsole)
class ExchangeConsoleAdmin(admin.ModelAdmin):
    """One line per device, its health first: when it last talked to us, what it last received and sent,
    what waits for it; above them, the callers nobody knows."""

    list_display = ["health", "device_text", "last_contact_link", "received", "queue", "warnings"]
    list_display_links = None
    list_filter = ["in_use", "organization"]
    search_fields = ["name", "device_id"]
    actions = ["full_next_time", "reset_queue", "format_switch"]

    def get_queryset(self, request):
        journal = ExchangeJournalEntry.objects.filter(device=OuterRef("pk"))
        errors = journal.filter(status__in=ERROR_STATUSES).order_by("-created_at")
        latest = journal.order_by("-created_at", "-id")
        unposted = RetailSalesReport.objects.filter(device=OuterRef("pk"), posted=False)
        last_unposted = unposted.order_by("-date", "-pk")
        return super().get_queryset(request).select_related("rule", "cash_register__store").annotate(
            last_contact=Subquery(latest.values("created_at")[:1]),
            last_status=Subquery(latest.values("status")[:1]),
            last_settings_at=_last_ok(["GetSettings"]),
            last_price_list_at=_last_ok(["GetPriceListPackage", "GetPriceList"]),
            last_orders_at=_last_ok(["GetDocs"]),
            last_upload_at=_last_ok(["PostDocs"]),
            last_error_id=Subquery(errors.values("pk")[:1]),
            last_error_text=Subquery(errors.values("error")[:1]),
            last_error_at=Subquery(errors.values("created_at")[:1]),
            unposted_count=Coalesce(Subquery(unposted.order_by().values("device").annotate(n=Count("pk"))
                                             .values("n")[:1], output_field=IntegerField()), Value(0)),
            unposted_id=Subquery(last_unposted.values("pk")[:1]),
            unposted_number=Subquery(last_unposted.values("number")[:1]),
            unposted_reasons=Subquery(last_unposted.values("not_posted_reasons")[:1]),
            # The last day's warning of the journal, in its own words (two clients, a conflicting shift).
            journal_warning=Subquery(journal.filter(created_at__gte=timezone.now() - timedelta(days=1))
                                     .exclude(warning="").order_by("-created_at", "-id").values("warning")[:1]),
            # Read once per page, not per line (the admin instance is shared by every request).
            silence_hours=Value(ExchangeSettings.load().silence_hours, output_field=IntegerField()),
        ).prefetch_related("users")

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        may_add = request.user.has_perm("offline_exchange.add_offlinedevice")
        rows = unknown_connection_list(user=request.user, now=now) if may_add else []
        for row in rows:
            row.ago = ago_text(row.last_at, now)
        extra_context = {"title": "Обмен с офлайн оборудованием", **(extra_context or {}),
                         "unknown_connections": rows, "show_unknown_connections": may_add}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @staticmethod
    def _clock():
        return timezone.now()

    @admin.display(description="Состояние")
    def health(self, obj):
        health = device_health(last_contact=obj.last_contact, last_status=obj.last_status,
                               unposted=obj.unposted_count, now=self._clock(),
                               silence_hours=obj.silence_hours)
        parts = [format_html('<strong class="health health-{}">{}</strong>', health.state, health.label)]
        parts += [format_html('<span class="health-also">{}</span>', text) for text in health.also]
        if obj.last_status in ERROR_STATUSES and obj.last_error_id:
            url = reverse("admin:offline_exchange_exchangejournalentry_change", args=[obj.last_error_id])
            parts.append(format_html('<a href="{}">{}: {}</a>', url, datetime_text(obj.last_error_at),
                                     (obj.last_error_text or "")[:160]))
        if obj.unposted_id:
            # Why the shift is not posted, in the report's own words: there is no «error» to show.
            url = reverse("admin:retail_retailsalesreport_change", args=[obj.unposted_id])
            # Each reason cut short, none dropped: «смена не закрыта» must not hide behind a long list of codes.
            reasons = [_short(reason_text(reason).strip(), 90) for reason in obj.unposted_reasons or []]
            parts.append(format_html('<a href="{}">Отчет {} не проведен: {}</a>', url, obj.unposted_number,
                                     "; ".join(reasons[:5]) or "причина не указана"))
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    @admin.display(description="Оборудование, касса ККМ, магазин", ordering="name")
    def device_text(self, obj):
        register = getattr(obj, "cash_register", None)
        where = (format_html("{}<br>{}", register.name, register.store) if register is not None
                 else "касса ККМ не создана")
        return format_html('{} <span class="quiet">({})</span><br><span class="register">{}</span>',
                           obj.name, obj.device_id, where)

    @admin.display(description="Последний обмен", ordering="last_contact")
    def last_contact_link(self, obj):
        if obj.last_contact is None:
            return "не было"
        return format_html('<a href="{}">{}</a>', _journal_url(device__id__exact=obj.pk),
                           _when(obj.last_contact, self._clock()))

    @admin.display(description="Получены / загружены")
    def received(self, obj):
        lines = []
        for label, attribute, operation in RECEIVED:
            value = getattr(obj, attribute)
            if value is None:
                lines.append((label, "—"))
            else:
                lines.append((label, format_html(
                    '<a href="{}">{}</a>', _journal_url(device__id__exact=obj.pk, operation__exact=operation),
                    _when(value, self._clock()))))
        return format_html_join(mark_safe("<br>"), '<span class="received">{}: {}</span>', lines)

    @admin.display(description="Прайс-лист: к выгрузке, текущая выгрузка")
    def queue(self, obj):
        reason = price_list_full_reason(device=obj)
        pending = (format_html('<span class="pending">следующая выгрузка — полная: {}</span>', reason) if reason
                   else format_html('<span class="pending">Изменений к выгрузке: {}</span>',
                                    price_list_pending_count(device=obj)))
        return format_html("{}<br>{}", pending, self._current_transfer(obj, full_next=bool(reason)))

    @staticmethod
    def _current_transfer(obj, *, full_next: bool):
        transfer = obj.transfers.order_by("-created_at").first()
        if transfer is None:
            return "Текущая выгрузка: нет" + (" (следующая — полная)" if full_next else "")
        sent = transfer.packages.filter(sent=True).count()
        kind = "полная" if transfer.full else "изменения"
        url = reverse("admin:offline_exchange_transfer_change", args=[transfer.pk])
        line = format_html('<a href="{}">{}, {}: товаров {}, пакетов {} / сформировано {} / передано {}</a>', url,
                           kind, transfer.get_state_display().lower(), transfer.goods_count,
                           transfer.package_total, transfer.built_packages, sent)
        if transfer.left_out:
            line = format_html('{}<br><strong class="errornote">⚠ {}</strong>', line, transfer.left_out[:600])
            if obj.format_version != NEWEST_FORMAT:
                device_url = reverse("admin:offline_exchange_offlinedevice_change", args=[obj.pk]) + "#held-back"
                line = format_html('{}<br><a class="format-switch" href="{}">Перевести кассу на формат 3.3…</a>',
                                   line, device_url)
        return line

    @admin.display(description="Предупреждения")
    def warnings(self, obj):
        """Lock-outs of the device's logins and the journal's last warning of the day (two clients sharing its
        identifier, a shift conflicting with another), as they stand now."""
        found = lockout_state(usernames=[user.username for user in obj.users.all()])
        if obj.journal_warning:
            found.extend(obj.journal_warning.splitlines())
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

    @admin.action(description="Перевести на формат обмена 3.3 (полная выгрузка при следующем обмене)",
                  permissions=["view"])
    def format_switch(self, request, queryset):
        if not request.user.has_perm("offline_exchange.change_offlinedevice"):
            self.message_user(request, "Нет права изменять подключаемое оборудование.", messages.ERROR)
            return
        switched = sum(device_format_switch(device=device) for device in queryset)
        self.message_user(request, f"Переведено на формат обмена 3.3: {switched} устр. При следующем обмене они "
                                   "получат полный прайс-лист со всеми товарами.", messages.SUCCESS)

    @admin.action(description="Сбросить очередь", permissions=["view"])
    def reset_queue(self, request, queryset):
        if not request.user.has_perm("offline_exchange.change_offlinedevice"):
            self.message_user(request, "Нет права изменять подключаемое оборудование.", messages.ERROR)
            return
        dropped = sum(device_queue_reset(device=device) for device in queryset)
        self.message_user(request, f"Удалено выгрузок: {dropped}. Изменения, еще не полученные устройствами, "
                                   "сохранены в ленте изменений и уйдут при следующем обмене.", messages.SUCCESS)


@admin.register(DeviceCodeAlias)
class DeviceCodeAliasAdmin(admin.ModelAdmin):
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
