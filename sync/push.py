"""Applying a push: every op gets its own result, one bad op never sinks the others.

Every op is first validated, and every new record prepared, without the lock
(`sync.prepare`); then the whole push is one transaction holding the sync counter's lock
(core.changelog.Writer). New records, the bulk of a push, are inserted in bulk at the end;
edits of residents and households run one at a time inside a savepoint each.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from core.bulk import insert_processed, rows_in
from core.changelog import Writer, dumps
from core.clock import now_utc
from core.models import (
    RECORD_CLASSES,
    Device,
    Household,
    RecordEntry,
    Resident,
    ServiceRecord,
    SyncReceipt,
    User,
)
from core.serialize import jsonable, resident_dict, row_dict
from server.problems import ApiError, field_errors
from server.schemas.people import HouseholdSchema, ResidentSchema
from server.services import people, scope
from server.services.records import (
    RESIDENT_LISTS,
    Batch,
    insert_records,
    named_ids,
    prepare_record,
    publish_new_record,
)
from sync import merge
from sync.entry_times import EntryClock
from sync.prepare import Checked, Seen, Staged, preflight, stage
from sync.receipts import Receipts, server_fields
from sync.record_changes import RecordChange, load_record_row

SRT = ServiceRecord.__table__


class Rejected(Exception):
    """An op refused with field errors; nothing of it is stored."""

    def __init__(self, errors: dict):
        super().__init__("rejected")
        self.errors = errors


def _reject(field: str, code: str, message: str) -> Rejected:
    return Rejected({field: [{"code": code, "message": message}]})


def apply_push(session: Session, user: User, device: Device | None, raw_ops: list[dict],
               skew_s: int | None = None, received_at: dt.datetime | None = None,
               entry_times: bool = True) -> PushOutcome:
    """Apply `raw_ops` in order and return one result per op (a `PushOutcome`). The
    caller commits.

    The ops are checked first, before the counter lock is taken (`preflight`: pure
    validation, no database), so two pushes arriving together validate side by side and
    only the writing is one at a time. Each record the push creates gets its entry time
    (sync.entry_times) from the request's clock skew `skew_s` and arrival `received_at`,
    unless `entry_times` is off."""
    now = now_utc()
    clock = EntryClock(skew_s, received_at or now, session.get_bind().dialect) \
        if entry_times else None
    checked = preflight(raw_ops)
    seen = stage(session, user, device.id if device else None, checked, now, clock)
    push = _Push(session, user, device, now)
    push.clock = clock
    push.staged_in = seen.villages if seen is not None else None
    push.prefetch(checked, seen)
    results = PushOutcome(push.apply(raw, pre) for raw, pre in zip(raw_ops, checked,
                                                                   strict=True))
    push.finish()
    results.counter_at_lock = push.counter_at_lock
    results.last_seq = push.writer.last
    results.only_own_accepted = all(r["status"] == "accepted" for r in push.writer.logged)
    return results


class PushOutcome(list):
    """The per-op results, plus what the pull that follows may skip: when the device was
    up to date at the lock and every change logged was its own accepted op, there is
    nothing after its cursor that it does not already hold."""

    counter_at_lock: int = 0
    last_seq: int = 0
    only_own_accepted: bool = False


class _Push:
    """The state of one push: its writer, caches, and new records waiting to be inserted."""

    def __init__(self, session: Session, user: User, device: Device | None,
                 now: dt.datetime | None = None):
        self.session, self.user, self.device = session, user, device
        self.device_id = device.id if device else None
        self.writer = Writer(session, now)
        self.staged_in: frozenset[int] | None = None  # the scope `stage` saw
        self.ready: list[Staged] = []  # staged records waiting to be inserted
        self.batch = Batch(session, user)
        self.pending: list[dict[str, Any]] = []  # new record rows, inserted in bulk
        self.pending_ids: dict[uuid.UUID, dict[str, Any]] = {}
        self.receipts: list[dict[str, Any]] = []
        self.clock: EntryClock | None = None  # entry times of new records (apply_push)
        self.entries: list[Any] = []  # their rows, driver values, inserted with the records
        self.done: dict[uuid.UUID, dict[str, Any]] = {}  # op_id -> result, this push
        self.earlier = Receipts(self.device_id, user.id)  # answers of earlier pushes
        self.counter_at_lock = self.writer.last
        # Records on the server (or inserted by this push) -> (village_id, doctor_id),
        # what deciding whether a create of the same id may see them needs.
        self.existing_records: dict[uuid.UUID, tuple[int, int]] = {}

    def prefetch(self, checked: list[Checked], seen: Seen | None = None) -> None:
        """Look up, in a few queries, what every op will ask about: earlier receipts,
        records that already exist, and the residents and households records point to
        (those `stage` read are taken as read when no resident or household has been
        logged since, and the scope is the same)."""
        op_ids, record_ids, residents, households = [], [], set(), set()
        for c in checked:
            if c.op is None:
                continue
            op_ids.append(c.op["op_id"])
            if c.op["entity"] == "record":
                record_ids.append(c.op["id"])
                data = c.body if c.body is not None else c.op["data"]
                named = named_ids(data if isinstance(data, dict) else {})
                residents |= named[0]
                households |= named[1]
        self.earlier.load(self.session, op_ids)
        for rid, village, doctor in rows_in(
                self.session, "SELECT id, village_id, doctor_id FROM service_records WHERE id",
                ServiceRecord.id, record_ids):
            self.existing_records[_uuid(rid)] = (village, doctor)
        if seen is not None and seen.villages == self.batch.villages and \
                not self.writer.people_logged_since(seen.counter):
            self.batch.residents.update(seen.residents)
            self.batch.households.update(seen.households)
        self.batch.preload(residents, households)  # what is not known yet

    def apply(self, raw: Any, checked: Checked) -> dict[str, Any]:
        """One op → one result (accepted, duplicate, merged, conflict or rejected)."""
        if checked.error is not None:
            # Not an op (or not an object at all): its ids are echoed as sent where they are
            # text, made encodable; its place in `results` is its place in the push.
            sent = raw if isinstance(raw, dict) else {}
            return {"op_id": _echo(sent.get("op_id")), "id": _echo(sent.get("id")),
                    "status": "rejected", "errors": field_errors(checked.error.messages)}
        op = checked.op
        if op["op_id"] in self.done:
            return self.done[op["op_id"]]
        earlier, refused = self.earlier.answer(op)
        if earlier is not None:
            # Another device's op_id: refused, and no receipt is kept for the refusal, so
            # the op_id stays the first sender's (sync.receipts).
            if refused:
                self.done[op["op_id"]] = earlier
            return earlier
        try:
            result = self._dispatch(op, checked)
        except Rejected as e:
            result = {"status": "rejected", "errors": e.errors}
        except ValidationError as e:
            result = {"status": "rejected", "errors": field_errors(e.messages)}
        except ApiError as e:
            result = {"status": "rejected", "errors": e.errors or {
                "_op": [{"code": e.code, "message": e.message}]}}
        result = {"op_id": str(op["op_id"]), "id": str(op["id"]), **result}
        self.done[op["op_id"]] = result
        if op["entity"] != "record" or result["status"] != "accepted":
            # An accepted record op's change row (op_id, version, seq) is its receipt.
            self.receipts.append({"op_id": op["op_id"], "device_id": self.device_id,
                                  "status": result["status"], "result": dumps(result),
                                  "received_at": self.writer.now})
        return result

    def _dispatch(self, op: dict, checked: Checked) -> dict[str, Any]:
        if op["entity"] == "record" and op["action"] == "create":
            if checked.body_error is not None:
                raise checked.body_error
            return self._create_record(op, checked.body, checked.staged)
        # Everything else may read what earlier ops wrote: insert pending records first,
        # and run the op in a savepoint so a failure leaves no trace.
        self._insert_pending()
        mark = self.writer.mark()
        try:
            with self.session.begin_nested():
                if op["entity"] == "record":
                    return self._change_record(op)
                return self._mutable(op)
        except Exception:
            self.writer.restore(mark)
            self.batch.residents.clear()
            raise

    def _meta(self, op: dict, status: str) -> dict[str, Any]:
        return {"op_id": op["op_id"], "device_id": self.device_id,
                "device_counter": op["device_counter"], "base_version": op["base_version"],
                "status": status}

    # -- records: append-only events ------------------------------------------------

    def _create_record(self, op: dict, data: dict[str, Any], staged: Staged | None
                       ) -> dict[str, Any]:
        existing = self.pending_ids.get(op["id"]) or self._current_record_payload(op["id"])
        if existing is not None:  # in scope (else _current_record_payload refused it)
            if _same(data, existing):
                return {"status": "duplicate", "version": existing["version"]}
            raise _reject("id", "id_taken", "该记录编号已被另一条内容不同的记录使用")
        if staged is not None and self._still_as_staged(staged):
            self.ready.append(staged)
            self.pending_ids[staged.row["id"]] = staged.row
            if staged.entry is not None:
                self.entries.append(staged.entry)
            seq = self.writer.append_ready(staged.change, staged.change_plan, op["op_id"],
                                           "accepted")
            return {"status": "accepted", "version": 1, "seq": seq,
                    "server_fields": server_fields(staged.row)}
        row = prepare_record(self.batch, data, self.device_id, self.writer.now)
        self.pending.append(row)
        self.pending_ids[row["id"]] = row
        if self.clock is not None:
            self.entries.append(self.clock.values(row["id"], data))
        seq = publish_new_record(self.writer, self.batch, row, user_id=self.user.id,
                                 **self._meta(op, "accepted"))
        return {"status": "accepted", "version": 1, "seq": seq, "server_fields": server_fields(row)}

    def _still_as_staged(self, staged: Staged) -> bool:
        """Are the scope and the record's subject, read again under the lock, what
        `stage` prepared the record against?"""
        if self.staged_in != self.batch.villages:
            return False
        row = staged.row
        if row.get("resident_id") and \
                self.batch.residents.get(row["resident_id"]) != staged.resident:
            return False
        if row.get("household_id") and \
                self.batch.households.get(row["household_id"]) != staged.household:
            return False
        # The residents a record lists must still be in scope (they were, at `stage`).
        return all(_in(self.batch.residents.get(_uuid(rid)), self.batch.villages)
                   for name in RESIDENT_LISTS for rid in row.get(name) or ())

    def _current_record_payload(self, record_id: uuid.UUID) -> dict[str, Any] | None:
        """The stored record a create re-uses the id of, if any. One the caller may not
        see is refused as not theirs before its content is compared with anything."""
        found = self.existing_records.get(record_id)
        if found is None:
            return None
        village, doctor = found
        if village not in self.batch.villages and doctor != self.user.id:
            raise scope.not_yours()
        return row_dict(load_record_row(self.session, record_id))

    def _change_record(self, op: dict) -> dict[str, Any]:
        """A correction or a voiding, by the record's author only, checked against the
        version it was made on (sync.record_changes)."""
        meta = self._meta(op, "")
        del meta["status"]  # the change row's status is the result's, decided there
        return RecordChange(self.session, self.batch, self.writer, self.user.id,
                            self.device_id, meta).apply(op)

    # -- residents and households: mutable, merged field by field ------------------

    def _mutable(self, op: dict) -> dict[str, Any]:
        kind = op["entity"]
        model, schema = (Resident, ResidentSchema) if kind == "resident" else \
            (Household, HouseholdSchema)
        current = self.session.get(model, op["id"])
        # Scope before anything else: what follows would answer with the entity's data
        # (duplicate), store a conflict, or tell its version (unknown_base).
        if current is not None and current.village_id not in self.batch.villages:
            raise scope.not_yours()
        if op["action"] == "create" and current is None:
            data = schema().load({**op["data"], "id": str(op["id"])})
            create = people.create_resident if kind == "resident" else people.create_household
            entity = create(self.session, self.user, data, self.writer,
                            **self._meta(op, "accepted"))
            self.batch.forget(entity.id)
            return self._entity_result(kind, entity, "accepted", op)
        if current is None:
            raise scope.not_yours()  # the same answer as for another village's id
        if current.deleted_at is not None:
            raise _reject("id", "unknown_entity", "档案不存在")
        # A create for an id that exists (a reinstalled phone re-sending) is an update of
        # version 1; identical content is a duplicate.
        base_version = op["base_version"] or 1
        changes = schema().load(op["data"], partial=True)
        snapshot_now = self._entity_dict(kind, current)
        if op["action"] == "create" and merge.same_values(changes, snapshot_now):
            return {"status": "duplicate", "version": current.version,
                    "data": snapshot_now}
        plan = merge.plan(self.session, kind, current, snapshot_now, changes, base_version,
                          self.device_id)
        status = "conflict" if plan.conflicts else (
            "merged" if base_version != current.version else "accepted")
        if plan.apply:
            whole = {k: v for k, v in snapshot_now.items() if k in schema().fields and
                     v is not None and k not in ("conditions", "id")}
            whole.update({k: jsonable(v) for k, v in plan.apply.items() if k != "conditions"})
            schema().load(whole)  # the merged record must still be valid as a whole
        if not plan.apply and not plan.conflicts:
            return {"status": "duplicate", "version": current.version, "data": snapshot_now}
        if plan.apply:
            entity = self._write_mutable(kind, current, plan.apply, op, status)
            seq = self.writer.seq_of_op[op["op_id"]]
        else:  # only conflicts: the server's values all stand, no new version
            entity, seq = current, None
        merge.record_conflicts(self.session, kind, entity, plan.conflicts, op, seq,
                               self.device_id, self.user.id, self.writer.now)
        result = self._entity_result(kind, entity, status, op)
        if plan.conflicts:
            result["conflicts"] = [
                {"field": c.field, "kept": jsonable(c.kept), "yours": jsonable(c.lost)}
                for c in plan.conflicts]
        return result

    def _write_mutable(self, kind: str, current: Any, apply: dict, op: dict, status: str):
        meta = self._meta(op, status)
        if kind == "resident":
            entity = people.update_resident(self.session, self.user, current.id, dict(apply),
                                            current.version, self.writer, **meta)
            self.batch.forget(entity.id)
            return entity
        return people.update_household(self.session, self.user, current.id, dict(apply),
                                       self.writer, **meta)

    def _entity_dict(self, kind: str, entity: Any) -> dict[str, Any]:
        return resident_dict(entity) if kind == "resident" else row_dict(entity)

    def _entity_result(self, kind: str, entity: Any, status: str, op: dict) -> dict[str, Any]:
        return {"status": status, "version": entity.version,
                "seq": self.writer.seq_of_op.get(op["op_id"]),
                "data": self._entity_dict(kind, entity)}

    def _insert_pending(self) -> None:
        if self.pending:
            insert_records(self.session, self.pending)
            self.pending = []
        if self.ready:
            insert_processed(self.session, SRT, [s.envelope for s in self.ready])
            by_kind: dict[str, list[dict[str, Any]]] = {}
            for s in self.ready:
                by_kind.setdefault(s.row["kind"], []).append(s.detail)
            for kind, rows in by_kind.items():
                insert_processed(self.session, RECORD_CLASSES[kind].__table__, rows)
            self.ready = []
        if self.entries:  # after the records they refer to
            insert_processed(self.session, RecordEntry.__table__, self.entries)
            self.entries = []
        # Inserted now: a later create of one of these ids finds it as on the server.
        for rid, row in self.pending_ids.items():
            self.existing_records[rid] = (row["village_id"], row["doctor_id"])
        self.pending_ids = {}

    def finish(self) -> None:
        """Insert what is waiting, the receipts, and move the counter."""
        from sqlalchemy import insert

        self._insert_pending()
        self.writer.finish()
        if self.receipts:
            self.session.execute(insert(SyncReceipt), self.receipts)


def _same(data: dict[str, Any], existing: dict[str, Any]) -> bool:
    """Does a re-sent record say the same as the stored one (on the fields it sends)?"""
    return all(jsonable(v) == jsonable(existing.get(k)) for k, v in data.items()
               if k not in ("village_id", "doctor_id", "device_created_at"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _echo(value: Any) -> str | None:
    """An unreadable op's `op_id` or `id` as it may be echoed: text as sent, with any lone
    surrogate (which no UTF-8 response can carry) replaced by U+FFFD; anything else null.
    The op is refused whatever its ids, so a re-send gets the same answer."""
    if not isinstance(value, str):
        return None
    return _SURROGATE.sub("\ufffd", value)


def _in(resident: tuple[int, dt.date] | None, villages: frozenset[int] | set[int]) -> bool:
    return resident is not None and resident[0] in villages


def _uuid(value: Any) -> uuid.UUID | None:
    if type(value) is uuid.UUID:  # a validated body's ids are UUIDs already
        return value
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
