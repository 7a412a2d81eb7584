"""What a document's form asks while its lines are typed (static/retail/document_lines.js): a position's price,
VAT rate and unit on the document's day, and a scanned barcode's position. Nothing is written here: a line
stays in the form until the document is written, so a scan never fails because of another field."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone

from common.ru import money_text, quantity_text
from retail.models import Characteristic, Item, Pack
from retail.selectors import line_defaults
from retail.services.stock_lines import LinesError, position_by_barcode

DATE_INPUTS = ("%d.%m.%Y", "%Y-%m-%d")


def _day(text: str) -> dt.date:
    for pattern in DATE_INPUTS:
        try:
            return dt.datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    return dt.date.today()  # the store's calendar day (TIME_ZONE; the database keeps local time)


def pk_of(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() else None


def _choice(model, pk: int | None, item: Item):
    """A characteristic or a pack of this item (another item's one is ignored)."""
    return model.objects.filter(pk=pk, item=item).first() if pk is not None else None


class DocumentLinesMixin:
    """The JSON endpoints of a document's lines, under the document's admin and its rights (one who may add or
    change the documents). `lines_kind` tells the script what the lines hold."""

    lines_kind = "stock"  # order | price_setting | receipt | stock
    lines_quantity_field = "quantity"

    def lines_price_type_id(self, request) -> int | None:
        """The price type a new line's price is read from (the document's own by default)."""
        return pk_of(request.GET.get("price_type"))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("line-defaults/", view(self.line_defaults_view), name="%s_%s_line_defaults" % info),
            path("barcode/", view(self.barcode_view), name="%s_%s_barcode" % info),
        ] + super().get_urls()

    def _may_fill(self, request) -> None:
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied

    def line_defaults_view(self, request):
        self._may_fill(request)
        item = Item.objects.select_related("base_unit").filter(pk=pk_of(request.GET.get("item"))).first()
        if item is None:
            return JsonResponse({"error": "Номенклатура не найдена."}, status=404)
        defaults = line_defaults(
            item=item, characteristic=_choice(Characteristic, pk_of(request.GET.get("characteristic")), item),
            pack=_choice(Pack, pk_of(request.GET.get("pack")), item),
            price_type_id=self.lines_price_type_id(request), on=_day(request.GET.get("date")))
        return JsonResponse({
            "price": "" if defaults.price is None else str(defaults.price),
            "price_text": money_text(defaults.price), "vat_rate": defaults.vat_rate, "unit": defaults.unit,
        })

    def barcode_view(self, request):
        self._may_fill(request)
        try:
            position = position_by_barcode(request.GET.get("code", ""))
        except LinesError as exc:
            return JsonResponse({"error": str(exc)})
        characteristic = position.characteristic
        return JsonResponse({
            "item": {"id": str(position.item.pk), "text": str(position.item)},
            "characteristic": ({"id": str(characteristic.pk), "text": str(characteristic)}
                               if characteristic is not None else None),
            "quantity": str(position.coefficient), "quantity_text": quantity_text(position.coefficient),
            "text": str(position.item) + (f", {characteristic}" if characteristic is not None else ""),
        })

    def lines_config(self) -> dict:
        info = self.opts.app_label, self.opts.model_name
        return {"defaults_url": reverse("admin:%s_%s_line_defaults" % info),
                "barcode_url": reverse("admin:%s_%s_barcode" % info),
                "kind": self.lines_kind, "quantity_field": self.lines_quantity_field}

    def get_changeform_initial_data(self, request):
        """A new document is dated now, as in 1C (the date is never what a scan waits for)."""
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", timezone.now().replace(microsecond=0))
        return initial
