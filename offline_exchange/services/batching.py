"""Reading rows of many items without one query per item and without huge IN lists."""
from __future__ import annotations

from typing import Iterator

from django.db import connection

CHUNK = 2000


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _dense(chunk: list[int]) -> bool:
    # A dense chunk is read as an id range, which databases answer far faster than a list of a thousand
    # ids; callers ignore the few rows of other items.
    return max(chunk) - min(chunk) < 2 * len(chunk)


def id_ranges(ids: list[int]) -> Iterator[list[int]]:
    """Sorted ids in chunks for `id_condition`: all of them at once when they are dense (one id range, however
    many: the list after a chain-wide change names the whole catalog, and fifty reads of a range each cost
    fifty round trips), else `CHUNK` at a time."""
    if ids and _dense(ids):
        yield ids
    else:
        yield from chunks(ids)


def of_items(field: str, chunk: list[int]) -> dict:
    """ORM filter for rows of these items (see `_dense`)."""
    if _dense(chunk):
        return {f"{field}__gte": min(chunk), f"{field}__lte": max(chunk)}
    return {f"{field}__in": chunk}


def id_condition(column: str, chunk: list[int]) -> tuple[str, list[int]]:
    """The same filter as SQL and its parameters, for the raw reads of the hot path."""
    if _dense(chunk):
        return f"{column} BETWEEN %s AND %s", [min(chunk), max(chunk)]
    return f"{column} IN ({', '.join(['%s'] * len(chunk))})", list(chunk)


def _server_binding_cursor():
    """A cursor of Django's PostgreSQL connection that binds parameters on the server and moves values in
    binary. Django's own cursors bind on the client and read text: bytea comes as hex (twice the bytes,
    each decoded) and every integer is parsed from digits. Still logged and counted by Django's wrapper."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def fetch_rows(sql: str, params: list) -> list[tuple]:
    """The rows of a query as plain tuples, for the reads a price list makes per item of the catalog (the
    plan's ids, the cached Goods): no model instances, and PostgreSQL's binary protocol."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with _server_binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute_many(sql: str, rows: list[tuple]) -> None:
    """executemany() in PostgreSQL's binary protocol: a first full price list writes tens of megabytes of
    Goods."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        return
    with _server_binding_cursor() as cursor:
        cursor.executemany(sql, rows)


def copy_rows(table: str, columns: list[str], types: list[str], rows: list[tuple]) -> None:
    """Append rows with PostgreSQL's COPY in binary, the fastest way in: no statement per row."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("COPY is PostgreSQL's")
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
