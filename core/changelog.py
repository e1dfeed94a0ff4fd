"""Writing the sync log: the counter lock, seqs in commit order, superseding, payloads.

Every write to households, residents and records, from the REST API or from a push, goes
through `Writer`, so phones see every committed change exactly once, in commit order.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core.bulk import RowPlan, bulk_insert, insert_processed
from core.clock import now_utc
from core.jsontext import dumps  # the sync path's JSON writer, imported from here too
from core.models import SyncChange, SyncCounter


def change_row(seq: int, entity: str, entity_id: uuid.UUID, village_id: int, op: str,
               version: int, payload: str, committed_at: dt.datetime, *, status: str,
               op_id: uuid.UUID | None = None, device_id: uuid.UUID | None = None,
               device_counter: int | None = None, base_version: int | None = None,
               user_id: int | None = None) -> dict[str, Any]:
    """One `sync_changes` row, every column (for `Writer` and for `sync.prepare.stage`,
    which builds new records' rows before the lock and sets `seq` under it)."""
    return {"seq": seq, "entity": entity, "entity_id": entity_id, "village_id": village_id,
            "op": op, "version": version, "payload": payload, "superseded": False,
            "op_id": op_id, "device_id": device_id, "device_counter": device_counter,
            "base_version": base_version, "user_id": user_id, "status": status,
            "committed_at": committed_at}


class Writer:
    """Hands out seqs and appends change rows for one transaction.

    Creating a Writer takes the row lock on the counter (an UPDATE that changes nothing),
    which is held until the transaction ends: pushes and REST writes are applied one at a
    time, so a lower seq always commits before a higher one (docs/adr/0005-sync-cursor.md).
    Call `finish()` before committing.
    """

    def __init__(self, session: Session, now: dt.datetime | None = None):
        self.session = session
        queue_for_sqlite_writes(session)
        session.execute(update(SyncCounter).where(SyncCounter.id == 1)
                        .values(value=SyncCounter.value))
        self.last = session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1))
        self.rows: list[dict[str, Any]] = []
        self.ready: list[tuple[int, Any]] = []  # (seq, row made ahead by a bulk.RowPlan)
        self.now = now or now_utc()
        self.seq_of_op: dict[uuid.UUID, int] = {}
        self.logged: list[dict[str, Any]] = []  # every row appended: {"status"}

    def append(self, entity: str, entity_id: uuid.UUID, village_id: int, op: str,
               version: int, payload: dict | str, *, status: str = "server",
               new: bool = False, op_id: uuid.UUID | None = None,
               device_id: uuid.UUID | None = None, device_counter: int | None = None,
               base_version: int | None = None, user_id: int | None = None) -> int:
        """Queue one change row and return its seq. `new` skips superseding (nothing older)."""
        if not new:
            self._flush_rows()
            self.session.execute(
                update(SyncChange)
                .where(SyncChange.entity_id == entity_id, SyncChange.village_id == village_id,
                       SyncChange.superseded.is_(False))
                .values(superseded=True)
            )
        self.last += 1
        self.rows.append(change_row(
            self.last, entity, entity_id, village_id, op, version,
            payload if isinstance(payload, str) else dumps(payload), self.now, status=status,
            op_id=op_id, device_id=device_id, device_counter=device_counter,
            base_version=base_version, user_id=user_id))
        if op_id is not None:
            self.seq_of_op[op_id] = self.last
        self.logged.append({"status": status if op_id is not None else "server"})
        return self.last

    def append_ready(self, row: Any, plan: RowPlan, op_id: uuid.UUID, status: str) -> int:
        """Queue a new entity's change row made ahead of the lock by `plan` (every column
        but `seq`, which is set here) and return its seq. Nothing to supersede."""
        self.last += 1
        self.ready.append((self.last, plan.replace(row, "seq", self.last)))
        self.seq_of_op[op_id] = self.last
        self.logged.append({"status": status})
        return self.last

    def people_logged_since(self, seq: int) -> bool:
        """Has a change of a resident or household been logged after `seq`?"""
        if seq >= self.last:
            return False
        return self.session.execute(
            select(SyncChange.seq).where(SyncChange.seq > seq, SyncChange.entity != "record")
            .limit(1)).first() is not None

    def mark(self) -> int:
        """Insert queued rows and return the current seq, before a step that may fail."""
        self._flush_rows()
        return self.last

    def restore(self, mark: int) -> None:
        """Forget seqs handed out since `mark` (their rows were rolled back)."""
        self.rows = [r for r in self.rows if r["seq"] <= mark]
        self.ready = [(seq, r) for seq, r in self.ready if seq <= mark]
        self.logged = self.logged[:len(self.logged) - (self.last - mark)]
        self.last = mark

    def _flush_rows(self) -> None:
        if self.rows:
            bulk_insert(self.session, SyncChange.__table__, self.rows)
            self.rows = []
        if self.ready:
            insert_processed(self.session, SyncChange.__table__, [r for _, r in self.ready])
            self.ready = []

    def finish(self) -> None:
        """Insert the queued rows and move the counter; the caller commits."""
        self._flush_rows()
        self.session.execute(update(SyncCounter).where(SyncCounter.id == 1)
                             .values(value=self.last))


# -- SQLite: writers queue on a flock, not in SQLite's busy handler -------------------------
#
# On SQLite the counter lock is the database's write lock. A connection that finds it
# taken retries from SQLite's busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms between
# tries: two pushes arriving together would lose tens of milliseconds each hand-over. A
# writer first takes an exclusive flock on `<database>.writelock` (trying every half
# millisecond, without blocking, so a writer can never wait on it forever), released when
# its transaction ends: the next one goes within a millisecond of the commit. It only
# orders waiting: SQLite's own lock still guarantees one writer, and a writer that cannot
# get the flock within the busy timeout goes ahead without it (docs/adr/0037-push-pipeline.md).

_FLOCK_KEY = "sqlite_writelock_fd"
_FLOCK_TIMEOUT_S = 30.0


def queue_for_sqlite_writes(session: Session) -> None:
    """Take the SQLite write queue's flock for this session's transaction (no-op elsewhere,
    for in-memory databases, and when this transaction holds it already)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or _FLOCK_KEY in session.info:
        return
    database = bind.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    import fcntl
    import os
    import time

    fd = os.open(database + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + _FLOCK_TIMEOUT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return
            time.sleep(0.0005)
    session.info[_FLOCK_KEY] = fd


@event.listens_for(Session, "after_transaction_end")
def _release_sqlite_writes(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or _FLOCK_KEY not in session.info:
        return  # a savepoint ended, or nothing is held
    import fcntl
    import os

    fd = session.info.pop(_FLOCK_KEY)
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def history(session: Session, entity_id: uuid.UUID) -> list[SyncChange]:
    """Every version of an entity, oldest first (evictions left out)."""
    return list(session.scalars(
        select(SyncChange).where(SyncChange.entity_id == entity_id, SyncChange.op != "evict")
        .order_by(SyncChange.seq)
    ))


def snapshot(session: Session, entity_id: uuid.UUID, version: int) -> dict | None:
    """The entity as it was at `version`, from the log, or None if unknown."""
    payload = session.scalar(
        select(SyncChange.payload)
        .where(SyncChange.entity_id == entity_id, SyncChange.version == version,
               SyncChange.op == "upsert")
        .order_by(SyncChange.seq.desc()).limit(1)
    )
    return json.loads(payload) if payload is not None else None


def publish_resident(writer: Writer, resident: Any, old_village: int | None = None,
                     **meta: Any) -> int:
    """Log a resident's new state; on a move, evict it and its records from the old
    village's devices and send them all to the new village's devices. Returns the seq."""
    from core.serialize import resident_dict

    payload = resident_dict(resident)
    moved = old_village is not None and old_village != resident.village_id
    if moved:
        writer.append("resident", resident.id, old_village, "evict", resident.version,
                      {"id": str(resident.id)})
    seq = writer.append("resident", resident.id, resident.village_id, "upsert",
                        resident.version, payload, new=meta.pop("new", False), **meta)
    if moved:
        _rehome_records(writer, resident.id, old_village, resident.village_id)
    return seq


def _rehome_records(writer: Writer, resident_id: uuid.UUID, old: int, new: int) -> None:
    """A moved resident's history goes with them: evict in the old village, upsert in the new."""
    from sqlalchemy.orm import with_polymorphic

    from core.models import ServiceRecord
    from core.serialize import row_dict

    poly = with_polymorphic(ServiceRecord, "*")
    for record in writer.session.scalars(
        select(poly).where(poly.resident_id == resident_id, poly.deleted_at.is_(None))
    ):
        writer.append("record", record.id, old, "evict", record.version, {"id": str(record.id)})
        writer.append("record", record.id, new, "upsert", record.version, row_dict(record))


def publish_household(writer: Writer, household: Any, **meta: Any) -> int:
    """Log a household's new state."""
    from core.serialize import row_dict

    return writer.append("household", household.id, household.village_id, "upsert",
                         household.version, row_dict(household), **meta)


def backfill(session: Session) -> int:
    """Publish every household, resident and record that is not in the log yet.

    Data loaded in bulk (the demo township, an import from another system) bypasses the
    write paths; this puts it in the log so devices receive it. Returns rows appended.
    """
    from sqlalchemy.orm import selectinload

    from core.models import RECORD_CLASSES, Household, Resident, ServiceRecord
    from core.serialize import resident_dict, row_dict

    logged = set(session.scalars(select(SyncChange.entity_id).distinct()))
    writer = Writer(session)
    count = 0
    for household in session.scalars(select(Household).where(Household.deleted_at.is_(None))):
        if household.id not in logged:
            writer.append("household", household.id, household.village_id, "upsert",
                          household.version, row_dict(household), new=True)
            count += 1
    residents = session.scalars(select(Resident).where(Resident.deleted_at.is_(None))
                                .options(selectinload(Resident.conditions)))
    village_of: dict[uuid.UUID, int] = {}
    for resident in residents:
        village_of[resident.id] = resident.village_id
        if resident.id not in logged:
            writer.append("resident", resident.id, resident.village_id, "upsert",
                          resident.version, resident_dict(resident), new=True)
            count += 1
    envelope = ServiceRecord.__table__
    for cls in RECORD_CLASSES.values():
        detail = cls.__table__
        cols = [envelope.c[c.name] for c in envelope.columns] + \
               [c for c in detail.columns if c.name != "id"]
        stmt = select(*cols).join(detail, detail.c.id == envelope.c.id) \
            .where(envelope.c.deleted_at.is_(None)).order_by(envelope.c.service_date)
        for row in session.execute(stmt).mappings():
            if row["id"] in logged:
                continue
            village = village_of.get(row["resident_id"], row["village_id"])
            writer.append("record", row["id"], village, "upsert", row["version"], dict(row),
                          new=True)
            count += 1
    writer.finish()
    return count
