"""The shapes of a sync request and of the ops in it (docs/sync-protocol.md)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from server.schemas.base import ApiSchema, Choice, DateTime, Int, List, RawObject, Str, Uuid
from sync import PROTOCOL_VERSION

MAX_OPS = 1000
DEFAULT_PULL_LIMIT = 1000
MAX_PULL_LIMIT = 5000
CLOCK_TOLERANCE_S = 300  # a phone clock off by more than 5 minutes is reported
REASON_MAX = 200  # a correction's or voiding's reason, in characters

ENTITIES = ("record", "resident", "household")
ACTIONS = ("create", "update", "delete")


class OpEnvelope(ApiSchema):
    """One pushed op. `data` is validated later by the entity's own schema."""

    op_id = Uuid(required=True)
    device_counter = Int(lo=0, hi=2**62, required=True)
    entity = Choice(ENTITIES, required=True)
    action = Choice(ACTIONS, required=True)
    id = Uuid(required=True)
    base_version = Int(lo=0, hi=2**31, required=True)
    device_time = DateTime(allow_none=True)
    data = RawObject(required=True)
    # Why the author corrects or voids a record: kept with the version it makes (ADR 0066).
    reason = Str(max_len=REASON_MAX, allow_none=True)

    @validates_schema
    def _versions(self, op: dict, **kwargs) -> None:
        if op["action"] == "create" and op["base_version"] != 0:
            raise ValidationError({"base_version": ["create_base|新建时 base_version 应为 0"]})
        if op["action"] != "create" and op["base_version"] < 1:
            raise ValidationError({"base_version": ["update_base|修改时须给出所依据的版本"]})
        if op["action"] == "delete" and op["entity"] != "record":
            raise ValidationError({"action": ["delete_entity|只能作废服务记录"]})
        if op.get("reason") is not None and (op["entity"] != "record" or op["action"] == "create"):
            raise ValidationError({"reason": ["reason_not_allowed|只有更正或作废服务记录时填写原因"]})


class SyncRequest(ApiSchema):
    """The body of POST /api/sync. Ops are checked one by one, so one bad op cannot sink
    the rest; only the envelope of the request itself is checked here."""

    protocol = Int(lo=PROTOCOL_VERSION, hi=PROTOCOL_VERSION, required=True)
    device_time = DateTime(allow_none=True)
    cursor = Int(lo=0, hi=2**62, required=True)
    # The last response's `fresh_copy`, sent back while a fresh copy is being paged.
    fresh_copy = Int(lo=0, hi=2**62, allow_none=True, load_default=None)
    reference_version = Str(max_len=64, load_default="")
    # 0: push only (no changes, no reference data; the cursor comes back unchanged).
    pull_limit = Int(lo=0, hi=MAX_PULL_LIMIT, load_default=DEFAULT_PULL_LIMIT)
    # Any JSON value: an element that is not an object is that op's `rejected` (preflight),
    # not the whole request's 422, so one bad element never blocks the rest of an outbox.
    push = List(fields.Raw(allow_none=True), max_items=MAX_OPS, load_default=list)
