"""A record's correction or voiding by its author, checked against the version it was made
on (docs/adr/0052-record-corrections-by-version.md).

A correction carries the whole record and its `base_version`. Made on the current version
(or after versions this same device made, sent before it heard back), it is applied as
sent. Made on an older version, it is merged field by field like a resident's edit
(docs/adr/0004-merge-rule.md): the fields the device changed from its base version take
the device's value where the server still holds the base's; where the server changed the
same field to another value, the server's (first committed) value stands and the
device's goes to `sync_conflicts` for review. A voiding made on an older version that
another device corrected meanwhile is refused (`corrected_since`): only the author may
void, so the decision goes back to them, with the newer version in front of them.

The op's `reason` (why the author corrects or voids) is kept in the change row it makes, as
the payload's `change_reason`: the version's history says why it exists, and the author's
other phones receive it with the record (docs/adr/0066-phone-corrections-and-drafts.md).
"""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, with_polymorphic

from core.models import Resident, ServiceRecord, SyncChange
from core.serialize import row_dict
from server.problems import ApiError
from server.schemas.records import SCHEMAS, load_record
from server.services import scope
from server.services.records import Batch, prepare_record, record_defaults
from sync import merge
from sync.prepare import record_body
from sync.receipts import server_fields

# The payload key of a correction's or voiding's reason: not a column of any record kind.
REASON_KEY = "change_reason"

# Columns that are not what a doctor records: the record's identity and version, what
# the server sets, and the phone's claimed time (kept as first stored by a merge).
_NOT_CONTENT = frozenset({"id", "kind", "version", "created_at", "updated_at", "deleted_at",
                          "device_id", "doctor_id", "device_created_at"})


def _refuse(field: str, code: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", {field: [{"code": code, "message": message}]})


def load_record_row(session: Session, record_id: uuid.UUID) -> ServiceRecord | None:
    """A record with its kind's own columns, or None."""
    poly = with_polymorphic(ServiceRecord, "*")
    return session.scalar(select(poly).where(poly.id == record_id))


def _village_subject(kind: str) -> bool:
    """Is a record of this kind about a village (an education activity) rather than a
    resident or household, so that its `village_id` is what the doctor recorded?"""
    schema = SCHEMAS.get(kind)
    return schema is not None and schema.subject == "village_id"


class RecordChange:
    """One correction or voiding inside a push (`sync.push._Push` supplies the session,
    scope, writer and the op's log metadata)."""

    def __init__(self, session: Session, batch: Batch, writer: Any, user_id: int,
                 device_id: uuid.UUID | None, meta: dict[str, Any]):
        self.session, self.batch, self.writer = session, batch, writer
        self.user_id, self.device_id = user_id, device_id
        self.meta = meta  # the op's columns for its change row, status left out
        self.reason: str | None = None

    def apply(self, op: dict) -> dict[str, Any]:
        """The op's result (accepted, merged, conflict or duplicate), or raises."""
        self.reason = (op.get("reason") or "").strip() or None
        record = load_record_row(self.session, op["id"])
        if record is None or (record.village_id not in self.batch.villages and
                              record.doctor_id != self.user_id):
            raise scope.not_yours()
        if record.doctor_id != self.user_id:
            raise _refuse("id", "not_author", "只能由记录人本人更正或作废")
        if record.deleted_at is not None:
            if op["action"] == "delete":  # voided already (by another of the author's phones)
                return {"status": "duplicate", "version": record.version}
            raise _refuse("id", "voided", "该记录已作废")
        base = op["base_version"]
        if base > record.version:
            raise _refuse("base_version", "unknown_base", "所依据的版本不存在")
        # On top: made on the current version, or on versions this device made itself.
        on_top = base == record.version or _only_mine_since(
            self.session, record.id, base, self.device_id)
        if op["action"] == "delete":
            if not on_top:
                raise _refuse("base_version", "corrected_since",
                              "该记录在您作废前已在另一台设备上更正，请核对后再决定是否作废")
            return self._void(record)
        kept = {"village_id": record.village_id} if _village_subject(record.kind) else None
        body = record_body(op, stored=kept)
        if body["kind"] != record.kind:
            raise _refuse("kind", "kind_changed", "更正时不能改变记录类型")
        if on_top:
            return self._write(record, body, "accepted")
        return self._merge(record, body, base)

    def _void(self, record: ServiceRecord) -> dict[str, Any]:
        record.deleted_at = self.writer.now
        record.version += 1
        self.session.flush()
        seq = self.writer.append("record", record.id, self._scope_village(record), "delete",
                                 record.version, self._with_reason({"id": str(record.id)}),
                                 user_id=self.user_id, status="accepted", **self.meta)
        return {"status": "accepted", "version": record.version, "seq": seq}

    def _write(self, record: ServiceRecord, body: dict[str, Any], status: str
               ) -> dict[str, Any]:
        """Store `body` as the record's next version; the result of `status`."""
        if not _village_subject(record.kind):
            body["village_id"] = None  # the subject's village decides, as for a new record
        row = prepare_record(self.batch, body, self.device_id, self.writer.now,
                             version=record.version + 1, created_at=record.created_at)
        for key, value in row.items():
            if key not in ("id", "kind", "created_at"):
                setattr(record, key, value)
        self.session.flush()
        stored = self._with_reason(row_dict(record))
        seq = self.writer.append("record", record.id, self._scope_village(record), "upsert",
                                 record.version, stored, user_id=self.user_id, status=status,
                                 **self.meta)
        if status == "accepted":  # as sent: the phone learns only what the server added
            return {"status": status, "version": record.version, "seq": seq,
                    "server_fields": server_fields(stored)}
        return {"status": status, "version": record.version, "seq": seq, "data": stored}

    def _merge(self, record: ServiceRecord, body: dict[str, Any], base: int
               ) -> dict[str, Any]:
        """A correction made on an older version, merged field by field."""
        then = _snapshot(self.session, record.id, base)
        now = row_dict(record)
        mine = record_defaults(record.kind)
        mine.update((k, v) for k, v in body.items() if k in mine)
        fields = [k for k in mine if k not in _NOT_CONTENT and
                  (k != "village_id" or _village_subject(record.kind))]
        # A correction carries the whole record: the device changed only what differs from
        # the version it was made on.
        changed = {k: merge.as_json(mine[k]) for k in fields
                   if merge.as_json(mine[k]) != merge.as_json(then.get(k))}
        plan = merge.split(now, then, changed)
        apply, conflicts = plan.apply, plan.conflicts
        if not apply and not conflicts:
            return {"status": "duplicate", "version": record.version}
        status = "conflict" if conflicts else "merged"
        if apply:
            merged = {k: v for k, v in now.items() if k in mine and v is not None and
                      k not in ("version", "created_at", "updated_at", "deleted_at", "device_id")}
            for key, value in apply.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            result = self._write(record, load_record(merged), status)
            seq = result["seq"]
        else:  # only conflicts: the server's values all stand, no new version
            seq = None
            result = {"status": status, "version": record.version, "seq": None, "data": now}
        op = {"op_id": self.meta["op_id"], "base_version": base}
        merge.record_conflicts(self.session, "record", record, conflicts, op, seq,
                               self.device_id, self.user_id, self.writer.now)
        if conflicts:
            result["conflicts"] = [{"field": c.field, "kept": c.kept, "yours": c.lost}
                                   for c in conflicts]
        return result

    def _with_reason(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The change row's payload with the op's reason, when it gave one."""
        if self.reason is not None:
            payload[REASON_KEY] = self.reason
        return payload

    def _scope_village(self, record: ServiceRecord) -> int:
        """Which village's devices hold this record: its resident's current village."""
        if record.resident_id:
            return self.session.get(Resident, record.resident_id).village_id
        return record.village_id


def _only_mine_since(session: Session, record_id: uuid.UUID, base: int,
                     device_id: uuid.UUID | None) -> bool:
    """Were all the record's versions after `base` made by this device's ops? Then a
    correction or voiding made on `base` follows the device's own (sent before it heard
    back) and cannot conflict with them. A record's versions are all made by ops (the
    REST API only creates); the log's copies a resident's move re-publishes carry no op
    and are not versions of their own."""
    if device_id is None:
        return False
    authors = set(session.scalars(
        select(SyncChange.device_id).where(SyncChange.entity_id == record_id,
                                           SyncChange.version > base,
                                           SyncChange.op_id.is_not(None))))
    return authors == {device_id}


def _snapshot(session: Session, record_id: uuid.UUID, version: int) -> dict[str, Any]:
    from core import changelog

    found = changelog.snapshot(session, record_id, version)
    if found is None:
        raise _refuse("base_version", "unknown_base", "所依据的版本不存在")
    return found

