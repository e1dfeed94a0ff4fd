"""The answers given to earlier ops, bound to the device that sent them
(docs/adr/0045-device-bound-receipts.md).

An op's answer is kept so that a re-sent op gets exactly the same answer: in
`sync_receipts`, or for an accepted record op in its `sync_changes` row (op_id, version,
seq). Both rows name the device. Only that device is given the stored answer again; an
`op_id` already used by another device, or by a push made without one, is refused with
`op_id_taken`, carries nothing, and changes nothing.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from server.models import SyncChange
from server.services.bulk import driver_values, rows_in

TAKEN = {"op_id": [{"code": "op_id_taken",
                    "message": "该操作编号已被其他设备使用，请重新保存后再同步"}]}


class Receipts:
    """Earlier answers to a push's op_ids, read in two queries for the whole push."""

    def __init__(self, device_id: uuid.UUID | None):
        self.device_id = device_id
        # op_id -> (the device that sent it, its answer as JSON text or as a dict)
        self.found: dict[uuid.UUID, tuple[uuid.UUID | None, str | dict[str, Any]]] = {}

    def load(self, session: Session, op_ids: list[uuid.UUID]) -> None:
        """Read every earlier answer to `op_ids`: receipts, and accepted record ops' change
        rows (an accepted record op keeps no receipt; its change row is one)."""
        sent = driver_values(session, SyncChange.op_id, op_ids)  # the same in both tables
        for op_id, device, eid, version, seq in rows_in(
                session, "SELECT op_id, device_id, entity_id, version, seq FROM sync_changes "
                "WHERE entity = 'record' AND status = 'accepted' AND op_id", None, sent):
            key = _uuid(op_id)
            self.found[key] = (_uuid(device), {"op_id": str(key), "id": str(_uuid(eid)),
                                               "status": "accepted", "version": version,
                                               "seq": seq})
        for op_id, device, result in rows_in(
                session, "SELECT op_id, device_id, result FROM sync_receipts WHERE op_id",
                None, sent):
            self.found[_uuid(op_id)] = (_uuid(device), result)  # a receipt comes first

    def answer(self, op: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
        """(the answer to give `op` from an earlier push, whether it is a refusal):
        (None, False) when its op_id is new."""
        found = self.found.get(op["op_id"])
        if found is None:
            return None, False
        device, result = found
        if self.device_id is None or device != self.device_id:
            return {"op_id": str(op["op_id"]), "id": str(op["id"]), "status": "rejected",
                    "errors": TAKEN}, True
        return (json.loads(result) if isinstance(result, str) else dict(result)), False


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or type(value) is uuid.UUID:
        return value
    return uuid.UUID(str(value))
