"""Catalog import and export (CSV/XLSX) with django-import-export: items, characteristics, packs,
barcodes and prices, keyed the way a 1C exchange keys them (UUIDs, barcode values)."""
from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from import_export import fields, instance_loaders, resources, widgets

from retail.models import Barcode, Characteristic, Item, ItemGroup, Pack, Price, PriceType, Unit
from retail.services.import_limits import formula_escape


def _plain_number(widget_class):
    """A number widget writing 1306,84, never 1 306,84: the pages group thousands (USE_THOUSAND_SEPARATOR),
    a file read by a spreadsheet or a program must not (a spreadsheet takes «1 306,84» for text)."""

    class PlainNumber(widget_class):
        def render(self, value, obj=None, **kwargs):
            from numbers import Number

            from django.utils import numberformat
            from django.utils.formats import get_format

            if not self.coerce_to_string or kwargs.get("force_native_type"):
                return super().render(value, obj, **kwargs)
            if value is None or not isinstance(value, Number):
                return ""
            return numberformat.format(value, get_format("DECIMAL_SEPARATOR"), grouping=0)

    PlainNumber.__name__ = PlainNumber.__qualname__ = f"Plain{widget_class.__name__}"
    return PlainNumber


_PLAIN_NUMBERS = {cls: _plain_number(cls) for cls in (widgets.DecimalWidget, widgets.IntegerWidget,
                                                       widgets.FloatWidget)}


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
    """A reference by a key column, with the refusal in the admin's words. The referenced table is read
    once per import (the key and the few columns a check needs), not once per row: a price file of
    100,000 rows names 100,000 goods."""

    def __init__(self, model, field: str, label: str):
        super().__init__(model, field=field)
        self.label = label
        self._by_key: dict[str, object] | None = None

    def _key(self, value) -> str:
        text = str(value).strip()
        if self.field == "uuid":
            try:
                return str(uuid.UUID(text))
            except ValueError:
                raise ValueError(f"{self.model._meta.verbose_name}: неверная ссылка «{value}»") from None
        return text

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return None
        key = self._key(value)
        if self._by_key is None:
            # What a check (the item of a characteristic) and the row's report (the name) read of it.
            names = {f.name for f in self.model._meta.fields}
            columns = {"pk", self.field} | ({"item_id"} & {f.attname for f in self.model._meta.fields}) | (
                {"name"} & names)
            self._by_key = {str(getattr(obj, self.field)): obj
                            for obj in self.model.objects.only(*columns).iterator(chunk_size=10000)}
        found = self._by_key.get(key)
        if found is None:
            raise ValueError(f"не найден(а) {self.model._meta.verbose_name} с {self.label} «{value}»")
        return found


class _KeyedLoader(instance_loaders.BaseInstanceLoader):
    """Existing records by the resource's import id fields, read in one query at the first row (the
    library's own loader makes a query per row, its cached one takes a single key field)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self._by_key: dict[tuple, object] | None = None
        self._fields = [resource.fields[name] for name in resource.get_import_id_fields()]

    @staticmethod
    def _plain(value):
        return getattr(value, "pk", value)

    def get_instance(self, row):
        if self._by_key is None:
            attributes = [field.attribute for field in self._fields]
            self._by_key = {}
            for instance in self.resource.get_queryset().iterator(chunk_size=10000):
                key = tuple(getattr(instance, instance._meta.get_field(name).attname) for name in attributes)
                self._by_key[tuple(str(part) if part is not None else None for part in key)] = instance
        key = tuple(self._plain(field.clean(row)) for field in self._fields)
        return self._by_key.get(tuple(str(part) if part is not None else None for part in key))


class _CatalogResource(resources.ModelResource):
    """Imports in bulk: rows are read, checked and compared one by one in Python, and written with
    bulk_create/bulk_update (what they write reaches the devices through the change feed's triggers).
    No query per row: references and existing records are read once (`_Ref`, `_KeyedLoader`), and the
    per-row checks that would query the base (unique fields, foreign keys, check constraints) are done
    in Python or left to the database, whose refusal fails the whole file. Exported text that a
    spreadsheet would run as a formula is escaped."""

    def export_field(self, field, instance, **kwargs):
        return formula_escape(super().export_field(field, instance, **kwargs))

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        widget = super().widget_from_django_field(f, default)
        return _PLAIN_NUMBERS.get(widget, widget)

    # (field, a check of the value, the error) for the model's check constraints
    checks: list = []

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        self._original = None if new else self._values(instance)

    @staticmethod
    def _values(instance) -> tuple:
        return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # What skip_unchanged does through a deep copy and a diff of every row, by the row's column values.
        if import_validation_errors:
            return False
        return self._original is not None and self._values(instance) == self._original

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        references = {field.name for field in instance._meta.concrete_fields if field.is_relation}
        try:
            instance.full_clean(exclude=set(errors) | references, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, ok, message in self.checks:
            value = getattr(instance, name)
            if name not in errors and value is not None and not ok(value):
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)


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
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        instance_loader_class = _KeyedLoader


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
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        instance_loader_class = _KeyedLoader


class PackResource(_UuidKeyed):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))
    checks = [("coefficient", lambda value: value > 0, "Коэффициент упаковки должен быть больше нуля.")]

    class Meta:
        model = Pack
        import_id_fields = ["uuid"]
        fields = ["uuid", "item", "name", "coefficient"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        store_instance = True
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        instance_loader_class = _KeyedLoader


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
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        instance_loader_class = _KeyedLoader


class PriceResource(_CatalogResource):
    checks = [("value", lambda value: value >= 0, "Цена не может быть отрицательной.")]
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
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        instance_loader_class = _KeyedLoader


RESOURCES = {
    "items": ItemResource, "characteristics": CharacteristicResource, "packs": PackResource,
    "barcodes": BarcodeResource, "prices": PriceResource,
}
