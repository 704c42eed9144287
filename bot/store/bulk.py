"""Bulk writes and long key lists: one store function, a path per dialect.

A session start writes thousands of rounds, round members and outbox rows. SQLAlchemy sends an
executemany of them on PostgreSQL as multi-row INSERTs whose every value is rendered as its own
cast placeholder (`$n::VARCHAR`), and that rendering, not the database, was most of the engine's
CPU. On PostgreSQL `insert_rows` therefore streams the rows with COPY (asyncpg's binary
`copy_records_to_table`) on the transaction's own connection; on SQLite, and for a handful of
rows, it stays an executemany. Both paths write the same rows (tests/integration/test_bulk.py).

`analyze` refreshes PostgreSQL's planner statistics after a bulk load, as PostgreSQL's own
advice on populating a database says: a session of 100,000 members can multiply the rows of
`outbox` and `round_members` within seconds, long before autovacuum (if it runs at all) looks,
and on tables the planner believes small the dispatcher's claim query sorted every unsent row
(2.4 s a pass instead of 27 ms, measured on 100,000 queued invitations).

`any_of` is the matching choice for reads: `column = ANY(:array)` on PostgreSQL is one
parameter and one prepared statement however many keys (asyncpg allows at most 32,767
parameters, so an IN list of 100,000 member keys would not even run); SQLite keeps `IN`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

COPY_MIN_ROWS = 16  # below this an INSERT's one round trip beats COPY's two
IN_SLICE = 5_000  # keys per statement where a list may be huge (SQLite's IN has a limit too)


def is_postgresql(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def insert_rows(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` (each naming the same columns) into `table` in this transaction.

    Columns a row leaves out take their server default (or NULL) on PostgreSQL's COPY path, so
    callers name every column that has only a Python-side default.
    """
    if not rows:
        return
    if not is_postgresql(conn) or len(rows) < COPY_MIN_ROWS:
        await conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    getter = operator.itemgetter(*names)  # one name: a bare value, not a 1-tuple
    records = [getter(row) for row in rows] if len(names) > 1 else [(r[names[0]],) for r in rows]
    converted = [i for i, name in enumerate(names) if isinstance(table.c[name].type, TypeDecorator)]
    if converted:
        records = _converted(records, [(i, table.c[names[i]].type) for i in converted], conn)
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=names)


def _converted(
    records: list[tuple[Any, ...]],
    columns: list[tuple[int, Any]],
    conn: AsyncConnection,
) -> list[tuple[Any, ...]]:
    """Apply each decorated column type's own bind conversion (UTCDateTime: aware -> naive UTC),
    once per distinct value: a session's rows share a handful of timestamps."""
    seen: list[dict[Any, Any]] = [{} for _ in columns]
    out = []
    for record in records:
        values = list(record)
        for (index, column_type), cache in zip(columns, seen, strict=True):
            value = values[index]
            if value not in cache:
                cache[value] = column_type.process_bind_param(value, conn.dialect)
            values[index] = cache[value]
        out.append(tuple(values))
    return out


def any_of(conn: AsyncConnection, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN values` as one array parameter on PostgreSQL, a plain IN on SQLite."""
    if not is_postgresql(conn):
        return column.in_(list(values))
    array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
    return column == sa.any_(array)


def slices(values: Sequence[Any], size: int = IN_SLICE) -> Iterator[Sequence[Any]]:
    """`values` in slices of `size`, for reads whose key list may run to 100,000."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def analyze(conn: AsyncConnection, tables: Sequence[sa.Table]) -> None:
    """ANALYZE these tables on PostgreSQL (a sample of rows; no lock that blocks writers)."""
    if is_postgresql(conn) and tables:
        await conn.execute(sa.text("ANALYZE " + ", ".join(t.name for t in tables)))
