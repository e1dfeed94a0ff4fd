"""A push's new records (the bulk of every push): the create path of `sync.push._Push`.

A new record is append-only: it is accepted once, a re-send of the same content is a
duplicate, and other content under a taken id is refused. Records `sync.prepare.stage`
prepared before the lock are used as staged when the scope and the record's subject read
again under the lock are what staging saw; any other is prepared here. Either way the rows
wait in the push and are inserted in bulk (`_Push._insert_pending`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from core.serialize import jsonable, row_dict
from server.services import scope
from server.services.records import RESIDENT_LISTS, prepare_record, publish_new_record
from sync.prepare import Staged
from sync.receipts import server_fields
from sync.record_changes import load_record_row


class Rejected(Exception):
    """An op refused with field errors; nothing of it is stored."""

    def __init__(self, errors: dict):
        super().__init__("rejected")
        self.errors = errors


def reject(field: str, code: str, message: str) -> Rejected:
    """A `Rejected` with one field error."""
    return Rejected({field: [{"code": code, "message": message}]})


class RecordCreates:
    """The record-create path, mixed into `sync.push._Push`: it uses the push's session,
    user, device_id, writer, batch, clock and its lists of rows waiting to be inserted."""

    def _create_record(self, op: dict, data: dict[str, Any], staged: Staged | None
                       ) -> dict[str, Any]:
        existing = self.pending_ids.get(op["id"]) or self._current_record_payload(op["id"])
        if existing is not None:  # in scope (else _current_record_payload refused it)
            if _same(data, existing):
                return {"status": "duplicate", "version": existing["version"]}
            raise reject("id", "id_taken", "该记录编号已被另一条内容不同的记录使用")
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
        return all(_in(self.batch.residents.get(as_uuid(rid)), self.batch.villages)
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


def _same(data: dict[str, Any], existing: dict[str, Any]) -> bool:
    """Does a re-sent record say the same as the stored one (on the fields it sends)?"""
    return all(jsonable(v) == jsonable(existing.get(k)) for k, v in data.items()
               if k not in ("village_id", "doctor_id", "device_created_at"))


def _in(resident: tuple[int, dt.date] | None, villages: frozenset[int] | set[int]) -> bool:
    return resident is not None and resident[0] in villages


def as_uuid(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is none or not one."""
    if type(value) is uuid.UUID:  # a validated body's ids are UUIDs already
        return value
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
