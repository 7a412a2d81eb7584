"""Admin of the Retail Sales Report: the list, the read-only page laid out like 1C, the fix of unrecognised codes."""

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from backoffice.admin.exchange import reload_entry, upload_result_record
from backoffice.admin.rights import GuardedHistoryMixin
from backoffice.sales_report_page import report_page_context
from common.ru import datetime_text, money_text
from offline_exchange.models import DeviceCodeAlias
from offline_exchange.services.code_aliases import (
    CodeChoice,
    CodeMappingError,
    positions_search,
    report_codes_map,
)
from offline_exchange.services.sales import sales_report_repost, sales_report_unrecognized
from retail.models import RetailSalesReport
from retail.rights import scope_queryset
from retail.services.reasons import reason_text
from retail.services.sales_reports import sales_report_reasons_short


def _reasons_text(reasons) -> str:
    # The stored reasons are data; wherever the admin shows the field, it reads as their Russian, one a line.
    return "\n".join(reason_text(reason) for reason in reasons or [])


class _ReportHistoryHelper(HistoricalRecordContextHelper):
    """The history's «Изменения» column: the reasons in Russian, not their data."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "not_posted_reasons":
            return _reasons_text(value)
        return super().prepare_delta_change_value(change, value)


@admin.register(RetailSalesReport)
class RetailSalesReportAdmin(GuardedHistoryMixin, SimpleHistoryAdmin):
    """A received document laid out as 1С:Розница shows it; an unposted one is fixed on its own page in one
    step, «Провести»: the codes chosen for its unrecognised lines are mapped and the stored upload is posted
    again. It is never edited."""

    history_revert_allowed = False  # a received document is what the register sent; reload it instead
    change_form_template = "admin/retail/retailsalesreport/change_form.html"
    change_list_template = "admin/retail/retailsalesreport/change_list.html"
    list_display = ["posted_icon", "number", "date_shown", "store", "cash_register", "shift_number", "total_shown",
                    "returns_shown"]
    list_display_links = ["number"]
    # In sight at any width (1 never gives way); the others give way from the highest number.
    list_priority = {"posted_icon": 1, "number": 1, "date_shown": 1, "shift_number": 1, "total_shown": 1,
                     "returns_shown": 1, "cash_register": 2, "store": 3}
    list_filter = ["posted", "store", "cash_register", "device", ("date", admin.DateFieldListFilter), "shift_closed"]
    list_select_related = ["store", "cash_register"]
    search_fields = ["number", "shift_number", "not_posted_reasons"]  # the reasons' data: a code not found
    exclude = ["not_posted_reasons"]  # shown as `reasons_shown`, in Russian
    date_hierarchy = "date"
    actions = ["post_selected"]

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

    @admin.action(description="Провести", permissions=["change"])
    def post_selected(self, request, queryset):
        """The selected reports posted again from the uploads they came from (as their page's «Провести»)."""
        entries = {report.journal_entry for report in queryset.select_related("journal_entry__device")}
        for entry in entries:
            if entry is None:
                self.message_user(request, "У отчета нет записи журнала обмена: перезагружать нечего.",
                                  messages.WARNING)
                continue
            reload_entry(self, request, entry)

    def get_readonly_fields(self, request, obj=None):
        return ["reasons_shown" if f.name == "not_posted_reasons" else f.name for f in self.model._meta.fields]

    @admin.display(description=RetailSalesReport._meta.get_field("not_posted_reasons").verbose_name)
    def reasons_shown(self, obj):
        return _reasons_text(obj.not_posted_reasons)

    def get_historical_record_context_helper(self, request, historical_record):
        return _ReportHistoryHelper(self.model, historical_record)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("positions/", view(self.positions_view), name="%s_%s_positions" % info),
            path("<path:object_id>/post/", view(self.post_view), name="%s_%s_post" % info),
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
            **self._links(report, request.user),
        )
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _links(self, report, user):
        info = self.opts.app_label, self.opts.model_name
        links = {name: reverse(f"admin:%s_%s_{name}" % info, args=[report.pk])
                 for name in ("post", "print", "history")}
        links = {f"{name}_url": url for name, url in links.items()}
        links["positions_url"] = reverse("admin:%s_%s_positions" % info)
        # The shift's checks, and its returns of other shifts' checks booked as their own documents.
        links["checks_url"] = reverse("admin:retail_check_changelist") + f"?report__id__exact={report.pk}"
        links["checks_count"] = report.checks.count()
        links["returns_reports"] = list(report.returns_reports.order_by("date"))
        # A sale of this store may come back in another one: only the user's stores' documents are named.
        links["returns_of_sales"] = list(scope_queryset(report.returns_of_sales.order_by("date"), user))
        if report.journal_entry_id:
            links["journal_url"] = reverse("admin:offline_exchange_exchangejournalentry_change",
                                           args=[report.journal_entry_id])
            links["document_url"] = reverse("admin:offline_exchange_exchangejournalentry_document",
                                            args=[report.journal_entry_id])
        return links

    def _report_to_change(self, request, object_id):
        """The report a POST may change: in the user's stores, with the change permission."""
        # The right first: staff without it are refused whether or not the report is in their stores.
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("Отчет о розничных продажах не найден.")
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        return report

    def _back(self, report, anchor=""):
        return redirect(reverse("admin:retail_retailsalesreport_change", args=[report.pk]) + anchor)

    def _choices(self, request) -> list[CodeChoice]:
        """The codes the page's rows were given a position for (rows left empty are skipped)."""
        choices = []
        for key in request.POST:
            if not key.startswith("code-"):
                continue
            row = key.removeprefix("code-")
            position = request.POST.get(f"position-{row}", "").strip()
            if position:
                choices.append(CodeChoice(code=request.POST[key].strip(), position=position,
                                          as_sku=request.POST.get(f"mode-{row}") == "sku"))
        return choices

    def post_view(self, request, object_id):
        """«Провести»: the chosen codes mapped (all or none), then the report posted from its stored upload."""
        report = self._report_to_change(request, object_id)
        choices = self._choices(request)
        if any(choice.as_sku for choice in choices) and not request.user.has_perm("offline_exchange.add_skucode"):
            raise PermissionDenied
        unknown = {row.code.strip() for row in sales_report_unrecognized(report=report)}
        try:
            done = report_codes_map(device=report.device, unknown=unknown, choices=choices, user=request.user)
        except CodeMappingError as exc:
            self.message_user(request, f"Отчет не проведен, ничего не изменено. {exc}", messages.ERROR)
            return self._back(report, "#unrecognized")
        try:
            result = sales_report_repost(report=report, user=request.user)
        except ValueError as exc:
            self.message_user(request, " ".join(done + [str(exc)]), messages.ERROR)
            return self._back(report)
        upload_result_record(report.journal_entry, result)
        report.refresh_from_db()
        if report.posted:
            self.message_user(request, " ".join(done + [f"{report}: проведен."]), messages.SUCCESS)
        else:
            unknown_left = len(sales_report_unrecognized(report=report))
            short = "; ".join(sales_report_reasons_short(report=report, unknown_codes=unknown_left))
            self.message_user(request, " ".join(done + [f"{report}: не проведен: {short}."]), messages.WARNING)
        return self._back(report)

    def print_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
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
