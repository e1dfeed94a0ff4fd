"""The Python reference client: a local SQLite store with an outbox, speaking protocol 1.

Tests, the load test and the benchmark use it; a township can also import records from
another system with it. It behaves as the phone app must: an op leaves the outbox only
after the server acknowledged it, a rejected op stays with its reason, and local state is
changed in one local transaction per server response.

    client = SyncClient("/tmp/phone.sqlite", HttpTransport("http://127.0.0.1:8000"))
    client.enrol("doctor01", "demo1234", label="测试机")
    rid = client.create("record", {"kind": "hypertension_followup", ...})
    client.sync()
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from core.ids import time_ordered_uuid
from sync import gz
from sync.wire import (  # noqa: F401  (re-exported: the client's public names)
    DeviceRevoked,
    HttpTransport,
    RawJSON,
    ServerRefused,
    SyncError,
    Transport,
    _dumps,
    _loads,
    _store,
    encode_request,
)

PROTOCOL_VERSION = 1
PUSH_BATCH = 1000  # the protocol's maximum: fewer round trips for a backlog (bench/sync_bench.py)
PULL_LIMIT = 2000
LANES = 2  # batches of new records in flight at once, when the transport can fork


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


_UPSERT = ("INSERT INTO entities VALUES (?, ?, ?, ?) ON CONFLICT (entity, id) DO UPDATE SET "
           "version = excluded.version, data = excluded.data WHERE excluded.version >= version")


def _now_iso(clock: Callable[[], dt.datetime]) -> str:
    return clock().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class SyncClient:
    """A device: local store, outbox, and the sync loop."""

    def __init__(self, path: str, transport: Transport,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        # One thread at a time, but not always the one that opened it (tests, load test).
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.transport = transport
        self.clock = clock
        self.last_response: dict[str, Any] | None = None

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

    # -- enrolment ----------------------------------------------------------------

    def enrol(self, username: str, password: str, label: str = "") -> dict[str, Any]:
        """Log in once online and enrol: keeps the device id and token."""
        self._post_json("/api/auth/login", {"username": username, "password": password})
        device = self._post_json("/api/devices", {"label": label, "password": password})
        self.db.execute("BEGIN")
        self._set_meta("device_id", device["device_id"])
        self._set_meta("token", device["token"])
        self.db.execute("COMMIT")
        return device

    def adopt_token(self, device_id: str, token: str) -> None:
        """Use an existing enrolment (a reinstalled app handed its old token)."""
        self.db.execute("BEGIN")
        self._set_meta("device_id", device_id)
        self._set_meta("token", token)
        self.db.execute("COMMIT")

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
            (op_id, entity, action, entity_id, base, _dumps(data), _now_iso(self.clock)))
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

    # -- the exchange ---------------------------------------------------------------------

    def sync(self, max_rounds: int = 1000) -> dict[str, int]:
        """Push everything pending and pull until up to date. Returns counts."""
        stats = {"requests": 0, "pushed": 0, "pulled": 0, "rejected": 0}
        for _ in range(max_rounds):
            if self._lanes() > 1:
                self._push_records_side_by_side(stats)
            ops = self._next_ops()
            response = self.exchange(ops)
            self._count(stats, ops, response)
            if response["reset"]:
                continue
            if not response["more"] and not self._has_pending():
                return stats
        raise SyncError("sync did not finish")

    @staticmethod
    def _count(stats: dict[str, int], ops: list, response: dict[str, Any]) -> None:
        stats["requests"] += 1
        stats["pushed"] += len(ops)
        stats["pulled"] += len(response["changes"])
        stats["rejected"] += sum(r["status"] == "rejected" for r in response["results"])

    def _has_pending(self) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1"
                               ).fetchone() is not None

    def _lanes(self) -> int:
        return LANES if hasattr(self.transport, "fork") else 1

    def _next_ops(self, after: int = 0, creates_only: bool = False) -> list[dict[str, Any]]:
        """The next batch of pending ops after outbox counter `after`; `data` stays the
        stored JSON text (RawJSON). With `creates_only`, the batch stops before the first
        op that is not a new record."""
        rows = self.db.execute(
            "SELECT op_id, counter, entity, action, id, base_version, data, device_time "
            "FROM outbox WHERE status = 'pending' AND counter > ? ORDER BY counter LIMIT ?",
            (after, PUSH_BATCH))
        ops = []
        for o, c, e, a, i, b, d, t in rows:
            if creates_only and (e != "record" or a != "create"):
                break
            ops.append({"op_id": o, "device_counter": c, "entity": e, "action": a, "id": i,
                        "base_version": b, "device_time": t, "data": RawJSON(d)})
        return ops

    def _push_records_side_by_side(self, stats: dict[str, int]) -> None:
        """Push the run of new records at the head of the outbox as batches in flight at
        once, push only (pull_limit 0), each acknowledged as its response arrives.

        New records depend on nothing pushed in the same run (a record's resident or
        household was created by an earlier op, which ends the run), so their order on
        the server does not matter. The ordinary exchange that follows pulls from the
        cursor, which these requests moved only over the device's own changes, as far as
        their `own_seqs` joined up (`_apply_push_only`). A failure ends the run: what was
        acknowledged stays acknowledged, the rest stays pending."""
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        first = self._next_ops(creates_only=True)
        if len(first) < PUSH_BATCH:  # one batch or less: the ordinary exchange sends it
            return
        lanes = [self.transport] + [self.transport.fork() for _ in range(self._lanes() - 1)]
        free = list(lanes)
        in_flight: dict[Any, tuple[Any, list]] = {}
        error: BaseException | None = None

        def encoded(ops: list[dict[str, Any]]) -> tuple | None:
            """The request for `ops`, or None when they are a short tail (it goes with the
            ordinary exchange)."""
            if len(ops) < PUSH_BATCH:
                return None
            return ops, self._encode(self.build_request(ops, pull_limit=0), auth=True,
                                     gzip_body=True)

        # The next request is read and encoded while the lanes are busy, and a lane whose
        # response arrives is handed it before that response is stored: the client's work
        # stays off the path from one batch to the next (docs/benchmarks.md#push).
        ready = encoded(first)
        own: list[tuple[int, int]] = []  # the responses' own_seqs, to move the cursor over
        with ThreadPoolExecutor(len(lanes)) as pool:

            def send(lane: Any) -> list[dict[str, Any]]:
                ops, request = ready
                in_flight[pool.submit(lane.post, "/api/sync", *request)] = (lane, ops)
                return ops

            while True:
                while error is None and free and ready is not None:
                    ops = send(free.pop())
                    ready = encoded(self._next_ops(ops[-1]["device_counter"],
                                                   creates_only=True))
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    lane, sent = in_flight.pop(future)
                    following = None
                    if error is None and ready is not None:
                        following = send(lane)
                        ready = None
                    else:
                        free.append(lane)
                    try:
                        response = self._decode(*future.result())
                        self._apply_push_only(response, sent, own)
                        self._count(stats, sent, response)
                    except BaseException as e:  # the others still land before it is raised
                        error = error or e
                    if following is not None and error is None:
                        ready = encoded(self._next_ops(following[-1]["device_counter"],
                                                       creates_only=True))
        for lane in lanes[1:]:
            lane.close()
        if error is not None:
            raise error

    def _apply_push_only(self, response: dict[str, Any], ops: list[dict[str, Any]] | None = None,
                         own: list[tuple[int, int]] | None = None) -> None:
        """Store a push-only response's results. With the `ops` that were sent, their
        entity and id need not be read back from the outbox.

        The cursor moves only over the device's own changes: a response's `own_seqs`
        (a, b] says seqs a+1 to b are all this push's ops, accepted as sent, so a cursor
        at a may go to b. Batches side by side can answer out of order; `own` gathers the
        ranges of one run, and the cursor goes as far as they join up from it (`own` is
        updated only once the results are committed with the cursor)."""
        waiting = list(own or [])
        if response.get("own_seqs"):
            waiting.append(tuple(response["own_seqs"]))
        self.db.execute("BEGIN")
        try:
            self._apply_results(response["results"], ops)
            cursor = start = self.cursor
            for after, through in sorted(waiting):
                if after == cursor:
                    cursor = through
            if cursor != start:
                self._set_meta("cursor", cursor)
            self._set_meta("clock_warning", int(bool(response.get("clock_warning"))))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if own is not None:
            own[:] = [r for r in waiting if r[0] > cursor]
        self.last_response = response

    def build_request(self, ops: list[dict[str, Any]], pull_limit: int | None = None
                      ) -> dict[str, Any]:
        """The request body for pushing `ops` from the current local state."""
        body = {"protocol": PROTOCOL_VERSION, "device_time": _now_iso(self.clock),
                "cursor": self.cursor, "reference_version": self._meta("reference_version", ""),
                "pull_limit": PULL_LIMIT if pull_limit is None else pull_limit, "push": ops}
        fresh = self.fresh_copy
        if fresh is not None:
            body["fresh_copy"] = fresh
        return body

    def exchange(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """One request: push `ops`, apply the response locally in one transaction."""
        response = self._post_json("/api/sync", self.build_request(ops), auth=True, gzip_body=True)
        self.apply_response(response)
        return response

    def apply_response(self, response: dict[str, Any]) -> None:
        """Store results, changes and the new cursor (and `fresh_copy`) atomically."""
        self.last_response = response
        begins_copy = self.cursor == 0  # this response is a fresh copy's first page
        self.db.execute("BEGIN")
        try:
            self._apply_results(response["results"])
            if response["reset"] or begins_copy:
                # Re-initialise: drop the local copy of server data, never the outbox, after
                # this response's results: an entity they acknowledge is server data now
                # and comes again in the fresh copy if this device may still see it. One
                # that left its villages in this very push (a record of a resident who had
                # moved) would otherwise stay for ever: a fresh copy carries no tombstones.
                # The same holds for a push on the request that begins a fresh copy.
                self.db.execute("DELETE FROM entities WHERE version > 0")
                self._set_meta("cursor", 0)
            self._apply_changes(response["changes"])
            if not response["reset"]:
                self._set_meta("cursor", response["cursor"])
            # Kept while a fresh copy has pages to come; a reset or the copy's last page
            # ends it (a push-only response never touches it).
            fresh = response.get("fresh_copy")
            self._set_meta("fresh_copy", "" if response["reset"] or fresh is None else fresh)
            if response.get("reference") is not None:
                self._set_meta("reference", json.dumps(response["reference"]))
                self._set_meta("reference_version", response["reference_version"])
            self._set_meta("clock_warning", int(bool(response.get("clock_warning"))))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _apply_results(self, results: list[dict[str, Any]],
                       sent: list[dict[str, Any]] | None = None) -> None:
        """Apply results in order. Runs of plain acknowledgements (no data back, not a
        voiding) go to SQLite as three executemany calls rather than four statements each;
        anything else goes through `_apply_result` in its place in the order."""
        rows = self._outbox_rows([r["op_id"] for r in results if r["status"] != "rejected"],
                                 sent)
        run: list[tuple[dict[str, Any], tuple[str, str, str]]] = []
        for result in results:
            row = rows.get(result["op_id"])
            if (result["status"] != "rejected" and row is not None and row[2] != "delete"
                    and "data" not in result):
                run.append((result, row))
                continue
            self._acknowledge(run)
            run = []
            self._apply_result(result)
        self._acknowledge(run)

    def _outbox_rows(self, op_ids: list[str], sent: list[dict[str, Any]] | None
                     ) -> dict[str, tuple[str, str, str]]:
        """(entity, id, action) of each of `op_ids` still in the outbox. With the ops a
        request `sent` (in outbox order), only which are still there is read back."""
        if sent:
            still = {o for o, in self.db.execute(
                "SELECT op_id FROM outbox WHERE counter BETWEEN ? AND ?",
                (sent[0]["device_counter"], sent[-1]["device_counter"]))}
            return {o["op_id"]: (o["entity"], o["id"], o["action"]) for o in sent
                    if o["op_id"] in still}
        rows: dict[str, tuple[str, str, str]] = {}
        for i in range(0, len(op_ids), 500):
            chunk = op_ids[i:i + 500]
            rows.update((o, (e, eid, a)) for o, e, eid, a in self.db.execute(
                "SELECT op_id, entity, id, action FROM outbox WHERE op_id IN "
                f"({','.join('?' * len(chunk))})", chunk))
        return rows

    def _acknowledge(self, run: list[tuple[dict[str, Any], tuple[str, str, str]]]) -> None:
        """Exactly what `_apply_result` does for each of `run`, in bulk."""
        if not run:
            return
        self.db.executemany("DELETE FROM outbox WHERE op_id = ?", [(r["op_id"],) for r, _ in run])
        self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                            [(r["op_id"], e, eid, r["status"], _store(r))
                             for r, (e, eid, _) in run])
        self.db.executemany("UPDATE entities SET version = MAX(version, ?) "
                            "WHERE entity = ? AND id = ?",
                            [(r["version"], e, eid) for r, (e, eid, _) in run])

    def _apply_result(self, result: dict[str, Any]) -> None:
        op_id, status = result["op_id"], result["status"]
        if status == "rejected":
            self.db.execute("UPDATE outbox SET status = 'rejected', errors = ? WHERE op_id = ?",
                            (json.dumps(result.get("errors", {}), ensure_ascii=False), op_id))
            return
        row = self.db.execute("SELECT entity, id, action FROM outbox WHERE op_id = ?",
                              (op_id,)).fetchone()
        if row is None:
            return  # acknowledged before (a replayed response)
        entity, entity_id, action = row
        self.db.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))
        self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                        (op_id, entity, entity_id, status, json.dumps(result)))
        if action == "delete":
            return
        if "data" in result:
            self.db.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, ?, ?)",
                            (entity, entity_id, result["version"], json.dumps(result["data"])))
        else:
            self.db.execute("UPDATE entities SET version = MAX(version, ?) "
                            "WHERE entity = ? AND id = ?", (result["version"], entity, entity_id))

    def _apply_changes(self, changes: list[dict[str, Any]]) -> None:
        """Apply changes in order; each run of upserts is one executemany."""
        run: list[tuple[str, str, int, str]] = []
        for change in changes:
            if change["op"] in ("delete", "evict"):
                self._upsert(run)
                run = []
                self._apply_change(change)
            else:
                run.append((change["entity"], change["id"], change["version"],
                            _store(change["data"])))
        self._upsert(run)

    def _upsert(self, rows: list[tuple[str, str, int, str]]) -> None:
        if rows:
            self.db.executemany(_UPSERT, rows)

    def _apply_change(self, change: dict[str, Any]) -> None:
        entity, entity_id = change["entity"], change["id"]
        if change["op"] in ("delete", "evict"):
            self.db.execute("DELETE FROM entities WHERE entity = ? AND id = ?", (entity, entity_id))
            return
        self.db.execute(_UPSERT, (entity, entity_id, change["version"], json.dumps(change["data"])))

    # -- transport --------------------------------------------------------------------------

    def _post_json(self, path: str, body: Any, auth: bool = False,
                   gzip_body: bool = False) -> Any:
        return self._decode(*self.transport.post(path, *self._encode(body, auth, gzip_body)))

    def _encode(self, body: Any, auth: bool = False, gzip_body: bool = False
                ) -> tuple[bytes, dict[str, str]]:
        raw = encode_request(body)
        # X-Requested-With: the server's CSRF rule for cookie-authenticated writes (ADR 0048).
        headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip",
                   "X-Requested-With": "cunyi"}
        if gzip_body:
            raw = gz.compress(raw, gz.FAST)  # ISA-L when installed: docs/adr/0041
            headers["Content-Encoding"] = "gzip"
        if auth:
            headers["Authorization"] = f"Bearer {self._meta('token')}"
        return raw, headers

    @staticmethod
    def _decode(status: int, response_headers: dict[str, str], data: bytes) -> Any:
        try:
            if response_headers.get("content-encoding") == "gzip":
                data = gz.decompress(data)
            parsed = _loads(data) if data else None
        except (ValueError, EOFError, OSError):  # cut short on the way (zlib/gzip/json)
            raise SyncError(f"unreadable response ({status})") from None
        if status < 400 and not isinstance(parsed, dict):
            # A proxy or a cut link answered with nothing usable: retry later, store nothing.
            raise SyncError(f"empty or unexpected response ({status})")
        if status == 401 and isinstance(parsed, dict) and parsed.get("code") == "device_revoked":
            raise DeviceRevoked(parsed.get("message", "device revoked"))
        if status >= 400:
            raise ServerRefused(status, parsed)
        return parsed
