"""Catalog import and export (CSV/XLSX) with django-import-export: items, characteristics, packs,
barcodes and prices, keyed the way a 1C exchange keys them (UUIDs, barcode values)."""
from __future__ import annotations

import uuid

from import_export import fields, resources, widgets

from .models import Barcode, Characteristic, Item, ItemGroup, Pack, Price, PriceType, Unit


class _UUIDWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            raise ValueError(f"«{text}» не является идентификатором UUID") from None


class _Ref(widgets.ForeignKeyWidget):
    """A reference by a key column, with the refusal in the admin's words."""

    def __init__(self, model, field: str, label: str):
        super().__init__(model, field=field)
        self.label = label

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(f"не найден(а) {self.model._meta.verbose_name} с {self.label} «{value}»") from None
        except (ValueError, TypeError, self.model.MultipleObjectsReturned):
            raise ValueError(f"{self.model._meta.verbose_name}: неверная ссылка «{value}»") from None


class _CatalogResource(resources.ModelResource):
    """What the import writes reaches the devices through the change feed's triggers."""


class _UuidKeyed(_CatalogResource):
    """Rows are matched by `uuid`; a row without one creates a new record with a fresh UUID."""

    uuid = fields.Field(attribute="uuid", column_name="uuid", widget=_UUIDWidget())

    def get_instance(self, instance_loader, row):
        if not str(row.get("uuid") or "").strip():
            return None
        return super().get_instance(instance_loader, row)

    def before_import_row(self, row, **kwargs):
        if not str(row.get("uuid") or "").strip():
            row["uuid"] = str(uuid.uuid4())


def _by_uuid(model):
    return _Ref(model, "uuid", "идентификатором")


class ItemResource(_UuidKeyed):
    group = fields.Field(attribute="group", column_name="group",
                         widget=_Ref(ItemGroup, "code", "кодом"))
    base_unit = fields.Field(attribute="base_unit", column_name="unit",
                             widget=_Ref(Unit, "okei_code", "кодом ОКЕИ"))

    class Meta:
        model = Item
        import_id_fields = ["uuid"]
        fields = ["uuid", "name", "article", "description", "kind", "group", "base_unit", "vat_rate", "is_weight",
                  "calculation_subject", "marking_kind", "deletion_mark"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True


class CharacteristicResource(_UuidKeyed):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))

    class Meta:
        model = Characteristic
        import_id_fields = ["uuid"]
        fields = ["uuid", "item", "name"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True


class PackResource(_UuidKeyed):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))

    class Meta:
        model = Pack
        import_id_fields = ["uuid"]
        fields = ["uuid", "item", "name", "coefficient"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True


class BarcodeResource(_CatalogResource):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))
    characteristic = fields.Field(attribute="characteristic", column_name="characteristic",
                                  widget=_by_uuid(Characteristic))
    pack = fields.Field(attribute="pack", column_name="pack", widget=_by_uuid(Pack))

    class Meta:
        model = Barcode
        import_id_fields = ["value"]
        fields = ["value", "item", "characteristic", "pack", "barcode_type"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True


class PriceResource(_CatalogResource):
    price_type = fields.Field(attribute="price_type", column_name="price_type",
                              widget=_Ref(PriceType, "name", "наименованием"))
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))
    characteristic = fields.Field(attribute="characteristic", column_name="characteristic",
                                  widget=_by_uuid(Characteristic))

    class Meta:
        model = Price
        # One price per position, type and date: a second row for them changes the value.
        import_id_fields = ["price_type", "item", "characteristic", "date"]
        fields = ["price_type", "item", "characteristic", "date", "value"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True


RESOURCES = {
    "items": ItemResource, "characteristics": CharacteristicResource, "packs": PackResource,
    "barcodes": BarcodeResource, "prices": PriceResource,
}
