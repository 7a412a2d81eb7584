"""Money and quantity helpers: every amount is a Decimal rounded the way 1C rounds (half up)."""
from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
GRAM = Decimal("0.001")


def to_money(value) -> Decimal:
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def to_quantity(value) -> Decimal:
    return Decimal(value).quantize(GRAM, rounding=ROUND_HALF_UP)


def vat_included(amount: Decimal, rate_percent: Decimal | None) -> Decimal:
    """VAT inside an amount that includes it: sum × r / (1 + r)."""
    if not rate_percent:
        return Decimal("0.00")
    rate = Decimal(rate_percent) / 100
    return to_money(Decimal(amount) * rate / (1 + rate))
