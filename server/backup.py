"""Backup and restore: one portable, consistent file for SQLite and PostgreSQL alike.

    flask --app server backup /backups/cunyi-2026-11-23.jsonl.gz
    flask --app server restore /backups/cunyi-2026-11-23.jsonl.gz   # into an empty database

The file is gzip'd JSON lines: a header (schema revision, time), then for every table its
column names and its rows, parents before children. It is read inside one repeatable-read
transaction, so it is a consistent snapshot while the server keeps running. Because it is
logical rather than a database file, a township can also move from SQLite to PostgreSQL
with it (docs/adr/0035-backup.md).
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, Integer, LargeBinary, delete, func, insert, select, text, update
from sqlalchemy.types import JSON, Date, Uuid

from core.clock import now_utc
from core.models import SHIPPED_TABLES, Base, SyncCounter
from core.models.base import UTCDateTime

FORMAT = "cunyi-backup/1"
CHUNK = 2000


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column) -> Any:
    kind = column.type
    if isinstance(kind, Uuid):
        return lambda v: uuid.UUID(v)
    if isinstance(kind, UTCDateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, Date):
        return dt.date.fromisoformat
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    return None


def _revision(conn) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no migrations table: an unmigrated database
        return None


def _private_file(path: Path) -> BinaryIO:
    """`path` opened for writing, readable by its owner only: a backup holds every resident's
    records. Made 0600 whatever the umask, and an existing file is made so too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to `path`; return rows per table."""
    counts: dict[str, int] = {}
    with engine.connect() as conn, _private_file(path) as raw, \
            gzip.open(raw, "wt", encoding="utf-8") as out:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        else:
            conn.exec_driver_sql("BEGIN")  # one read transaction: a consistent snapshot
        out.write(json.dumps({"format": FORMAT, "revision": _revision(conn),
                              "taken_at": now_utc().isoformat()}) + "\n")
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns]
            out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
            n = 0
            result = conn.execution_options(stream_results=True).execute(
                select(table).order_by(*table.primary_key.columns))
            for row in result:
                out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                n += 1
            counts[table.name] = n
        conn.rollback()
    return counts


def restore(engine: Engine, path: Path) -> dict[str, int]:
    """Load `path` into an empty database at the same schema revision; return rows loaded."""
    counts: dict[str, int] = {}
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with gzip.open(path, "rt", encoding="utf-8") as src, engine.begin() as conn:
        header = json.loads(src.readline())
        if header.get("format") != FORMAT:
            raise ValueError("not a backup file of this system")
        if header["revision"] != _revision(conn):
            raise ValueError(f"backup is at schema revision {header['revision']}, the database "
                             f"at {_revision(conn)}: run `flask db upgrade` to the same revision")
        for name, table in tables.items():
            if name in SHIPPED_TABLES:
                # Filled by the migrations on every instance: the backup's own rows replace them.
                conn.execute(delete(table))
            elif name != "sync_counter" and conn.execute(
                    select(func.count()).select_from(table)).scalar():
                raise ValueError(f"the database is not empty (table {name}); restore needs an "
                                 "empty, migrated database")
        table, decoders, columns, batch = None, [], [], []

        def flush() -> None:
            if not batch:
                return
            if table.name == "sync_counter":
                conn.execute(update(SyncCounter).where(SyncCounter.id == 1)
                             .values(**{k: v for k, v in batch[0].items() if k != "id"}))
            else:
                conn.execute(insert(table), batch)
            counts[table.name] = counts.get(table.name, 0) + len(batch)
            batch.clear()

        for line in src:
            item = json.loads(line)
            if isinstance(item, dict):
                flush()
                table = tables[item["table"]]
                columns = item["columns"]
                decoders = [_decoder(table.c[c]) for c in columns]
                continue
            row = {c: (d(v) if d and v is not None else v)
                   for c, d, v in zip(columns, decoders, item, strict=True)}
            batch.append(row)
            if len(batch) >= CHUNK:
                flush()
        flush()
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


def _reset_sequences(conn) -> None:
    """Integer ids restored explicitly: move each serial sequence past the largest."""
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement is not False:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": pk[0].name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval('{seq}', GREATEST((SELECT COALESCE(MAX("
                                  f"{pk[0].name}), 0) FROM {table.name}), 1))"))


_ = JSON  # JSON columns need no decoding: json.loads gives lists and dicts back
