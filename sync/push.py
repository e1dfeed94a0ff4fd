"""Applying a push: every op gets its own result, one bad op never sinks the others.

Every op is first validated, and every new record prepared, without the lock
(`sync.prepare`); then the whole push is one transaction holding the sync counter's lock
(core.changelog.Writer). New records, the bulk of a push, are inserted in bulk at the end;
edits of residents and households run one at a time inside a savepoint each.

This module drives a push (`apply_push`, `_Push`: prefetch, one result per op, the inserts
at the end); the paths of the ops are beside it: new records in `sync.push_records`,
residents and households in `sync.push_people`, corrections and voidings of records in
`sync.record_changes`.
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
from core.models import RECORD_CLASSES, Device, RecordEntry, ServiceRecord, SyncReceipt, User
from server.problems import ApiError, field_errors
from server.services.records import Batch, insert_records, named_ids
from sync.entry_times import EntryClock
from sync.prepare import Checked, Seen, Staged, preflight, stage
from sync.push_people import PeopleEdits
from sync.push_records import RecordCreates, Rejected, as_uuid
from sync.receipts import Receipts
from sync.record_changes import RecordChange

SRT = ServiceRecord.__table__


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


class _Push(RecordCreates, PeopleEdits):
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
            self.existing_records[as_uuid(rid)] = (village, doctor)
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

    # -- records: corrections and voidings (new records: sync.push_records) ----------

    def _change_record(self, op: dict) -> dict[str, Any]:
        """A correction or a voiding, by the record's author only, checked against the
        version it was made on (sync.record_changes)."""
        meta = self._meta(op, "")
        del meta["status"]  # the change row's status is the result's, decided there
        return RecordChange(self.session, self.batch, self.writer, self.user.id,
                            self.device_id, meta).apply(op)

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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _echo(value: Any) -> str | None:
    """An unreadable op's `op_id` or `id` as it may be echoed: text as sent, with any lone
    surrogate (which no UTF-8 response can carry) replaced by U+FFFD; anything else null.
    The op is refused whatever its ids, so a re-send gets the same answer."""
    if not isinstance(value, str):
        return None
    return _SURROGATE.sub("\ufffd", value)
