"""Russian formats for what the store reads, as 1С:Розница writes them: 13.07.2020 16:31:53, 1 306,84,
1,254, 20%.

Django-free, so a service, a command and a journal note format alike, whatever language a request has
active. Django's own rendering reads the same separators and patterns through the project's format
module (config/formats/ru/formats.py), so an admin column and a hand-made page never disagree."""
from decimal import ROUND_HALF_UP, Decimal

DECIMAL_SEPARATOR = ","
NBSP = "\xa0"
THOUSAND_SEPARATOR = NBSP  # a non-breaking space: 1 306,84 never breaks across lines
NUMBER_GROUPING = 3
DATE_PATTERN = "%d.%m.%Y"
DATETIME_PATTERN = "%d.%m.%Y %H:%M:%S"


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _number(value: Decimal, places: int) -> str:
    # Python groups by three with ","; swapped for 1C's separators in one pass.
    text = format(value, f",.{places}f")
    return text.translate({ord(","): THOUSAND_SEPARATOR, ord("."): DECIMAL_SEPARATOR})


def money_text(value) -> str:
    if value is None or value == "":
        return ""
    # Money is rounded half up, as on a check.
    return _number(_decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP), 2)


def quantity_text(value) -> str:
    if value is None or value == "":
        return ""
    value = _decimal(value).quantize(Decimal("0.001"), ROUND_HALF_UP)
    places = len(f"{value:f}".partition(".")[2].rstrip("0"))
    return _number(value, places)


def datetime_text(value) -> str:
    return value.strftime(DATETIME_PATTERN) if value else ""


def date_text(value) -> str:
    return value.strftime(DATE_PATTERN) if value else ""


def vat_text(value) -> str:
    """A VAT rate as the checks print it: «20%», «Без НДС» (stored as "20", "none" or empty)."""
    if value is None:
        return ""
    text = str(value).strip().removesuffix("%")
    if text in ("", "none"):
        return "Без НДС"
    return f"{quantity_text(text)}%"


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun's form for a count: 1 позиция, 2 позиции, 5 позиций, 11 позиций, 21 позиция."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
