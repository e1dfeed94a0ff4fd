"""The township's review of sync conflicts: list them, and settle each one.

A conflict keeps the server's value and records the device's. Staff look at both and
either confirm the kept value or apply the device's value, which then becomes a new
version through the normal write path (so every phone receives it).
"""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import Resident, SyncConflict, User
from server.problems import ApiError
from server.services import people, scope


def list_conflicts(session: Session, user: User, open_only: bool = True,
                   limit: int = 100) -> list[dict[str, Any]]:
    """Conflicts in the user's villages, newest first."""
    stmt = select(SyncConflict).where(
        SyncConflict.village_id.in_(scope.village_ids(session, user)))
    if open_only:
        stmt = stmt.where(SyncConflict.reviewed_at.is_(None))
    rows = session.scalars(stmt.order_by(SyncConflict.id.desc()).limit(limit))
    return [conflict_dict(c) for c in rows]


def conflict_dict(c: SyncConflict) -> dict[str, Any]:
    """A conflict as the review page shows it."""
    return {
        "id": c.id, "entity": c.entity, "entity_id": str(c.entity_id), "field": c.field,
        "kept": c.kept_value["value"] if c.kept_value else None,
        "device_value": c.lost_value["value"] if c.lost_value else None,
        "base_version": c.base_version, "device_id": str(c.device_id) if c.device_id else None,
        # The op whose value lost, and the seq of the version it made (None: the op changed
        # nothing else), as in that op's result: a phone or a reviewer ties the two together.
        "op_id": str(c.op_id), "seq": c.seq,
        "user_id": c.user_id, "village_id": c.village_id,
        "created_at": c.created_at.isoformat(),
        "reviewed_at": c.reviewed_at.isoformat() if c.reviewed_at else None,
        "resolution": c.resolution,
    }


def resolve(session: Session, user: User, conflict_id: int, use_device_value: bool,
            note: str = "") -> dict[str, Any]:
    """Settle a conflict; with `use_device_value` the device's value becomes a new version."""
    # Path ids beyond the database's integer range are simply absent (not an overflow).
    c = session.get(SyncConflict, conflict_id) if 0 < conflict_id < 2**31 else None
    if c is None or c.village_id not in scope.village_ids(session, user):
        raise ApiError(404, "not_found")
    if c.reviewed_at is not None:
        raise ApiError(409, "conflict", {"id": [{"code": "already_reviewed",
                                                  "message": "该冲突已处理"}]})
    if use_device_value:
        if c.entity != "resident":
            # A record is corrected by its author only (ADR 0052): on their phone.
            raise ApiError(422, "validation_failed", {"id": [{
                "code": "not_supported", "message": "记录冲突请由记录人在手机上更正"
                if c.entity == "record" else "家庭信息冲突请直接修改家庭档案"}]})
        from server.schemas.people import ResidentSchema

        resident = session.get(Resident, uuid.UUID(str(c.entity_id)))
        value = ResidentSchema().load({c.field: c.lost_value["value"]}, partial=True)
        people.update_resident(session, user, resident.id, value, resident.version)
    c.reviewed_at, c.reviewed_by_id = now_utc(), user.id
    c.resolution = ("采用设备上的值" if use_device_value else "保留服务器上的值") + \
        (f"：{note}" if note else "")
    session.flush()
    return conflict_dict(c)
