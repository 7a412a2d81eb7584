"""The moving average of one warehouse position, one movement at a time (Django-free, Decimal only).

Cost is kept to six places (a millionth of a ruble), quantities to three; money is rounded to kopecks only
where it is shown or summed for a user (`common.money.to_money`, half up as 1C rounds). A position's state is
its quantity, the cost of that quantity and the last known average: the average of the last positive
balance, what goods leave at when the balance has run out (negative stock)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

COST_PLACES = 6
COST_STEP = Decimal(1).scaleb(-COST_PLACES)
ZERO = Decimal(0)


def to_cost(value) -> Decimal:
    return Decimal(value).quantize(COST_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CostState:
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    average: Decimal = ZERO  # the last known average, kept when the balance is zero or negative

    def current_average(self) -> Decimal:
        if self.quantity > 0:
            return to_cost(self.cost / self.quantity)
        return self.average


def outgoing_cost(state: CostState, quantity: Decimal) -> tuple[Decimal, bool]:
    """The (negative) cost of `quantity` (> 0) leaving, and whether it left beyond the balance.

    Within the balance at its average (the whole remaining cost when the balance runs out exactly, so a
    sold-out position keeps no rounding crumbs); beyond it at the last known average, flagged."""
    if state.quantity > 0 and quantity <= state.quantity:
        if quantity == state.quantity:
            return -state.cost, False
        return -to_cost(state.cost * quantity / state.quantity), False
    if state.quantity > 0:
        return -(state.cost + to_cost((quantity - state.quantity) * state.current_average())), True
    return -to_cost(quantity * state.average), True


def average_cost(state: CostState, quantity: Decimal) -> Decimal:
    """The cost of `quantity` valued at the current average (a surplus, a return whose sale is unknown)."""
    if state.quantity > 0:
        return to_cost(state.cost * quantity / state.quantity)
    return to_cost(quantity * state.average)


def cost_apply(state: CostState, quantity: Decimal, cost: Decimal) -> CostState:
    """The state after a movement of `quantity` (signed) costing `cost` (signed)."""
    new_quantity, new_cost = state.quantity + quantity, state.cost + cost
    average = to_cost(new_cost / new_quantity) if new_quantity > 0 else state.average
    return CostState(new_quantity, new_cost, average)


def cost_step(state: CostState, quantity: Decimal, own_cost: Decimal | None) -> tuple[Decimal, bool, CostState]:
    """One movement: its cost, whether it went out of stock that was not there, and the state after it.

    `own_cost` is the cost the movement brings (a receipt's purchase sum, the cost a transfer took out of
    the other warehouse); None values it here: outgoing at the average, incoming at the current average."""
    negative = False
    if own_cost is not None:
        cost = own_cost
    elif quantity < 0:
        cost, negative = outgoing_cost(state, -quantity)
    else:
        cost = average_cost(state, quantity)
    return cost, negative, cost_apply(state, quantity, cost)
