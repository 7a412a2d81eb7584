"""Per-version switches of the exchange format (FORMAT-3.1.md §9): one set of builders and one
reader serve every version, asking these flags where the versions differ."""
from __future__ import annotations

from dataclasses import dataclass

XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_BASE_RATES = frozenset({"20", "18", "10", "0", "none"})
# VAT 22 % (Russia, from 2026) is in 1C's 3.0.0.3 package only: 1C changed that package in place (2026:
# TaxRates 22 20 18 10 0 none 5 7, marking kinds 1..36) and left 3.0.0.0-3.0.0.2 as they were
# (research/1c-2026.md). Its answer to a 3.1/3.2 register with 22 % goods is format 3.3.
VAT_22 = "22"
# The format that carries everything the others hold back (VAT 22/5/7, marking of every kind), and the one
# 1C presets for a new device.
NEWEST_FORMAT = 3003


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
# Marking kinds 1..22 are named in 1C's 2026 package, 23..36 reserved there; below 3.3 only 1-3 have a code.
MARKING_KIND_CODES = frozenset(range(1, 37))
FORMAT_3003 = FormatVersion(
    code=3003, label="3.3", namespace=_namespace(3), tax_rates=_BASE_RATES | {"5", "7", VAT_22},
    not_agreed_status=_CYRILLIC, marked_goods_type_codes=MARKING_KIND_CODES, classification_code=True,
    is_excisable=True, tare_opening_document=True,
)

FORMATS: dict[int, FormatVersion] = {f.code: f for f in (FORMAT_3000, FORMAT_3001, FORMAT_3002, FORMAT_3003)}


class UnsupportedFormatError(ValueError):
    pass


def get_format(code: int) -> FormatVersion:
    try:
        return FORMATS[int(code)]
    except (KeyError, ValueError, TypeError):
        raise UnsupportedFormatError(f"Версия формата обмена {code} не поддерживается") from None


def refusal(fmt: FormatVersion, *, tax_rate: str, marked: bool) -> str:
    """What of a good this version cannot carry, in a store admin's words («ставку НДС 22%»); "" when nothing.

    Such goods are left out of the device's lists and named (PROTOCOL §5.1), never failing the list."""
    if tax_rate not in fmt.tax_rates:
        return "товары без НДС" if tax_rate == "none" else f"ставку НДС {tax_rate}%"
    if marked and not fmt.marking:
        return "маркируемую продукцию"
    return ""


def switch_advice(fmt: FormatVersion) -> str:
    """What to do about goods this version holds back: format 3.3 carries every rate and marking kind."""
    if fmt.code == NEWEST_FORMAT:
        return ""
    return ("Переведите кассу на формат обмена 3.3: он передает ставки НДС 22%, 5% и 7% и маркируемую "
            "продукцию всех видов (так советует 1С, новые кассы в 1С настроены на 3.3).")


def held_back_text(fmt: FormatVersion, goods: list[tuple[str, str]], *, shown: int = 20,
                   total: int | None = None) -> str:
    """The journal's, the console's and the device page's words for goods held back: (name, reason) each;
    `total` when `goods` are only the first of them."""
    if not goods:
        return ""
    names = ", ".join(f"«{name}» ({reason})" for name, reason in goods[:shown])
    more = (len(goods) if total is None else total) - min(shown, len(goods))
    advice = switch_advice(fmt)
    return (f"Не переданы на кассу (формат обмена {fmt.label} их не передает): {names}"
            + (f" и еще {more}" if more > 0 else "") + (f". {advice}" if advice else ""))
