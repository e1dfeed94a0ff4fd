"""Checking and preparing a push before the counter lock (docs/adr/0037-push-pipeline.md).

`preflight` validates every op without the database; `stage` prepares each valid new
record against a plain read. Both are pure optimisations of `sync.push`: nothing here
decides a result, and `sync.push._Push` checks again under the lock what `stage` assumed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bulk import RowPlan
from core.changelog import change_row, dumps
from core.models import RECORD_CLASSES, ServiceRecord, SyncChange, SyncCounter, User
from core.serialize import jsonable
from server.problems import ApiError
from server.schemas.fast import loader
from server.schemas.records import load_record
from server.services.records import Batch, named_ids, prepare_record
from sync.entry_times import EntryClock
from sync.protocol import OpEnvelope

SRT = ServiceRecord.__table__
_load_envelope = loader(OpEnvelope())


class Checked:
    """One op as `preflight` found it: its envelope (or why it has none), for a new record
    its validated body (or the ValidationError that refused it), and what `stage` made
    of it ahead of the lock."""

    __slots__ = ("op", "error", "body", "body_error", "staged")

    def __init__(self, op=None, error=None, body=None, body_error=None):
        self.op, self.error, self.body, self.body_error = op, error, body, body_error
        self.staged: Staged | None = None


class Staged:
    """A new record prepared before the counter lock: its row, its three table rows with
    driver values (`bulk.RowPlan`; the change row lacks only its seq, which `change_plan`
    sets under the lock), and the subject as it was read then, to be compared under the
    lock."""

    __slots__ = ("row", "resident", "household", "envelope", "detail", "change", "change_plan",
                 "entry")

    def __init__(self, row, resident, household, envelope, detail, change, change_plan,
                 entry=None):
        self.row, self.resident, self.household = row, resident, household
        self.envelope, self.detail, self.change = envelope, detail, change
        self.change_plan, self.entry = change_plan, entry


class Seen:
    """What `stage` read: the scope, the records' residents and households, and the sync
    counter read before them. Every write of a resident or household is logged with a
    seq (core.changelog.Writer), so if none was logged after `counter`, the subjects are
    still exactly as read, and the push need not read them again under the lock."""

    __slots__ = ("villages", "counter", "residents", "households")

    def __init__(self, villages, counter, residents, households):
        self.villages, self.counter = villages, counter
        self.residents, self.households = residents, households


def stage(session: Session, user: User, device_id: uuid.UUID | None, checked: list[Checked],
          now: dt.datetime, clock: EntryClock | None = None) -> Seen | None:
    """Prepare the push's valid new records without the lock: check scope and subject
    against a plain read, build the rows, the change payload and (with the request's
    `clock`) the entry time, apply the bind processors. Returns what was read (`Seen`), or None when nothing was staged.

    Under the lock, `_Push` reads the subjects again (unless no resident or household
    change was logged since: `Seen`) and uses a staged record only if its resident or
    household (village, birth date) and the scope are what they were here; anything
    else, and every record this step declined (an unknown resident, a resident who has
    moved, a bad date), goes the ordinary way. Staging is an optimisation: it never
    decides a result by itself."""
    todo = [c for c in checked if c.body is not None]
    if not todo:
        return None
    # Read before the subjects: a change committed after this has a higher seq.
    counter = session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1))
    batch = Batch(session, user)
    residents: set[uuid.UUID] = set()
    households: set[uuid.UUID] = set()
    for c in todo:
        named = named_ids(c.body)
        residents |= named[0]
        households |= named[1]
    batch.preload(residents, households)
    dialect = session.get_bind().dialect
    # What every row of this push shares is converted once, in the plans.
    envelope = RowPlan(dialect, SRT, {"device_id": device_id, "created_at": now,
                                      "updated_at": now})
    change_plan = RowPlan(dialect, SyncChange.__table__, {
        "device_id": device_id, "committed_at": now, "user_id": user.id, "entity": "record",
        "op": "upsert", "version": 1, "superseded": False, "status": "accepted"})
    details: dict[str, RowPlan] = {}
    for c in todo:
        try:
            row = prepare_record(batch, dict(c.body), device_id, now)
        except (ApiError, ValidationError):
            continue
        here = batch.current_village(row)
        if here != row["village_id"]:
            continue  # a resident who has moved: evictions too, the ordinary way
        op = c.op
        change = change_row(0, "record", row["id"], here, "upsert", 1, dumps(row), now,
                            status="accepted", op_id=op["op_id"], device_id=device_id,
                            device_counter=op["device_counter"],
                            base_version=op["base_version"], user_id=user.id)
        detail = details.get(row["kind"])
        if detail is None:
            detail = details[row["kind"]] = RowPlan(dialect,
                                                    RECORD_CLASSES[row["kind"]].__table__)
        c.staged = Staged(
            row, batch.residents.get(row["resident_id"]) if row.get("resident_id") else None,
            batch.households.get(row["household_id"]) if row.get("household_id") else None,
            envelope.values(row), detail.values(row), change_plan.values(change), change_plan,
            clock.values(row["id"], c.body) if clock is not None else None)
    return Seen(frozenset(batch.villages), counter, batch.residents, batch.households)


def preflight(raw_ops: list[Any]) -> list[Checked]:
    """Validate every op's envelope, and every new record's body, without the database."""
    out = []
    for raw in raw_ops:
        try:
            op = _load_envelope(raw)
        except ValidationError as e:
            out.append(Checked(error=e))
            continue
        checked = Checked(op=op)
        if op["entity"] == "record" and op["action"] == "create":
            try:
                checked.body = record_body(op, raw)
            except ValidationError as e:
                checked.body_error = e
        out.append(checked)
    return out


def record_body(op: dict, raw: dict | None = None, stored: dict | None = None) -> dict[str, Any]:
    """A record op's body, validated by its kind's schema; the op's device time becomes
    `device_created_at` when the body has none. The record's id is the op's: `data` may
    leave it out, and an `id` in it that is not the op's (in any spelling) is refused
    (`id_mismatch`) rather than ignored. With the `raw` op the envelope was loaded from,
    its id and device time go in as sent (the envelope accepted them, and the body's
    fields of the same types read them the same way) rather than written out again.
    `stored`: fields a correction may leave out and keeps as stored (a village's own
    record keeps its `village_id`)."""
    data = op["data"]
    if data.get("id") is not None and not _same_id(data["id"], op["id"]):
        raise ValidationError({"id": ["id_mismatch|data 中的 id 与操作的 id 不一致"]})
    body = {**data, "id": raw["id"] if raw is not None else str(op["id"])}
    if stored:
        for key, value in stored.items():
            if body.get(key) is None:
                body[key] = value
    if op.get("device_time") and "device_created_at" not in body:
        body["device_created_at"] = raw["device_time"] if raw is not None else \
            jsonable(op["device_time"])
    return load_record(body)


def _same_id(sent: Any, op_id: uuid.UUID) -> bool:
    """Does `data.id` name the op's id (any spelling of the UUID)?"""
    try:
        return uuid.UUID(sent) == op_id if isinstance(sent, str) else False
    except ValueError:
        return False
