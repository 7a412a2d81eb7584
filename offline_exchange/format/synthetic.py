"""Synthetic shifts, as a busy cash register would upload them (benchmarks, simulators, tests)."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from offline_exchange.format.sale_reports import SHIFT_CLOSED, CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc


@dataclass(frozen=True)
class SellableGood:
    code: str
    price: Decimal
    tax_rate: str = "20"
    weight: bool = False


def synthetic_shift(*, goods: list[SellableGood], checks: int, lines: int, opened_at: datetime,
                    shift_number: str = "1", seed: int = 1, returns_every: int = 0,
                    card_code: str = "1") -> SaleReportDoc:
    """A closed shift of `checks` checks of `lines` lines each; every `returns_every`-th check is a
    return of the check before it. Amounts are exact: each check's payments equal its lines."""
    rng = random.Random(seed)
    shift = SaleReportDoc(line=0, shift_number=shift_number, opened_at=opened_at, closed_at=None,
                          shift_state=SHIFT_CLOSED, uuid=uuid.UUID(int=rng.getrandbits(128), version=4))
    moment = opened_at
    previous: CheckDoc | None = None
    for n in range(1, checks + 1):
        moment += timedelta(seconds=rng.randint(5, 40))
        if returns_every and previous is not None and n % returns_every == 0:
            check = CheckDoc(line=0, date=moment, number=str(n), taxation_system=0, operation_type=2,
                             uuid=uuid.UUID(int=rng.getrandbits(128), version=4), ref_uuid=previous.uuid,
                             ref_type="Check", lines=list(previous.lines), payments=list(previous.payments))
        else:
            check = CheckDoc(line=0, date=moment, number=str(n), taxation_system=0, operation_type=1,
                             uuid=uuid.UUID(int=rng.getrandbits(128), version=4))
            for _ in range(lines):
                good = goods[rng.randrange(len(goods))]
                quantity = (Decimal(rng.randint(100, 2500)) / 1000) if good.weight else Decimal(rng.randint(1, 3))
                amount = (good.price * quantity).quantize(Decimal("0.01"))
                check.lines.append(CheckLineDoc(line=0, code=good.code, quantity=quantity, price=good.price,
                                                amount=amount, tax_rate=good.tax_rate, payment_method=4))
            total = sum((line.amount for line in check.lines), Decimal(0))
            if n % 3 == 0:
                check.payments.append(PaymentDoc(cash=Decimal(0), electronic=total, prepayment=Decimal(0),
                                                 postpayment=Decimal(0), barter=Decimal(0), option_code=card_code))
            else:
                check.payments.append(PaymentDoc(cash=total, electronic=Decimal(0), prepayment=Decimal(0),
                                                 postpayment=Decimal(0), barter=Decimal(0)))
            previous = check
        shift.checks.append(check)
    shift.closed_at = moment + timedelta(minutes=5)
    return shift
