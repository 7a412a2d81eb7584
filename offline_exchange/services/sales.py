"""PostDocs entry point. The document is archived in the journal by the caller before this runs."""
from __future__ import annotations

from dataclasses import dataclass

from ..format.builders import build_post_docs_response
from ..format.versions import get_format
from ..models import OfflineDevice

SALES_DOC_TYPES = {"SaleReports", "SalesReport", "SaleReport"}
NOT_ACCEPTED_YET = (
    "Загрузка отчетов о продажах на этом сервере еще не включена. Документ сохранен в журнале обмена "
    "и будет загружен администратором; повторите выгрузку позже."
)


@dataclass
class PostDocsResult:
    success: bool
    description: str
    content: bytes


def post_docs(*, device: OfflineDevice, doc_type: str, document: bytes, user=None) -> PostDocsResult:
    fmt = get_format(device.format_version)
    if doc_type in SALES_DOC_TYPES:
        description = NOT_ACCEPTED_YET
    else:
        description = f"Тип документа {doc_type or '(пусто)'} не поддерживается"
    return PostDocsResult(False, description, build_post_docs_response(success=False, description=description, fmt=fmt))
