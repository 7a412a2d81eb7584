"""Per-version switches of the exchange format."""
from __future__ import annotations

from dataclasses import dataclass

XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True)
class FormatVersion:
    code: int
    label: str
    namespace: str
    tax_rates: frozenset[str]
    not_agreed_status: str
    marked_goods_type_codes: frozenset[int]


# 3.0/3.1 spell «НеCогласован» with a Latin C (U+0043); from 3.2 it is all Cyrillic.
FORMAT_3001 = FormatVersion(
    code=3001,
    label="3.1",
    namespace="http://www.1c.ru/EquipmentService/3.0.0.1",
    tax_rates=frozenset({"20", "18", "10", "0", "none", "5", "7"}),
    not_agreed_status="Не\u0043огласован",
    marked_goods_type_codes=frozenset({1, 2, 3}),
)

FORMATS: dict[int, FormatVersion] = {FORMAT_3001.code: FORMAT_3001}


class UnsupportedFormatError(ValueError):
    pass


def get_format(code: int) -> FormatVersion:
    try:
        return FORMATS[int(code)]
    except (KeyError, ValueError, TypeError):
        raise UnsupportedFormatError(f"Версия формата обмена {code} не поддерживается") from None
