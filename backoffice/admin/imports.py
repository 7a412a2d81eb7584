"""django-import-export in the admin with the catalog's file limits: only CSV and XLSX, the upload's size
checked before it is read and its content (rows, columns, uncompressed size) before anything loads it."""
from __future__ import annotations

from django.db.models import prefetch_related_objects
from import_export import forms as import_forms
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from retail.services.import_limits import (
    ImportLimitError,
    catalog_file_check,
    catalog_file_size_check,
)


class _Limited:
    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        catalog_file_check(data=data, file_format=self.get_extension())
        return super().create_dataset(in_stream)


class LimitedCSV(_Limited, base_formats.CSV):
    pass


class LimitedXLSX(_Limited, base_formats.XLSX):
    pass


class LimitedImportForm(import_forms.ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            catalog_file_size_check(size=upload.size)
        except ImportLimitError as exc:
            raise import_forms.forms.ValidationError(str(exc)) from None
        return upload


class LimitedImportExportMixin(ImportExportMixin):
    import_form_class = LimitedImportForm

    def get_import_formats(self):
        return [LimitedCSV, LimitedXLSX]

    def get_export_formats(self):
        return [base_formats.CSV, base_formats.XLSX]

    def generate_log_entries(self, result, request):
        """The admin's history of an import names each record; the records a name reads (a price is named
        after its item, which a price file gives by id) are read first, a thousand records at a time, not
        one query a record."""
        instances = [row.instance for row in result if row.instance is not None]
        relations = [field.name for field in self.model._meta.concrete_fields if field.many_to_one]
        for start in range(0, len(instances), 1000):
            prefetch_related_objects(instances[start:start + 1000], *relations)
        super().generate_log_entries(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportLimitError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)
