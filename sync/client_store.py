"""The reference client's local store (sync.client): a SQLite file holding the entities
the device sees, its outbox of ops waiting for the server, the server's answers, and a few
settings (the cursor, the device's token).

An op leaves the outbox only after the server acknowledged it (sync.client_apply); every
local edit is one local transaction, the entity and its op together.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from core.ids import time_ordered_uuid
from sync.wire import RawJSON, _dumps

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS entities (
  entity TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (entity, id));
CREATE TABLE IF NOT EXISTS outbox (
  counter INTEGER PRIMARY KEY, op_id TEXT UNIQUE NOT NULL, entity TEXT NOT NULL,
  action TEXT NOT NULL, id TEXT NOT NULL, base_version INTEGER NOT NULL, data TEXT NOT NULL,
  device_time TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', errors TEXT);
CREATE TABLE IF NOT EXISTS results (
  op_id TEXT PRIMARY KEY, entity TEXT, id TEXT, status TEXT NOT NULL, detail TEXT NOT NULL);
"""


def now_iso(clock: Callable[[], dt.datetime]) -> str:
    """The time `clock` gives, in UTC, as the protocol writes times (…Z)."""
    return clock().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class LocalStore:
    """A device's SQLite store and outbox."""

    def __init__(self, path: str, clock: Callable[[], dt.datetime]):
        # One thread at a time, but not always the one that opened it (tests, load test).
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.clock = clock

    # -- meta -------------------------------------------------------------------

    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                        (key, str(value)))

    @property
    def cursor(self) -> int:
        """The last seq stored locally."""
        return int(self._meta("cursor", "0"))

    @property
    def fresh_copy(self) -> int | None:
        """The `fresh_copy` of the last page pulled: set while a fresh copy is being paged
        (sent back with every request until the copy is over), else None."""
        value = self._meta("fresh_copy", "")
        return int(value) if value else None

    @property
    def device_id(self) -> str | None:
        """This device's id, once enrolled."""
        return self._meta("device_id")

    # -- local edits ----------------------------------------------------------------

    def create(self, entity: str, data: dict[str, Any], entity_id: str | None = None) -> str:
        """Make a new record, resident or household locally and queue it."""
        entity_id = entity_id or str(time_ordered_uuid())
        self.db.execute("BEGIN")
        self.db.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, 0, ?)",
                        (entity, entity_id, json.dumps({**data, "id": entity_id})))
        self._queue(entity, "create", entity_id, 0, data)
        self.db.execute("COMMIT")
        return entity_id

    def update(self, entity: str, entity_id: str, changes: dict[str, Any]) -> None:
        """Edit locally: residents and households send only `changes`; a record
        (a correction) is sent whole."""
        row = self.get(entity, entity_id)
        if row is None:
            raise KeyError(entity_id)
        version, data = row
        data.update(changes)
        body = changes if entity != "record" else {k: v for k, v in data.items() if k != "id"}
        self.db.execute("BEGIN")
        self.db.execute("UPDATE entities SET data = ? WHERE entity = ? AND id = ?",
                        (json.dumps(data), entity, entity_id))
        self._queue(entity, "update", entity_id, max(version, 1), body)
        self.db.execute("COMMIT")

    def void(self, record_id: str) -> None:
        """Void a record (its author only)."""
        version, _ = self.get("record", record_id)
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM entities WHERE entity = 'record' AND id = ?", (record_id,))
        self._queue("record", "delete", record_id, max(version, 1), {})
        self.db.execute("COMMIT")

    def correct_rejected(self, op_id: str, data: dict[str, Any]) -> str:
        """Replace a rejected op's data and queue it again under a new op id."""
        row = self.db.execute("SELECT entity, action, id, base_version FROM outbox "
                              "WHERE op_id = ? AND status = 'rejected'", (op_id,)).fetchone()
        if row is None:
            raise KeyError(op_id)
        entity, action, entity_id, base = row
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))
        new = self._queue(entity, action, entity_id, base, data)
        self.db.execute("COMMIT")
        return new

    def _queue(self, entity: str, action: str, entity_id: str, base: int,
               data: dict[str, Any]) -> str:
        op_id = str(time_ordered_uuid())
        self.db.execute(
            "INSERT INTO outbox (op_id, entity, action, id, base_version, data, device_time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (op_id, entity, action, entity_id, base, _dumps(data), now_iso(self.clock)))
        return op_id

    # -- reading ------------------------------------------------------------------------

    def get(self, entity: str, entity_id: str) -> tuple[int, dict[str, Any]] | None:
        """(version, data) of a local entity."""
        row = self.db.execute("SELECT version, data FROM entities WHERE entity = ? AND id = ?",
                              (entity, entity_id)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def all(self, entity: str) -> dict[str, tuple[int, dict[str, Any]]]:
        """Every local entity of a kind: id -> (version, data)."""
        return {i: (v, json.loads(d)) for i, v, d in self.db.execute(
            "SELECT id, version, data FROM entities WHERE entity = ?", (entity,))}

    def pending(self) -> list[dict[str, Any]]:
        """Ops not yet acknowledged (pending and rejected), oldest first."""
        cols = ("counter", "op_id", "entity", "action", "id", "base_version", "data",
                "device_time", "status", "errors")
        return [dict(zip(cols, r, strict=True)) for r in self.db.execute(
            f"SELECT {', '.join(cols)} FROM outbox ORDER BY counter")]

    def results(self) -> dict[str, dict[str, Any]]:
        """What the server said of each acknowledged op."""
        return {op: json.loads(d) for op, d in self.db.execute("SELECT op_id, detail FROM results")}

    def _has_pending(self) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1"
                               ).fetchone() is not None

    def _outbox_batch(self, after: int, creates_only: bool, limit: int) -> list[dict[str, Any]]:
        """The next `limit` pending ops after outbox counter `after`; `data` stays the
        stored JSON text (RawJSON). With `creates_only`, the batch stops before the first
        op that is not a new record."""
        rows = self.db.execute(
            "SELECT op_id, counter, entity, action, id, base_version, data, device_time "
            "FROM outbox WHERE status = 'pending' AND counter > ? ORDER BY counter LIMIT ?",
            (after, limit))
        ops = []
        for o, c, e, a, i, b, d, t in rows:
            if creates_only and (e != "record" or a != "create"):
                break
            ops.append({"op_id": o, "device_counter": c, "entity": e, "action": a, "id": i,
                        "base_version": b, "device_time": t, "data": RawJSON(d)})
        return ops
