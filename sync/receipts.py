"""The answers given to earlier ops, bound to the account that sent them
(docs/adr/0053-account-bound-receipts.md, which supersedes 0045).

An op's answer is kept so that a re-sent op gets exactly the same answer: in
`sync_receipts`, or for an accepted record op in its `sync_changes` row (op_id, version,
seq, and the record as stored). Both rows name the device that sent the op. Any device of
that device's account is given the stored answer again: a phone enrolled anew (its old
token revoked) that re-sends ops whose answers it lost gets them. An `op_id` already used
by another account, or by a push made without a device, is refused with `op_id_taken`,
carries nothing, and changes nothing; a push without a device never gets a stored answer.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from core.bulk import driver_values, rows_in
from core.models import SyncChange

TAKEN = {"op_id": [{"code": "op_id_taken",
                    "message": "该操作编号已被其他设备使用，请重新保存后再同步"}]}

# What an accepted record result tells the phone of the record's server-made fields
# (docs/sync-protocol.md, "What each result carries").
SERVER_FIELDS = ("village_id", "doctor_id", "created_at")


def server_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The server-made fields of a record row (its values as they go into the log)."""
    return {k: row[k] for k in SERVER_FIELDS}


class Receipts:
    """Earlier answers to a push's op_ids, read in two queries for the whole push."""

    def __init__(self, device_id: uuid.UUID | None, user_id: int | None = None):
        self.device_id = device_id
        self.user_id = user_id
        # op_id -> (whether a device sent it, the account that device belongs to, its
        # answer as JSON text or as a dict)
        self.found: dict[uuid.UUID, tuple[bool, int | None, str | dict[str, Any]]] = {}

    def load(self, session: Session, op_ids: list[uuid.UUID]) -> None:
        """Read every earlier answer to `op_ids`: receipts, and accepted record ops' change
        rows (an accepted record op keeps no receipt; its change row is one)."""
        sent = driver_values(session, SyncChange.op_id, op_ids)  # the same in both tables
        # A change row names the account that pushed it (user_id); only replays match, so
        # reading their payloads costs nothing on a push of new ops.
        for op_id, device, user, eid, version, seq, change, payload in rows_in(
                session, "SELECT op_id, device_id, user_id, entity_id, version, seq, op, "
                "payload FROM sync_changes WHERE entity = 'record' AND status = 'accepted' "
                "AND op_id", None, sent):
            key = _uuid(op_id)
            answer = {"op_id": str(key), "id": str(_uuid(eid)), "status": "accepted",
                      "version": version, "seq": seq}
            if change != "delete":  # a voiding's row is a tombstone, and its answer says no more
                answer["server_fields"] = server_fields(json.loads(payload))
            self.found[key] = (device is not None, user, answer)
        # A receipt names the device; its account is the device's owner.
        for op_id, device, user, result in rows_in(
                session, "SELECT r.op_id, r.device_id, d.user_id, r.result FROM sync_receipts r "
                "LEFT JOIN devices d ON d.id = r.device_id WHERE r.op_id", None, sent):
            self.found[_uuid(op_id)] = (device is not None, user, result)  # receipts first

    def answer(self, op: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
        """(the answer to give `op` from an earlier push, whether it is a refusal):
        (None, False) when its op_id is new."""
        found = self.found.get(op["op_id"])
        if found is None:
            return None, False
        by_device, user, result = found
        if self.device_id is None or not by_device or user != self.user_id:
            return {"op_id": str(op["op_id"]), "id": str(op["id"]), "status": "rejected",
                    "errors": TAKEN}, True
        return (json.loads(result) if isinstance(result, str) else dict(result)), False


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or type(value) is uuid.UUID:
        return value
    return uuid.UUID(str(value))
