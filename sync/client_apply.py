"""Storing what the server answered in the reference client's local store: each
response's results, changes and cursor in one local transaction (protocol 1,
docs/sync-protocol.md). Part of sync.client.
"""
from __future__ import annotations

import json
from typing import Any

from sync.client_store import LocalStore
from sync.wire import _store

_UPSERT = ("INSERT INTO entities VALUES (?, ?, ?, ?) ON CONFLICT (entity, id) DO UPDATE SET "
           "version = excluded.version, data = excluded.data WHERE excluded.version >= version")


class ResponseStore(LocalStore):
    """The local store, plus applying the server's responses to it."""

    last_response: dict[str, Any] | None = None

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
