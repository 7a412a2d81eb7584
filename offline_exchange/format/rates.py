"""VAT rates as check lines carry them: a free string in every version (research/1c-2026.md). 1C 2026 maps
"22", "22/122", "5", "5/105", "7", "7/107" besides the older "10/110", "20/120"; any version may send any."""
from __future__ import annotations

import re

# The rates the back office keeps (retail.VatRate's values), as the format writes them.
KNOWN_RATES = frozenset({"none", "0", "5", "7", "10", "18", "20", "22"})
_NONE = frozenset({"none", "без ндс", "безндс"})
_CALCULATED = re.compile(r"^(\d{1,2})\s*/\s*(\d{3})$")


def check_line_rate(sent: str) -> str | None:
    """The base rate of a check line's TaxRate ("22/122" → "22", "none" → "none"); "" when the line sent
    none (the item's rate applies); None when it is not a rate: an unknown number, or a calculated rate
    whose base is not the percentage over 100 ("20/110")."""
    text = sent.strip().lower().replace("%", "").strip()
    if not text:
        return ""
    if text in _NONE:
        return "none"
    calculated = _CALCULATED.match(text)
    if calculated:
        base, whole = calculated.groups()
        base = str(int(base))
        return base if int(whole) == 100 + int(base) and base in KNOWN_RATES else None
    return text if text in KNOWN_RATES else None
