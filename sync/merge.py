"""Field-by-field merge of residents and households against the version an edit was made on.

Rule (docs/adr/0004-merge-rule.md): a field the server has not changed since the base
version takes the device's value; a field both sides changed to different values keeps the
server's (first committed) value, and the device's value is recorded as a conflict for the
township to review. Nothing is dropped silently: the losing value stays in sync_conflicts
and the op's receipt.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import changelog
from core.models import SyncChange, SyncConflict
from core.serialize import jsonable
from server.problems import ApiError


@dataclass
class Conflict:
    """One field changed on both sides."""

    field: str
    kept: Any
    lost: Any


@dataclass
class Plan:
    """What to apply, and the conflicts to record."""

    apply: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def as_json(value: Any) -> Any:
    """A value as JSON holds it (dates, UUIDs as text; nested lists and objects alike), so
    values from the database and from a phone compare equal when they mean the same."""
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return jsonable(value)


def same_values(changes: dict[str, Any], current: dict[str, Any]) -> bool:
    """Do all the fields in `changes` already hold those values?"""
    return all(as_json(v) == as_json(current.get(k)) for k, v in changes.items())


def _only_this_device_since(session: Session, entity_id: uuid.UUID, base_version: int,
                            device_id: uuid.UUID | None) -> bool:
    """Were all versions after the base made by this same device? Then the edit simply
    follows the device's own earlier edits (sent before it had heard back) and cannot
    conflict with them."""
    if device_id is None:
        return False
    authors = set(session.scalars(
        select(SyncChange.device_id).where(SyncChange.entity_id == entity_id,
                                           SyncChange.version > base_version,
                                           SyncChange.op == "upsert")))
    return authors == {device_id}


def plan(session: Session, kind: str, entity: Any, current: dict[str, Any],
         changes: dict[str, Any], base_version: int,
         device_id: uuid.UUID | None = None) -> Plan:
    """Decide, field by field, what an edit made on `base_version` does to `current`."""
    out = Plan()
    if base_version == entity.version or (
            base_version < entity.version and
            _only_this_device_since(session, entity.id, base_version, device_id)):
        out.apply = {k: v for k, v in changes.items() if as_json(v) != as_json(current.get(k))}
        return out
    if base_version > entity.version:
        raise ApiError(422, "validation_failed", {"base_version": [{
            "code": "unknown_base", "message": "所依据的版本不存在"}]})
    base = changelog.snapshot(session, entity.id, base_version)
    if base is None:
        raise ApiError(422, "validation_failed", {"base_version": [{
            "code": "unknown_base", "message": "所依据的版本不存在"}]})
    return split(current, base, changes)


def split(current: dict[str, Any], base: dict[str, Any], changes: dict[str, Any]) -> Plan:
    """Field by field against the version the edit was made on: a change already in place
    is nothing, one to a field the other side left alone applies, one to a field both
    sides changed differently is a conflict (the current value kept)."""
    out = Plan()
    for key, mine in changes.items():
        now, then = as_json(current.get(key)), as_json(base.get(key))
        if as_json(mine) == now:
            continue
        if now == then:
            out.apply[key] = mine
        else:
            out.conflicts.append(Conflict(key, current.get(key), mine))
    return out


def record_conflicts(session: Session, kind: str, entity: Any, conflicts: list[Conflict],
                     op: dict, seq: int, device_id: uuid.UUID | None, user_id: int,
                     now: dt.datetime) -> None:
    """Keep every losing value for the township's review list."""
    for c in conflicts:
        session.add(SyncConflict(
            entity=kind, entity_id=entity.id, field=c.field, kept_value={"value": as_json(c.kept)},
            lost_value={"value": as_json(c.lost)}, base_version=op["base_version"] or 1, seq=seq,
            op_id=op["op_id"], device_id=device_id, user_id=user_id,
            village_id=entity.village_id, created_at=now))
    session.flush()
