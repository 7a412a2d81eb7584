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


def raw_rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def binary_rows(sql: str, params: list) -> list[tuple]:
    """The rows of a query, read in PostgreSQL's binary protocol when it is the database.

    Django's psycopg cursors bind on the client, which returns bytea as hex text that is then decoded:
    twice the bytes on the wire and a decode of each. The goods cache reads tens of megabytes per full
    price list, so its reads go through a server-binding cursor in binary format instead (still logged
    and counted by Django's cursor wrapper). Other databases return blobs as they are."""
    if connection.vendor != "postgresql":
        return raw_rows(sql, params)
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    with (connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
