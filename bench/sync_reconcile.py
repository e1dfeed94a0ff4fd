"""Reconciliation for bench/sync_bench.py: nothing lost, nothing doubled.

Every record our phones pushed is on the server exactly once (rows, receipts, change-log
rows), was acknowledged exactly once, and reached the pulling phone exactly once; `lost` and
`duplicated` count every departure from that.
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

from sync.client import SyncClient

CHUNK = 900  # ids per IN (...): under SQLite's default limit of bound parameters


def _chunks(values: list[str]) -> Iterator[tuple[list[str], str]]:
    for i in range(0, len(values), CHUNK):
        chunk = values[i:i + CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def _stored(server: sqlite3.Connection, hexes: list[str]) -> tuple[dict, dict]:
    """How often each record id is a row, and a change-log upsert, on the server."""
    rows: dict[str, int] = {}
    changes: dict[str, int] = {}
    for chunk, marks in _chunks(hexes):
        for (rid,) in server.execute(f"SELECT id FROM service_records WHERE id IN ({marks})",
                                     chunk):
            rows[rid] = rows.get(rid, 0) + 1
        for (rid,) in server.execute(
                f"SELECT entity_id FROM sync_changes WHERE entity = 'record' AND op = 'upsert' "
                f"AND entity_id IN ({marks})", chunk):
            changes[rid] = changes.get(rid, 0) + 1
    return rows, changes


def _receipts(server: sqlite3.Connection, op_ids: list[str]) -> int:
    """Ops among `op_ids` with a receipt: a sync_receipts row or (an accepted record op) its
    change row."""
    receipts = 0
    for chunk, marks in _chunks([uuid.UUID(o).hex for o in op_ids]):
        receipts += server.execute(
            f"SELECT count(*) FROM (SELECT op_id FROM sync_receipts WHERE op_id IN ({marks}) "
            f"UNION SELECT op_id FROM sync_changes WHERE op_id IN ({marks}))",
            chunk + chunk).fetchone()[0]
    return receipts


def reconcile(db_path: Path, pushers: list[SyncClient], pushed: list[str],
              pulls: list[tuple[str, set[str], list[tuple[str, str]]]]
              ) -> tuple[int, int, list[str]]:
    """Count every pushed record missing anywhere (lost) or present twice (duplicated).

    `pushed` is every record id the `pushers` created; `pulls` is, per pull, its label, the
    record ids it had to bring and the (entity, id) pairs it received.
    """
    problems: list[str] = []
    lost = 0
    duplicated = len(pushed) - len(set(pushed))  # the bench itself made a double id
    hexes = [uuid.UUID(i).hex for i in pushed]
    server = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows, changes = _stored(server, hexes)
    missing = [h for h in hexes if h not in rows]
    lost += len(missing)
    duplicated += sum(n - 1 for n in rows.values()) + sum(n - 1 for n in changes.values())
    if missing:
        problems.append(f"{len(missing)} pushed records not on the server")
    if len(changes) != len(rows):
        problems.append(f"{len(rows) - len(changes)} stored records missing from the sync log")
    # Acknowledged exactly once: the phones' outboxes are empty, one result per op, and
    # the server holds one receipt per op.
    acknowledged: list[str] = []
    op_ids: list[str] = []
    for phone in pushers:
        if phone.pending():
            lost += len(phone.pending())
            problems.append(f"{len(phone.pending())} ops still pending on a phone")
        for op_id, result in phone.results().items():
            if result["status"] in ("accepted", "duplicate"):
                acknowledged.append(result["id"])
                op_ids.append(op_id)
    lost += len(set(pushed) - set(acknowledged))
    duplicated += len(acknowledged) - len(set(acknowledged))
    receipts = _receipts(server, op_ids)
    server.close()
    if receipts != len(op_ids):
        problems.append(f"{receipts} receipts for {len(op_ids)} acknowledged ops")
        lost += max(0, len(op_ids) - receipts)
    # Pulled exactly once: each pull received every record pushed for it, each once.
    for label, expected, received in pulls:
        got = [i for e, i in received if e == "record"]
        missing_ids = expected - set(got)
        extra = len(got) - len(set(got))
        lost += len(missing_ids)
        duplicated += extra
        if missing_ids or extra:
            problems.append(f"{label}: {len(missing_ids)} missing, {extra} received twice")
    return lost, duplicated, problems
