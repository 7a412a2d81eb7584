"""Per-version switches of the exchange format (FORMAT-3.1.md §9): one set of builders and one
reader serve every version, asking these flags where the versions differ."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_BASE_RATES = frozenset({"20", "18", "10", "0", "none"})
# VAT 22 % (Russia, from 2026) is in none of 1C's packages; registers updated for 2026 carry it in their
# package's TaxRates (real-1c-output.md §3), so it is a device setting on top of any version.
VAT_22 = "22"


@dataclass(frozen=True)
class FormatVersion:
    code: int
    label: str
    namespace: str
    tax_rates: frozenset[str]
    not_agreed_status: str
    # Empty: the version has no IsMarked/MarkedGoodTypeCode (3.0).
    marked_goods_type_codes: frozenset[int]
    # 3.0: SaleReport@ClosingDate required, ShiftState an element after IncomeOutcomeChecks, a check line's
    # single @AlcoholExciseStamp; from 3.1 the optional date, the attribute and ExciseStamps/ExciseStamp.
    shift_state_element: bool = False
    closing_date_required: bool = False
    excise_stamps: bool = True
    classification_code: bool = False  # Good@GoodClassificationCode, 3.2+
    is_excisable: bool = False  # Good@IsExcisable, 3.3
    tare_opening_document: bool = False  # AlcoholTareOpening@NumberDoc, @KegInstallment, 3.3

    @property
    def marking(self) -> bool:
        return bool(self.marked_goods_type_codes)

    def with_vat22(self, enabled: bool = True) -> "FormatVersion":
        """This version as a register updated for 2026 speaks it (or without 22 %)."""
        rates = self.tax_rates | {VAT_22} if enabled else self.tax_rates - {VAT_22}
        return self if rates == self.tax_rates else dataclasses.replace(self, tax_rates=rates)


def _namespace(n: int) -> str:
    return f"http://www.1c.ru/EquipmentService/3.0.0.{n}"


# 3.0/3.1 spell «НеCогласован» with a Latin C (U+0043); from 3.2 it is all Cyrillic.
_LATIN_C = "Не\u0043огласован"
_CYRILLIC = "Не\u0421огласован"

FORMAT_3000 = FormatVersion(
    code=3000, label="3.0", namespace=_namespace(0), tax_rates=_BASE_RATES, not_agreed_status=_LATIN_C,
    marked_goods_type_codes=frozenset(), shift_state_element=True, closing_date_required=True, excise_stamps=False,
)
FORMAT_3001 = FormatVersion(
    code=3001, label="3.1", namespace=_namespace(1), tax_rates=_BASE_RATES | {"5", "7"},
    not_agreed_status=_LATIN_C, marked_goods_type_codes=frozenset({1, 2, 3}),
)
# 3.2 lost VAT 5/7 again in 1C's package (a regression that 3.3 undid).
FORMAT_3002 = FormatVersion(
    code=3002, label="3.2", namespace=_namespace(2), tax_rates=_BASE_RATES, not_agreed_status=_CYRILLIC,
    marked_goods_type_codes=frozenset({1, 2, 3}), classification_code=True,
)
FORMAT_3003 = FormatVersion(
    code=3003, label="3.3", namespace=_namespace(3), tax_rates=_BASE_RATES | {"5", "7"},
    not_agreed_status=_CYRILLIC, marked_goods_type_codes=frozenset(range(1, 23)), classification_code=True,
    is_excisable=True, tare_opening_document=True,
)

FORMATS: dict[int, FormatVersion] = {f.code: f for f in (FORMAT_3000, FORMAT_3001, FORMAT_3002, FORMAT_3003)}


class UnsupportedFormatError(ValueError):
    pass


def get_format(code: int, *, vat22: bool = False) -> FormatVersion:
    try:
        fmt = FORMATS[int(code)]
    except (KeyError, ValueError, TypeError):
        raise UnsupportedFormatError(f"Версия формата обмена {code} не поддерживается") from None
    return fmt.with_vat22(vat22)


def refusal(fmt: FormatVersion, *, tax_rate: str, marked: bool) -> str:
    """What of a good this version cannot carry, in a store admin's words («ставку НДС 22%»); "" when nothing.

    Such goods are left out of the device's lists and named (PROTOCOL §5.1), never failing the list."""
    if tax_rate not in fmt.tax_rates:
        return "товары без НДС" if tax_rate == "none" else f"ставку НДС {tax_rate}%"
    if marked and not fmt.marking:
        return "маркируемую продукцию"
    return ""
