"""How a position's SKU is written as a code in the documents (PROTOCOL §5.1)."""
from __future__ import annotations

SCALE_CODE_DIGITS = 5


def position_code(number: int, *, is_weight: bool) -> str:
    """A weighed good's code is the scale's product code, five digits with leading zeros (SKU 42 → "00042"),
    the digits a weight barcode carries; any other code is the plain number."""
    if is_weight and number < 10 ** SCALE_CODE_DIGITS:
        return f"{number:0{SCALE_CODE_DIGITS}d}"
    return str(number)
