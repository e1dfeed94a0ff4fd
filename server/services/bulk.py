"""Bulk inserts of many rows that already hold every column, with less per-row overhead.

`session.execute(insert(table), rows)` re-derives the parameter set of every row; for a
push of a thousand records that is most of the insert cost. This compiles each table's
INSERT once per dialect, looks up each column's bind processor once (the same processors
SQLAlchemy would apply: UUIDs, UTC datetimes, JSON), and hands the driver plain tuples or
dicts through `exec_driver_sql` (one `executemany`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

_COMPILED: dict[tuple[str, str], tuple[str, list[str], list[Any], bool]] = {}


def _compiled(table: Table, dialect) -> tuple[str, list[str], list[Any], bool]:
    key = (dialect.name, table.name)
    if key not in _COMPILED:
        names = [c.key for c in table.columns]
        compiled = insert(table).compile(dialect=dialect, column_keys=names)
        positional = bool(compiled.positional)
        order = list(compiled.positiontup) if positional else list(compiled.binds)
        column_of = {name: compiled.binds[name].key for name in order}
        procs = [table.c[column_of[name]].type._cached_bind_processor(dialect) for name in order]
        _COMPILED[key] = (compiled.string, [column_of[n] for n in order], procs, positional)
    return _COMPILED[key]


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with a value for every column of `table`) in one executemany."""
    if not rows:
        return
    conn = session.connection()
    sql, columns, procs, positional = _compiled(table, conn.dialect)
    pairs = list(zip(columns, procs, strict=True))
    if positional:
        params = [tuple(p(r[c]) if p and r[c] is not None else r[c] for c, p in pairs)
                  for r in rows]
    else:
        names = [c for c, _ in pairs]
        params = [{n: (p(r[c]) if p and r[c] is not None else r[c])
                   for n, (c, p) in zip(names, pairs, strict=True)} for r in rows]
    conn.exec_driver_sql(sql, params)


def processed(dialect, table: Table, row: dict[str, Any],
              fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """`row` with each value turned into what the driver takes (bind processors applied),
    keyed by column: work done ahead, e.g. before a lock is taken (sync/push.py).
    `fixed` holds columns already converted (values shared by a whole batch)."""
    _sql, columns, procs, _positional = _compiled(table, dialect)
    if fixed:
        return {c: fixed[c] if c in fixed else
                (p(row[c]) if p and row[c] is not None else row[c])
                for c, p in zip(columns, procs, strict=True)}
    return {c: (p(row[c]) if p and row[c] is not None else row[c])
            for c, p in zip(columns, procs, strict=True)}


def convert(dialect, table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Some columns' values converted for the driver (for `processed(fixed=...)`)."""
    _sql, columns, procs, _positional = _compiled(table, dialect)
    proc = dict(zip(columns, procs, strict=True))
    return {c: (proc[c](v) if proc[c] and v is not None else v) for c, v in values.items()}


def insert_processed(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows made by `processed` (every column, driver values) in one executemany."""
    if not rows:
        return
    conn = session.connection()
    sql, columns, _procs, positional = _compiled(table, conn.dialect)
    # Named-parameter drivers (psycopg) take the dicts as they are: bind names are the
    # column keys, as in `bulk_insert`.
    conn.exec_driver_sql(sql, [tuple(r[c] for c in columns) for r in rows] if positional
                         else rows)


def rows_in(session: Session, head: str, column, values: list, size: int = 500) -> list[tuple]:
    """Rows of `head` + " IN (...)" over `values` (converted by `column`'s type, as a bound
    parameter would be), in slices of `size` (SQLite limits parameters). Values in the
    rows come back as the driver gives them (a UUID is hex text on SQLite)."""
    if not values:
        return []
    conn = session.connection()
    proc = column.type._cached_bind_processor(conn.dialect)
    sent = [proc(v) if proc and v is not None else v for v in values]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[tuple] = []
    for i in range(0, len(sent), size):
        chunk = sent[i:i + size]
        out += conn.exec_driver_sql(f"{head} IN ({', '.join([mark] * len(chunk))})",
                                    tuple(chunk)).all()
    return out
