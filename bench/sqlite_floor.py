"""What SQLite itself costs per pushed record, and what schema changes would save.

    .venv/bin/python -m bench.sqlite_floor

A push's work under the counter lock is mostly SQLite's: three inserts per new record
(the envelope, its kind's table, the sync log) and the commit (docs/benchmarks.md, "Where
a pushed record's CPU goes"). This pushes 10,000 follow-ups in-process (as
bench/push_profile.py does) while keeping the driver's rows of one 1,000-record batch.
The rows are then replayed into copies of the database, with fresh ids each batch: as
the schema is, and with the changes a migration could make. It prints the thread CPU
per record of the three inserts and the commit for each variant: the median of 5
batches in a round, then of 5 rounds with the variants interleaved. Nothing of ours runs
inside the timing but the loop that hands the rows to SQLite.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from core.ids import time_ordered_uuid

ROOT = Path(__file__).resolve().parent.parent

TABLES = ("service_records", "hypertension_followups", "sync_changes")
UUID_COLUMNS = {"service_records": ("id", "resident_id", "household_id", "device_id"),
                "hypertension_followups": ("id",),
                "sync_changes": ("entity_id", "op_id", "device_id")}
SECONDARY = {"service_records": ("ix_service_records_doctor_date",
                                 "ix_service_records_resident_date",
                                 "ix_service_records_village_kind_date"),
             "sync_changes": ("ix_sync_changes_entity", "ix_sync_changes_village_seq",
                              "ix_sync_changes_op_id")}
BATCHES = 5
ROUNDS = 5


def capture(workdir: Path) -> tuple[Path, dict[str, tuple[str, list]]]:
    """Push 10,000 records in-process; return the database file and, per table, the
    INSERT and the rows of its first 1,000-record executemany."""
    import datetime as dt

    from flask_migrate import upgrade
    from sqlalchemy.engine import default

    from bench import push_profile, sync_data
    from core.changelog import backfill
    from server import create_app
    from server.demo.generate import generate_demo
    from server.extensions import db
    from sync.client import SyncClient

    kept: dict[str, tuple[str, list]] = {}
    original = default.DefaultDialect.do_executemany

    def keep(self, cursor, statement, parameters, context=None):
        table = re.match(r"INSERT INTO (\w+)", statement)
        if table and table.group(1) in TABLES and table.group(1) not in kept \
                and len(parameters) >= 1000:
            kept[table.group(1)] = (statement, [tuple(p) for p in parameters])
        return original(self, cursor, statement, parameters, context)

    default.DefaultDialect.do_executemany = keep
    path = workdir / "pushed.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        generate_demo(db.session, seed=app.config["DEMO_SEED"])
        backfill(db.session)
        db.session.commit()
        residents = sync_data._residents_of_doctor(db.session, "doctor01")
        db.session.remove()
    phone = SyncClient(str(workdir / "phone.sqlite"), push_profile.TimedTransport(app, None))
    phone.enrol("doctor01", "demo1234", label="floor")
    phone.sync()
    for i in range(10_000):
        phone.create("record", sync_data.followup(i, residents[i % len(residents)],
                                                  dt.date(2026, 11, 23)))
    phone.sync()
    default.DefaultDialect.do_executemany = original
    with app.app_context():
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    missing = set(TABLES) - set(kept)
    if missing:
        raise SystemExit(f"no 1,000-row insert seen for {sorted(missing)}")
    n = min(len(rows) for _, rows in kept.values())  # one record's three rows each
    return path, {t: (statement, rows[:n]) for t, (statement, rows) in kept.items()}


def rebuild(conn: sqlite3.Connection, name: str, change) -> None:
    """Rebuild table `name` with its CREATE TABLE text passed through `change`, indexes
    kept (SQLite's documented 12-step table rebuild)."""
    table, = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    indexes = [sql for sql, in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type = 'index' "
        "AND sql IS NOT NULL", (name,))]
    keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(change(table).replace(f"CREATE TABLE {name}", "CREATE TABLE rebuilt"))
    conn.execute(f"INSERT INTO rebuilt SELECT * FROM {name}")
    conn.execute(f"DROP TABLE {name}")
    conn.execute(f"ALTER TABLE rebuilt RENAME TO {name}")
    for sql in indexes:
        conn.execute(sql)
    conn.execute(f"PRAGMA foreign_keys={keys}")


def rowid_seq(conn: sqlite3.Connection) -> None:
    """sync_changes with `seq` as its rowid (INTEGER PRIMARY KEY)."""
    rebuild(conn, "sync_changes", lambda sql: sql.replace("seq BIGINT NOT NULL",
                                                          "seq INTEGER NOT NULL"))


def without_rowid(conn: sqlite3.Connection) -> None:
    """The two record tables clustered on their id (WITHOUT ROWID): one B-tree each
    instead of the rowid table plus the primary key's index."""
    for name in TABLES[:2]:
        rebuild(conn, name, lambda sql: sql.rstrip().rstrip(";") + " WITHOUT ROWID")


def columns(statement: str) -> list[str]:
    return [c.strip() for c in re.search(r"\(([^)]*)\) VALUES", statement).group(1).split(",")]


def replay(source: Path, workdir: Path, kept: dict, *, foreign_keys: bool = True,
           blobs: bool = False, drop: tuple[str, ...] = (), payload: bool = True,
           cache_mib: int = 0, ordered: bool = False, seq_rowid: bool = False,
           clustered: bool = False) -> float:
    """µs of thread CPU per record for the three inserts and the commit (median of
    BATCHES batches) on a copy of `source` changed as asked."""
    target = workdir / "variant.sqlite"
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "mmap_size=1073741824",
                   f"foreign_keys={'ON' if foreign_keys else 'OFF'}",
                   f"cache_size={-1024 * cache_mib if cache_mib else -2000}"):
        conn.execute(f"PRAGMA {pragma}")
    if seq_rowid:
        rowid_seq(conn)
    if clustered:
        without_rowid(conn)
    for index in drop:
        conn.execute(f"DROP INDEX {index}")
    seq = conn.execute("SELECT max(seq) FROM sync_changes").fetchone()[0]
    cols = {t: columns(kept[t][0]) for t in TABLES}
    spent = []
    for _ in range(BATCHES):
        new_id = time_ordered_uuid if ordered else uuid.uuid4
        ids = [new_id() for _ in kept["service_records"][1]]
        rows = {}
        for table in TABLES:
            at = {c: i for i, c in enumerate(cols[table])}
            out = []
            for n, row in enumerate(kept[table][1]):
                row = list(row)
                if table == "sync_changes":
                    seq += 1
                    row[at["seq"]] = seq
                    row[at["entity_id"]] = ids[n].hex
                    row[at["op_id"]] = new_id().hex
                    if not payload:
                        row[at["payload"]] = ""
                else:
                    row[at["id"]] = ids[n].hex
                if blobs:
                    for c in UUID_COLUMNS[table]:
                        if row[at[c]] is not None:
                            row[at[c]] = bytes.fromhex(row[at[c]])
                out.append(tuple(row))
            rows[table] = out
        started = time.thread_time()
        conn.execute("BEGIN")
        for table in TABLES:
            conn.executemany(kept[table][0], rows[table])
        conn.execute("COMMIT")
        spent.append((time.thread_time() - started) / len(ids))
    conn.close()
    os.remove(target)
    return 1e6 * statistics.median(spent)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source, kept = capture(workdir)
        all_secondary = tuple(i for t in SECONDARY.values() for i in t)
        variants = [
            ("as the schema is", {}),
            ("foreign keys off", {"foreign_keys": False}),
            ("foreign keys off, UUIDs as 16-byte blobs", {"foreign_keys": False,
                                                         "blobs": True}),
            ("no secondary index on service_records", {"drop": SECONDARY["service_records"]}),
            ("no secondary index on sync_changes", {"drop": SECONDARY["sync_changes"]}),
            ("no secondary index on either", {"drop": all_secondary}),
            ("sync_changes without its payload", {"payload": False}),
            ("page cache 64 MiB", {"cache_mib": 64}),
            ("seq as the rowid", {"seq_rowid": True}),
            ("time-ordered ids (UUIDv7)", {"ordered": True}),
            ("time-ordered ids and page cache 64 MiB", {"ordered": True, "cache_mib": 64}),
            ("time-ordered ids, seq as the rowid", {"ordered": True, "seq_rowid": True}),
            ("time-ordered ids, without ix_service_records_doctor_date", {
                "ordered": True, "drop": ("ix_service_records_doctor_date",)}),
            ("time-ordered ids, without ix_sync_changes_op_id", {
                "ordered": True, "drop": ("ix_sync_changes_op_id",)}),
            ("time-ordered ids, without those two, seq as the rowid", {
                "ordered": True, "seq_rowid": True,
                "drop": ("ix_service_records_doctor_date", "ix_sync_changes_op_id")}),
            ("time-ordered ids, record tables WITHOUT ROWID", {"ordered": True,
                                                               "clustered": True}),
            ("time-ordered ids, WITHOUT ROWID, seq as the rowid", {
                "ordered": True, "clustered": True, "seq_rowid": True}),
            ("time-ordered ids, seq as the rowid, foreign keys off, 16-byte UUIDs", {
                "ordered": True, "seq_rowid": True, "foreign_keys": False, "blobs": True}),
            ("all of the above", {"cache_mib": 64, "ordered": True, "seq_rowid": True,
                                  "foreign_keys": False, "blobs": True, "drop": all_secondary,
                                  "payload": False}),
        ]
        runs: dict[str, list[float]] = {label: [] for label, _ in variants}
        for _ in range(ROUNDS):  # variants interleaved, so each sees the same machine
            for label, options in variants:
                runs[label].append(replay(source, workdir, kept, **options))
        base = statistics.median(runs[variants[0][0]])
        print("SQLite's own work per record (three inserts and the commit), µs of CPU, "
              f"median of {ROUNDS} rounds:")
        for label, _ in variants:
            us = statistics.median(runs[label])
            print(f"  {us:6.1f} µs  {us / base:4.0%}  {label}  "
                  f"({', '.join(f'{r:.1f}' for r in runs[label])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
