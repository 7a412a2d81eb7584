"""Cost of goods by the moving average of each warehouse position, current after every posting.

Every row of the stock ledger carries its cost and the position's balance after it (quantity, cost, the
last known average). A change at a moment re-costs the position's rows from that moment on, in the
ledger's order; rows that take their cost from another document (a transfer's receiving row, a return of
an earlier sale) follow when that document's outgoing cost changes. 1C computes cost once a month by its
«Закрытие месяца»; here it is kept current by the posting itself (`retail.services.sequence`).
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import OuterRef, Q, Subquery

from common.costing import CostState, cost_step, to_cost
from retail.models import StockBalance, StockMovement
from retail.services.ledger import Key, key_filter, sort_key

log = logging.getLogger(__name__)

# The ledger's order: by moment; counts after the other documents of their moment (they read its
# balance); then by document; outgoing rows of a document before its incoming ones.
ORDER = ("date", "sequence_rank", "document_type_id", "document_id", "quantity", "line_number", "id")
CHUNK = 200
# Rounds of re-costing the documents that take their cost from re-costed ones (transfers there and
# back); more means a cycle within one moment, which is left as the last round computed it.
MAX_ROUNDS = 50
STATE_FIELDS = ["cost", "balance_quantity", "balance_cost", "average_cost", "cost_negative"]


def _key(row) -> Key:
    return row.warehouse_id, row.item_id, row.characteristic_id


def _openings(keys: list[Key], since: datetime) -> tuple[dict[Key, CostState], dict[Key, StockBalance]]:
    """Each position's state just before `since` (the running balance of its last earlier row, found by one
    index seek per position, never by reading its history), and its totals row, locked: two postings
    re-costing one position wait for each other instead of writing costs computed from old rows."""
    states: dict[Key, CostState] = {}
    totals: dict[Key, StockBalance] = {}
    for with_characteristic in (False, True):
        part = [key for key in keys if (key[2] is not None) == with_characteristic]
        for start in range(0, len(part), CHUNK):
            chunk = part[start:start + CHUNK]
            same = ({"characteristic_id": OuterRef("characteristic_id")} if with_characteristic
                    else {"characteristic__isnull": True})
            last = (StockMovement.objects.filter(warehouse_id=OuterRef("warehouse_id"), item_id=OuterRef("item_id"),
                                                 date__lt=since, **same)
                    .order_by(*(f"-{name}" for name in ORDER)))
            rows = (StockBalance.objects.select_for_update().filter(key_filter(chunk, StockBalance))
                    .order_by("warehouse_id", "item_id", "characteristic_id")
                    .only("warehouse_id", "item_id", "characteristic_id", "cost", "average_cost")
                    .annotate(q=Subquery(last.values("balance_quantity")[:1]),
                              c=Subquery(last.values("balance_cost")[:1]),
                              a=Subquery(last.values("average_cost")[:1])))
            for row in rows:
                key = (row.warehouse_id, row.item_id, row.characteristic_id)
                totals[key] = row
                if row.q is not None:
                    states[key] = CostState(row.q, row.c, row.a)
    return states, totals


def _rows_since(keys: list[Key], since: datetime) -> dict[Key, list[StockMovement]]:
    found: dict[Key, list[StockMovement]] = defaultdict(list)
    fields = ["date", "warehouse_id", "item_id", "characteristic_id", "quantity", "document_type_id", "document_id",
              "cost_kind", "source_type_id", "source_id", *STATE_FIELDS]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        for row in StockMovement.objects.filter(key_filter(chunk, StockMovement), date__gte=since).order_by(*ORDER).only(*fields):
            found[_key(row)].append(row)
    return found


def _documents(documents, field: str) -> Q:
    """Rows whose `field` (the document, or the cost's source) is one of these (content type, id): one IN list
    per kind of document (an OR per document grows past what SQLite parses)."""
    ids: dict[int, list[int]] = defaultdict(list)
    for type_id, doc_id in documents:
        ids[type_id].append(doc_id)
    condition = Q(pk__in=[])
    for type_id, doc_ids in ids.items():
        condition |= Q(**{f"{field}_type_id": type_id, f"{field}_id__in": doc_ids})
    return condition


class _Sources:
    """Outgoing rows of the documents that valued rows take their cost from, as re-costed so far."""

    def __init__(self, rows: dict[Key, list[StockMovement]]):
        wanted = sorted({(r.source_type_id, r.source_id) for rows_ in rows.values() for r in rows_
                         if r.cost_kind == StockMovement.CostKind.SOURCE and r.source_id})
        self.out: dict[tuple, list[StockMovement]] = defaultdict(list)
        ids_in_batch: dict[int, StockMovement] = {r.pk: r for rows_ in rows.values() for r in rows_}
        for start in range(0, len(wanted), 500):
            for row in StockMovement.objects.filter(_documents(wanted[start:start + 500], "document"),
                                                    quantity__lt=0).only(
                    "document_type_id", "document_id", "item_id", "characteristic_id", "quantity", "cost"):
                # A row of this batch is read from the batch: its cost is the one being computed now.
                row = ids_in_batch.get(row.pk, row)
                self.out[(row.document_type_id, row.document_id, row.item_id, row.characteristic_id)].append(row)

    def cost(self, row: StockMovement) -> Decimal | None:
        """The cost of `row` at the unit cost its source document took the item out at; None if it did not."""
        taken = self.out.get((row.source_type_id, row.source_id, row.item_id, row.characteristic_id))
        if not taken:
            return None
        quantity = sum((r.quantity for r in taken), Decimal(0))
        cost = sum((r.cost for r in taken), Decimal(0))
        return to_cost(cost * row.quantity / quantity) if quantity else None


def rows_update(model, fields: list[str], objects: list) -> None:
    """UPDATE … WHERE id = … for each object, one prepared statement run many times: Django's bulk_update
    builds a CASE per field and row, several times slower for the thousand rows a shift re-costs."""
    if not objects:
        return
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} SET " + ", ".join(f"{quote(c.column)} = %s" for c in columns)
           + f" WHERE {quote(model._meta.pk.column)} = %s")
    params = [[c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns] + [obj.pk]
              for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def rows_insert(model, fields: list[str], values: list, *, prepared: bool = False) -> None:
    """INSERT of plain rows (values in `fields`' order; the hundred thousand checks of a shift and their
    UUIDs) in one statement whatever their number: PostgreSQL's COPY (no round trip a row), elsewhere one
    executemany (the driver's own loop). No model instances, and no field's conversion a value: a column's
    values are prepared as its field stores them once per kind of column (`_preparer`), or not at all when the
    caller hands them `prepared` (what the driver takes directly: int, str, Decimal, datetime, UUIDs as the
    field stores them)."""
    if not values:
        return
    columns = [model._meta.get_field(name) for name in fields]
    rows = values
    if not prepared:
        preparers = [_preparer(column) for column in columns]
        if any(preparers):
            rows = [[value if prepare is None else prepare(value) for prepare, value in zip(preparers, row)]
                    for row in values]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Text COPY: each value parsed by its column's type, a naive time in the session's zone as the
            # ORM writes it (binary COPY would need the exact types, timestamp against timestamptz).
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


# Fields whose Python values the drivers take as they are (Django's preparation of them changes nothing).
_PLAIN_FIELDS = (models.IntegerField, models.CharField, models.TextField, models.BooleanField)


def _preparer(field):
    """How one column's values are prepared: None where the driver takes them as they are (numbers, text, a
    key to a numeric id), a UUID as the field stores it (PostgreSQL's own type, else its 32 hex digits),
    anything else through the field."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.UUIDField):
        if connection.features.has_native_uuid_field:
            return None
        return lambda value: value.hex if isinstance(value, uuid.UUID) else field.get_db_prep_save(value, connection)
    if isinstance(field, _PLAIN_FIELDS):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _recost(batch: dict[Key, datetime]) -> tuple[int, dict[tuple[int, int], int], dict[Key, int]]:
    """Re-cost the positions from the batch's earliest moment; (rows changed, documents whose outgoing cost
    changed with the turn of the last such position, the turn each position was re-costed at)."""
    since = min(batch.values())
    keys = sorted(batch, key=sort_key)
    openings, totals = _openings(keys, since)
    rows = _rows_since(keys, since)
    # Positions that take no cost from elsewhere first, so a transfer's sender is valued before its receiver.
    keys.sort(key=lambda k: any(r.cost_kind == StockMovement.CostKind.SOURCE for r in rows.get(k, ())))
    sources = _Sources(rows)
    changed: list[StockMovement] = []
    changed_out: dict[tuple[int, int], int] = {}
    finals: dict[Key, CostState] = {}
    for turn, key in enumerate(keys):
        state = openings.get(key, CostState())
        for row in rows.get(key, ()):
            own = None
            if row.cost_kind == StockMovement.CostKind.FIXED:
                own = row.cost
            elif row.cost_kind == StockMovement.CostKind.SOURCE:
                own = sources.cost(row)
            cost, negative, state = cost_step(state, row.quantity, own)
            new = (cost, state.quantity, state.cost, state.average, negative)
            if new != tuple(getattr(row, name) for name in STATE_FIELDS):
                if row.quantity < 0 and cost != row.cost:
                    changed_out[(row.document_type_id, row.document_id)] = turn
                row.cost, row.balance_quantity, row.balance_cost, row.average_cost, row.cost_negative = new
                changed.append(row)
        finals[key] = state
    rows_update(StockMovement, STATE_FIELDS, changed)
    update = []
    for key, state in finals.items():
        total = totals.get(key)
        if total is not None and (total.cost, total.average_cost) != (state.cost, state.average):
            total.cost, total.average_cost = state.cost, state.average
            update.append(total)
    rows_update(StockBalance, ["cost", "average_cost"], update)
    return len(changed), changed_out, {key: turn for turn, key in enumerate(keys)}


def cost_dependents(documents) -> list[tuple[Key, datetime, tuple[int, int]]]:
    """(position, moment, source document) of the rows that take their cost from these documents."""
    documents = sorted(documents)
    found = []
    for start in range(0, len(documents), 500):
        rows = StockMovement.objects.filter(_documents(documents[start:start + 500], "source")).values_list(
            "warehouse_id", "item_id", "characteristic_id", "date", "source_type_id", "source_id")
        found.extend(((w, i, c), date, (t, d)) for w, i, c, date, t, d in rows)
    return found


@transaction.atomic
def cost_restore(*, starts: dict[Key, datetime]) -> int:
    """Re-cost each position from its moment on, then whatever takes its cost from a re-costed document;
    returns the number of ledger rows whose cost or balance changed."""
    pending = {key: when for key, when in starts.items() if when is not None}
    total = rounds = 0
    while pending:
        rounds += 1
        if rounds > MAX_ROUNDS:
            log.warning("cost: %s positions still changing after %s rounds", len(pending), MAX_ROUNDS)
            break
        count, changed_out, turns = _recost(pending)
        total += count
        pending = {}
        for key, when, source in cost_dependents(changed_out):
            # A receiving position re-costed in this round after its source changed already has the new cost.
            if turns.get(key, -1) > changed_out[source]:
                continue
            pending[key] = min(pending.get(key, when), when)
    return total


@transaction.atomic
def cost_restore_all() -> int:
    """«Восстановление себестоимости»: the whole ledger re-costed from its first row."""
    first = StockMovement.objects.order_by("date").values_list("date", flat=True).first()
    if first is None:
        return 0
    keys = set(StockMovement.objects.values_list("warehouse_id", "item_id", "characteristic_id").distinct())
    return cost_restore(starts={key: first for key in keys})


# --- Reads --------------------------------------------------------------------------------

def average_costs(*, item_ids: list[int], warehouse_ids: list[int] | None = None
                  ) -> dict[tuple[int, int | None], tuple[Decimal, Decimal, Decimal]]:
    """(quantity, cost, average) of each item and characteristic over the warehouses (all when None), from
    the totals the ledger keeps; the average of a position out of stock is its last known one."""
    rows = StockBalance.objects.filter(item_id__in=item_ids)
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    totals: dict[tuple[int, int | None], list] = {}
    for item_id, ch_id, quantity, cost, average in rows.values_list(
            "item_id", "characteristic_id", "quantity", "cost", "average_cost"):
        slot = totals.setdefault((item_id, ch_id), [Decimal(0), Decimal(0), []])
        slot[0] += quantity
        slot[1] += cost
        slot[2].append(average)
    result = {}
    for position, (quantity, cost, averages) in totals.items():
        if quantity > 0:
            average = to_cost(cost / quantity)
        else:
            known = [a for a in averages if a]
            average = to_cost(sum(known, Decimal(0)) / len(known)) if known else Decimal(0)
        result[position] = (quantity, cost, average)
    return result
