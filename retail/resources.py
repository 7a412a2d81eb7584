"""Catalog import and export (CSV/XLSX) with django-import-export: items, characteristics, packs,
barcodes and prices, keyed the way a 1C exchange keys them (UUIDs, barcode values)."""
from __future__ import annotations

import uuid
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Field, Q
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.utils.encoding import force_str
from import_export import exceptions as import_export_exceptions
from import_export import fields, resources, widgets
from import_export.results import RowResult
from import_export.utils import atomic_if_using_transaction

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


# The widgets used instead of import-export's own for the model fields of a type.
_WIDGETS = {cls: _plain_number(cls) for cls in (widgets.DecimalWidget, widgets.IntegerWidget,
                                                 widgets.FloatWidget)}


class _DateWidget(widgets.DateWidget):
    """A date as 1C and a Russian spreadsheet write it (13.07.2020) or as the export writes it (2020-07-13);
    import-export's default list also reads 07/13/2020, which a Russian reader takes for the 7th of the 13th
    month, and refuses in English."""

    def __init__(self, format=None, coerce_to_string=True):
        super().__init__(format, coerce_to_string)
        if format is None:
            self.formats = ("%Y-%m-%d", "%d.%m.%Y")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(f"«{value}» не является датой: ожидается ДД.ММ.ГГГГ или ГГГГ-ММ-ДД") from None


_WIDGETS[widgets.DateWidget] = _DateWidget


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
    """A reference by a key column, with the refusal in the admin's words. The records a batch of rows names
    are read in one query (`prefetch`: the key and the few columns a check and the row's report need), not
    one per row, nor the whole table for a file of ten rows; a file naming most of the table reads it whole
    (`prefetch_all`).

    With `ids`, a cell stands for the record's id, not the record: a price needs no more of its item, and
    building 100,000 items cost a price file more than inserting its prices."""

    def __init__(self, model, field: str, label: str, *, ids: bool = False):
        super().__init__(model, field=field)
        self.label = label
        self.ids = ids
        self._by_key: dict = {}
        self._by_text: dict = {}
        self._asked: set = set()
        self._all = False

    def _key(self, value):
        """The cell as the key column's value: a UUID, or text."""
        text = str(value).strip()
        if self.field == "uuid":
            try:
                return uuid.UUID(text)
            except ValueError:
                raise ValueError(f"{self.model._meta.verbose_name}: неверная ссылка «{value}»") from None
        return text

    def prefetch_all(self, rows: int) -> None:
        """For a file of `rows` rows naming up to as many records, the whole table in one scan when it holds
        no more than three times that: cheaper than looking up each batch's keys (a price file names most
        goods, and a lookup of 2,000 keys costs about what a scan of 6,000 rows does)."""
        if self._all or self.model.objects.count() > 3 * rows:
            return
        self._all = True
        self._read(self.model.objects.all())

    def prefetch(self, cells) -> None:
        """Read the records the cells name that were not asked for before."""
        if self._all:
            return
        keys = set()
        for value in cells:
            if value is None or not str(value).strip():
                continue
            try:
                key = self._key(value)
            except ValueError:
                continue  # its rows report it
            if key not in self._asked:
                keys.add(key)
        if keys:
            self._asked |= keys
            self._read(self.model.objects.filter(**{f"{self.field}__in": list(keys)}))

    def _read(self, named) -> None:
        if self.ids:
            records = named.values_list(self.field, "pk")
        else:
            # What a check (the item of a characteristic) and the row's report (the name) read of it.
            attnames = {f.attname for f in self.model._meta.fields}
            columns = {"pk", self.field} | ({"item_id", "name"} & attnames)
            records = ((getattr(record, self.field), record) for record in named.only(*columns))
        for key, found in records:
            if isinstance(key, uuid.UUID):
                self._by_key[key] = self._by_text[str(key)] = found
            else:
                self._by_key[str(key)] = found

    def clean(self, value, row=None, **kwargs):
        found = self._by_text.get(value)  # a UUID as written in the canonical form, without parsing it
        if found is not None:
            return found
        if value is None or not str(value).strip():
            return None
        key = self._key(value)
        if key not in self._asked and not self._all:
            self.prefetch([value])
        found = self._by_key.get(key)
        if found is None:
            raise ValueError(f"не найден(а) {self.model._meta.verbose_name} с {self.label} «{value}»")
        return found


class _Existing:
    """The records of the resource's model that a batch of rows names by its import id fields (each key a
    tuple of cleaned values, references by their ids), read in one query: the records whose key columns hold
    one of the batch's values. A key column of a few values a batch (a price file's date) is first checked
    alone, once an import: a file of prices for a new date reads no price at all."""

    FEW = 3

    def __init__(self, resource):
        self.queryset = resource.get_queryset()
        model = self.queryset.model
        self.attnames = [model._meta.get_field(resource.fields[name].attribute).attname
                         for name in resource.get_import_id_fields()]
        self.absent: dict[str, set] = {attname: set() for attname in self.attnames}
        self.present: dict[str, set] = {attname: set() for attname in self.attnames}

    def _none_with(self, attname: str, values: set) -> bool:
        """Whether no record holds any of the values in the column (the answers kept for the import)."""
        absent, present = self.absent[attname], self.present[attname]
        unknown = values - absent - present
        if unknown:
            found = set(self.queryset.filter(**{f"{attname}__in": list(unknown)})
                        .values_list(attname, flat=True).distinct())
            present |= found
            absent |= unknown - found
        return values <= absent

    def of(self, keys: list[tuple]) -> dict[tuple, object]:
        if not keys:
            return {}
        condition = Q()
        for index, attname in enumerate(self.attnames):
            values = {key[index] for key in keys}
            given = values - {None}
            if given and None not in values and len(given) <= self.FEW and self._none_with(attname, given):
                return {}
            column = Q(**{f"{attname}__in": list(given)}) if given else Q(pk__in=[])
            condition &= column | Q(**{f"{attname}__isnull": True}) if None in values else column
        return {tuple(getattr(instance, attname) for attname in self.attnames): instance
                for instance in self.queryset.filter(condition)}


def _insert(model, instances: list, using: str) -> None:
    """Insert new records, each distinct value of a column adapted for the database once (a price file's date
    and its few hundred prices repeat): bulk_create's work in Python on every value of every row was a third
    of a price file's import. On PostgreSQL the rows go in by COPY, their ids drawn from the table's sequence
    first; on SQLite by multi-row INSERT … RETURNING id, the rows a statement the backend allows. A model
    this does not cover (database defaults, generated columns, a column with its own placeholder) or another
    backend goes through bulk_create."""
    connection = connections[using]
    opts = model._meta
    fields = [field for field in opts.concrete_fields if field is not opts.pk]
    if (connection.vendor not in ("sqlite", "postgresql") or not connection.features.can_return_rows_from_bulk_insert
            or opts.db_returning_fields != [opts.pk] or not isinstance(opts.pk, AutoFieldMixin)
            or any(field.generated or field.has_db_default() or hasattr(field, "get_placeholder") for field in fields)
            or any(instance.pk is not None for instance in instances)):
        model.objects.using(using).bulk_create(instances)
        return
    # A field's value as saved is its attribute, unless the field says otherwise (auto_now and the like).
    columns = [(field, field.attname if type(field).pre_save is Field.pre_save else None, {}) for field in fields]

    def values(instance) -> list:
        row = []
        for field, attname, adapted in columns:
            value = getattr(instance, attname) if attname else field.pre_save(instance, True)
            try:
                key = (type(value), value)
                row.append(adapted[key])
            except KeyError:
                row.append(adapted.setdefault(key, field.get_db_prep_save(value, connection)))
            except TypeError:  # an unhashable value
                row.append(field.get_db_prep_save(value, connection))
        return row

    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [opts.db_table, opts.pk.column, len(instances)])
            ids = [pk for (pk,) in cursor.fetchall()]
            names = ", ".join(quote(field.column) for field in [opts.pk, *fields])
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for pk, instance in zip(ids, instances, strict=True):
                    copy.write_row([pk, *values(instance)])
        else:
            head = f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) VALUES "
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            returning, returning_params = connection.ops.return_insert_columns([opts.pk])
            size = max(1, connection.ops.bulk_batch_size(fields, instances))
            ids = []
            for start in range(0, len(instances), size):
                chunk = instances[start:start + size]
                params = [value for instance in chunk for value in values(instance)]
                cursor.execute(f"{head}{', '.join([row] * len(chunk))} {returning}", [*params, *returning_params])
                ids.extend(pk for pk, *_rest in cursor.fetchall())
    for pk, instance in zip(ids, instances, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = using


class _RowResult(RowResult):
    """A row's result that names its record when asked (the admin's log of an import), not at every row: a
    price is named after its item, which a price file refers to by id."""

    def add_instance_info(self, instance):
        if instance is not None:
            self.object_id = getattr(instance, "pk", None)
            self.__dict__["_record"] = instance

    @property
    def object_repr(self):
        record = self.__dict__.get("_record")
        return self.__dict__.get("_repr") if record is None else force_str(record)

    @object_repr.setter
    def object_repr(self, value):
        self.__dict__["_repr"] = value


class _CatalogResource(resources.ModelResource):
    """Imports in batches of 2,000 rows, all or nothing (`catalog_import` rolls back a file with any error;
    every bad row is reported, with its line). Each batch's references and existing records are read in one
    query each (`_Ref`, `_Existing`), each distinct cell of a column is cleaned once and each distinct value
    of a field checked once (`_read`, `_clean_fields`), the rows are checked one by one in Python and written
    with one INSERT … RETURNING per few hundred rows (`_insert`) and bulk_update (what they write reaches the
    devices through the change feed's triggers). The per-row checks that would query the base (unique
    fields, foreign keys, check constraints) are done in Python or left to the database, whose refusal fails
    the whole file. Two rows with the same key are refused (a file says one thing of a record). Exported text
    that a spreadsheet would run as a formula is escaped.

    import-export reads XLSX files and keeps the fields, widgets, results and admin pages. Its own per-row
    path (`import_row`: a dozen hooks a row, each key cleaned twice, a record built a row for its references,
    full_clean a row, bulk_create's work on every value) ran a price file at 3.4–3.6× a bulk insert of the
    same rows, and could not be brought under 2× by its options (bulk mode, skip_diff and a keyed loader were
    already on); this one runs it within 2× (BENCHMARKS.md)."""

    BATCH = 2000

    @classmethod
    def get_row_result_class(cls):
        return _RowResult

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                _insert(self._meta.model, self.create_instances, self.get_db_connection_name())
            except Exception as exc:  # the database's refusal: the file's error (a row's is reported by its row)
                self.handle_import_error(result, exc, raise_errors)
            finally:
                self.create_instances.clear()

    def export_field(self, field, instance, **kwargs):
        return formula_escape(super().export_field(field, instance, **kwargs))

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        widget = super().widget_from_django_field(f, default)
        return _WIDGETS.get(widget, widget)

    # (field, a check of the value, the error) for the model's check constraints
    checks: list = []

    @staticmethod
    def _values(instance) -> tuple:
        return tuple(getattr(instance, field.attname) for field in instance._meta.concrete_fields)

    def _clean_fields(self, instance, exclude: set) -> dict:
        """Model.clean_fields, each distinct value of a field checked once an import (a field's check
        depends on the value alone; references are excluded)."""
        errors = {}
        for field, memo in self._checked:
            if field.name in exclude:
                continue
            raw = getattr(instance, field.attname)
            if (field.blank and raw in field.empty_values) or isinstance(raw, DatabaseDefault):
                continue
            try:
                key = (type(raw), raw)
                outcome = memo.get(key)
            except TypeError:  # an unhashable value
                key, outcome = None, None
            if outcome is None:
                try:
                    outcome = (True, field.clean(raw, instance))
                except ValidationError as exc:
                    outcome = (False, exc.error_list)
                if key is not None:
                    memo[key] = outcome
            if not outcome[0]:
                errors[field.name] = outcome[1]
            elif outcome[1] is not raw:
                setattr(instance, field.attname, outcome[1])
        return errors

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Model.full_clean without its queries (unique fields, constraints: the database's), the resource's
        checks of the model's check constraints in the admin's words."""
        errors = dict(import_validation_errors or {})
        errors.update(self._clean_fields(instance, errors.keys() | self._references if errors else self._references))
        try:
            instance.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, ok, message in self.checks:
            value = getattr(instance, name)
            if name not in errors and value is not None and not ok(value):
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        database = self.get_db_connection_name()
        try:
            self._check_import_id_fields(dataset.headers)
        except Exception as exc:  # a missing key column: the file's error; its rows are still checked
            self.handle_import_error(result, exc, raise_errors)
        if collect_failed_rows:
            result.add_dataset_headers(dataset.headers)
        self._prepare()
        self._rows = len(dataset)
        seen: dict[tuple, int] = {}
        rows = enumerate(dataset, 1)
        while batch := list(islice(rows, self.BATCH)):
            for number, row, row_result in self._import_batch(batch, dataset.headers, seen):
                self._report(result, number, row, row_result, collect_failed_rows, raise_errors)
            with atomic_if_using_transaction(using_transactions, using=database):
                self.bulk_create(using_transactions, dry_run, raise_errors, batch_size=self.BATCH, result=result)
                self.bulk_update(using_transactions, dry_run, raise_errors, batch_size=self.BATCH, result=result)
        return result

    def _prepare(self) -> None:
        """What every row of an import uses: its fields, their cleaned cells, and how a new record is built."""
        self._key_fields = [self.fields[name] for name in self.get_import_id_fields()]
        self._import_fields = [field for field in self.get_import_fields() if field.attribute and not field.readonly]
        self._refs = [field for field in self._import_fields if isinstance(field.widget, _Ref)]
        self._readers = [(field, field.column_name, {}, field in self._key_fields) for field in self._import_fields]
        model = self._meta.model
        self._references = {field.name for field in model._meta.concrete_fields if field.is_relation}
        self._checked = [(field, {}) for field in model._meta.fields if not field.generated]
        self._existing = _Existing(self)
        # Each model field with the resource field that sets it, in the model's order: a new record is built
        # from its values in one call (the model's defaults for the rest), as a row read from the base is.
        model_fields = self._meta.model._meta.concrete_fields
        by_name = {}
        for model_field in model_fields:
            by_name[model_field.name] = by_name[model_field.attname] = model_field
        plan = {by_name.get(field.attribute): field for field in self._import_fields}
        self._targets = {field: by_name[field.attribute].attname
                         if getattr(field.widget, "ids", False) and field.attribute in by_name else field.attribute
                         for field in self._import_fields}
        self._plan = None if None in plan else [(model_field, plan.get(model_field)) for model_field in model_fields]

    def _read(self, row: dict):
        """The row's cleaned cells by field, the errors of its cells by field and its key (references by
        their ids). Each distinct cell of a column is cleaned once an import (a field's cleaning depends on
        its cell alone; a failure is kept too, and raised for each of its rows). A key that cannot be read
        (the unknown item of a price) fails the row as a whole, as import-export reports it; so does any
        failure other than a ValueError."""
        cleaned, errors = {}, {}
        for field, column, memo, is_key in self._readers:
            if column not in row:
                continue
            cell = row[column]
            try:
                outcome = memo[cell]
            except KeyError:
                try:
                    outcome = (True, field.clean(row))
                except Exception as exc:
                    outcome = (False, exc)
                memo[cell] = outcome
            except TypeError:  # an unhashable cell
                try:
                    outcome = (True, field.clean(row))
                except Exception as exc:
                    outcome = (False, exc)
            if outcome[0]:
                cleaned[field] = outcome[1]
            elif is_key or not isinstance(outcome[1], ValueError):
                raise outcome[1]
            else:
                errors[field.attribute] = ValidationError(str(outcome[1]), code="invalid")
        key = None
        if all(field in cleaned for field in self._key_fields):
            key = tuple(getattr(cleaned[field], "pk", cleaned[field]) for field in self._key_fields)
        return cleaned, errors, key

    def _set(self, instance, cleaned: dict) -> None:
        """The row's cleaned cells onto the record (a reference given by its id onto the id's column)."""
        for field, value in cleaned.items():
            if value is not None or field.saves_null_values:
                setattr(instance, self._targets[field], value)

    def _new(self, cleaned: dict):
        """A new record of the row's cleaned cells."""
        if self._plan is None:
            instance = self.init_instance()
            self._set(instance, cleaned)
            return instance
        values, related = [], []
        for model_field, field in self._plan:
            value = cleaned.get(field) if field is not None else None
            if value is None and (field is None or field not in cleaned or not field.saves_null_values):
                values.append(model_field.get_default())
            elif isinstance(value, models.Model):
                related.append((model_field.name, value))
                values.append(value.pk)
            else:
                values.append(value)
        instance = self._meta.model(*values)
        for name, value in related:  # the referenced record as read (a check or the row's report reads it)
            setattr(instance, name, value)
        return instance

    def _import_batch(self, batch, headers, seen: dict):
        read = []
        for number, values in batch:
            row = dict(zip(headers, values))
            try:
                self.before_import_row(row, row_number=number)
            except Exception as exc:
                read.append([number, row, exc, None])
                continue
            read.append([number, row, None, None])
        for field in self._refs:
            cells = {entry[1].get(field.column_name) for entry in read if entry[2] is None} - {None, ""}
            if cells and self._rows > self.BATCH:
                field.widget.prefetch_all(self._rows)
            field.widget.prefetch(cells)
        for entry in read:
            if entry[2] is None:
                try:
                    entry[3] = self._read(entry[1])
                except Exception as exc:
                    entry[2] = exc
        existing = self._existing.of([entry[3][2] for entry in read if entry[2] is None and entry[3][2] is not None])
        row_result_class, error_class = self.get_row_result_class(), self.get_error_result_class()
        store_instance = self._meta.store_instance
        for number, row, failure, cells in read:
            row_result = row_result_class()
            if failure is None and cells[2] is not None:
                if cells[2] in seen:
                    # By the line of the file (its header is line 1), as a spreadsheet shows it.
                    failure = ValueError(f"повторяет строку {seen[cells[2]] + 1} файла: одна запись — одна строка")
                else:
                    seen[cells[2]] = number
            if failure is not None:
                row_result.import_type = RowResult.IMPORT_TYPE_ERROR
                row_result.errors.append(error_class(failure, row=row, number=number))
                yield number, row, row_result
                continue
            cleaned, errors, key = cells
            instance = existing.get(key) if key is not None else None
            if instance is None:
                instance, original = self._new(cleaned), None
                row_result.import_type = RowResult.IMPORT_TYPE_NEW
            else:
                original = self._values(instance)
                self._set(instance, cleaned)
                row_result.import_type = RowResult.IMPORT_TYPE_UPDATE
            if not errors and original is not None and self._values(instance) == original:
                row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            else:
                try:
                    self.validate_instance(instance, ValidationError(errors).update_error_dict({}) if errors else {})
                except ValidationError as exc:
                    row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                    row_result.validation_error = exc
                    yield number, row, row_result
                    continue
                (self.update_instances if original is not None else self.create_instances).append(instance)
            row_result.add_instance_info(instance)
            if store_instance:
                row_result.instance = instance
            yield number, row, row_result

    def _report(self, result, number, row, row_result, collect_failed_rows, raise_errors):
        """A row's outcome in the result, as import-export's own loop records it."""
        result.increment_row_result_total(row_result)
        if row_result.errors:
            result.append_error_row(number, row, row_result.errors)
            if collect_failed_rows:
                result.append_failed_row(row, row_result.errors[0])
            if raise_errors:
                raise import_export_exceptions.ImportError(row_result.errors[-1].error, number=number, row=row)
        elif row_result.validation_error:
            result.append_invalid_row(number, row, row_result.validation_error)
            if collect_failed_rows:
                result.append_failed_row(row, row_result.validation_error)
            if raise_errors:
                raise import_export_exceptions.ImportError(row_result.validation_error, number=number, row=row)
        if row_result.import_type != RowResult.IMPORT_TYPE_SKIP or self._meta.report_skipped:
            result.append_row_result(row_result)


class _UuidKeyed(_CatalogResource):
    """Rows are matched by `uuid`; a row without one creates a new record with a fresh UUID."""

    uuid = fields.Field(attribute="uuid", column_name="uuid", widget=_UUIDWidget())

    def before_import_row(self, row, **kwargs):
        if not str(row.get("uuid") or "").strip():
            row["uuid"] = str(uuid.uuid4())


def _by_uuid(model, *, ids: bool = False):
    return _Ref(model, "uuid", "идентификатором", ids=ids)


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
        store_instance = True
        skip_diff = True


class CharacteristicResource(_UuidKeyed):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))

    class Meta:
        model = Characteristic
        import_id_fields = ["uuid"]
        fields = ["uuid", "item", "name"]
        export_order = fields
        store_instance = True
        skip_diff = True


class PackResource(_UuidKeyed):
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item))
    checks = [("coefficient", lambda value: value > 0, "Коэффициент упаковки должен быть больше нуля.")]

    class Meta:
        model = Pack
        import_id_fields = ["uuid"]
        fields = ["uuid", "item", "name", "coefficient"]
        export_order = fields
        store_instance = True
        skip_diff = True


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
        store_instance = True
        skip_diff = True


class PriceResource(_CatalogResource):
    checks = [("value", lambda value: value >= 0, "Цена не может быть отрицательной.")]
    price_type = fields.Field(attribute="price_type", column_name="price_type",
                              widget=_Ref(PriceType, "name", "наименованием", ids=True))
    item = fields.Field(attribute="item", column_name="item", widget=_by_uuid(Item, ids=True))
    characteristic = fields.Field(attribute="characteristic", column_name="characteristic",
                                  widget=_by_uuid(Characteristic, ids=True))

    class Meta:
        model = Price
        # One price per position, type and date: a row for a price in the base changes its value.
        import_id_fields = ["price_type", "item", "characteristic", "date"]
        fields = ["price_type", "item", "characteristic", "date", "value"]
        export_order = fields
        store_instance = True
        skip_diff = True


RESOURCES = {
    "items": ItemResource, "characteristics": CharacteristicResource, "packs": PackResource,
    "barcodes": BarcodeResource, "prices": PriceResource,
}
