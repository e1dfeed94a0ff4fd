"""Bulk inserts of many rows that already hold every column, with less per-row overhead.

`session.execute(insert(table), rows)` re-derives the parameter set of every row; for a
push of a thousand records that is most of the insert cost. This compiles each table's
INSERT once per dialect, looks up each column's bind processor once (the same processors
SQLAlchemy would apply: UUIDs, UTC datetimes, JSON), and hands the driver plain tuples or
dicts through `exec_driver_sql` (one `executemany`).
"""
from __future__ import annotations

import datetime as dt
from operator import itemgetter
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


_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"
_SQLITE_DATETIME = _SQLITE_DATE + " %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def quick_processor(column_type: Any, dialect, proc: Any) -> Any:
    """SQLAlchemy's bind processor `proc`, or for dates and UTC times on SQLite an
    equivalent that writes the same text with one C call (`date.isoformat`) instead of a
    %-format of a dict; anything unusual still goes to `proc`
    (tests/core/test_bulk.py checks the two agree)."""
    from core.models.base import UTCDateTime  # models import this module's users

    if proc is None or dialect.name != "sqlite":
        return proc
    if isinstance(column_type, UTCDateTime) and \
            getattr(column_type.impl.dialect_impl(dialect), "_storage_format", None) \
            == _SQLITE_DATETIME:
        def utc_text(value, utc=dt.UTC, fixed=dt.timezone, moment=dt.datetime):
            if type(value) is moment and type(value.tzinfo) is fixed:
                return value.astimezone(utc).replace(tzinfo=None).isoformat(" ", "microseconds")
            return proc(value)
        return utc_text
    impl = column_type.dialect_impl(dialect)
    if getattr(impl, "_storage_format", None) == _SQLITE_DATE:
        def date_text(value, day=dt.date):
            return value.isoformat() if type(value) is day else proc(value)
        return date_text
    return proc


class RowPlan:
    """How rows of one table become driver values in one pass, worked out once: the
    columns in the INSERT's order (`operator.itemgetter` picks them at C speed), the few
    that need a bind processor, and `fixed` ones shared by a whole batch, converted once.

    `values(row)` is the row ready for `insert_processed`: a tuple for positional drivers
    (sqlite3), a dict for named ones (psycopg). Work done ahead, e.g. before a lock is
    taken (sync/prepare.py); `replace(values, column, value)` fills in a column later (a
    change row's seq, under the lock)."""

    def __init__(self, dialect, table: Table, fixed: dict[str, Any] | None = None):
        _sql, columns, procs, self.positional = _compiled(table, dialect)
        self.columns = columns
        done = convert(dialect, table, fixed or {})
        self.fixed = [(i, done[c]) for i, c in enumerate(columns) if c in done]
        self.procs = [(i, quick_processor(table.c[c].type, dialect, p))
                      for i, (c, p) in enumerate(zip(columns, procs, strict=True))
                      if p is not None and c not in done]
        self.pick = itemgetter(*columns)
        self.index = {c: i for i, c in enumerate(columns)}

    def values(self, row: dict[str, Any]) -> tuple | dict[str, Any]:
        """`row` (every column; fixed ones may hold anything) as driver values."""
        out = list(self.pick(row))
        for i, proc in self.procs:
            if out[i] is not None:
                out[i] = proc(out[i])
        for i, value in self.fixed:
            out[i] = value
        return tuple(out) if self.positional else dict(zip(self.columns, out, strict=True))

    def replace(self, values: tuple | dict[str, Any], column: str, value: Any
                ) -> tuple | dict[str, Any]:
        """`values` with one column set to `value` (a driver value)."""
        if not self.positional:
            values[column] = value
            return values
        i = self.index[column]
        return values[:i] + (value,) + values[i + 1:]


def convert(dialect, table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Some columns' values converted for the driver (a `RowPlan`'s fixed ones)."""
    _sql, columns, procs, _positional = _compiled(table, dialect)
    proc = dict(zip(columns, procs, strict=True))
    return {c: (proc[c](v) if proc[c] and v is not None else v) for c, v in values.items()}


def insert_processed(session: Session, table: Table, rows: list) -> None:
    """Insert rows made by `RowPlan.values` (driver values: tuples in the INSERT's column
    order, or dicts keyed by column for named-parameter drivers) in one executemany."""
    if rows:
        conn = session.connection()
        conn.exec_driver_sql(_compiled(table, conn.dialect)[0], rows)


def driver_values(session: Session, column, values: list) -> list:
    """`values` converted by `column`'s type, as bound parameters would be."""
    proc = column.type._cached_bind_processor(session.get_bind().dialect)
    return [proc(v) if proc and v is not None else v for v in values]


def rows_in(session: Session, head: str, column, values: list, size: int = 500) -> list[tuple]:
    """Rows of `head` + " IN (...)" over `values` (converted by `column`'s type, as a bound
    parameter would be; `column` None: `values` are driver values already, as
    `driver_values` makes them), in slices of `size` (SQLite limits parameters). Values in
    the rows come back as the driver gives them (a UUID is hex text on SQLite)."""
    if not values:
        return []
    conn = session.connection()
    sent = driver_values(session, column, values) if column is not None else values
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[tuple] = []
    for i in range(0, len(sent), size):
        chunk = sent[i:i + size]
        out += conn.exec_driver_sql(f"{head} IN ({', '.join([mark] * len(chunk))})",
                                    tuple(chunk)).all()
    return out
