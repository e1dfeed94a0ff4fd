"""Who changed what, when, from which device: read from the sync log, which keeps every
version of every household, resident and record (docs/adr/0005-sync-cursor.md)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Device, SyncChange, User
from server.problems import ApiError
from server.services import scope

# Server bookkeeping that changes with every version and says nothing about the edit; and
# a record correction's reason (sync.record_changes), shown as the change's own `reason`.
_REASON = "change_reason"
_NOISE = {"updated_at", "version", "created_at", _REASON}


def history(session: Session, user: User, entity_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every change of one entity, oldest first, each with the fields it changed."""
    rows = session.execute(
        select(SyncChange, User.full_name, Device.label)
        .outerjoin(User, User.id == SyncChange.user_id)
        .outerjoin(Device, Device.id == SyncChange.device_id)
        .where(SyncChange.entity_id == entity_id, SyncChange.op != "evict")
        .order_by(SyncChange.seq)
    ).all()
    allowed = scope.village_ids(session, user)
    if not rows or not any(change.village_id in allowed for change, _, _ in rows):
        raise ApiError(404, "not_found")
    out, previous = [], {}
    for change, who, device in rows:
        payload = json.loads(change.payload)
        if change.op == "upsert" and previous.get("version") == payload.get("version"):
            continue  # the same version re-published for a move, not an edit
        fields = sorted(k for k in set(payload) | set(previous)
                        if k not in _NOISE and payload.get(k) != previous.get(k))
        out.append({
            "seq": change.seq, "op": change.op, "version": change.version,
            "at": change.committed_at.isoformat(), "user": who, "user_id": change.user_id,
            "device": device, "device_id": str(change.device_id) if change.device_id else None,
            "status": change.status, "village_id": change.village_id,
            "reason": payload.get(_REASON),
            "changed": {k: {"from": previous.get(k), "to": payload.get(k)} for k in fields}
            if change.op == "upsert" else {},
        })
        if change.op == "upsert":
            previous = payload
    return out


def record_change(session: Session, user: User, subject: str, action: str,
                  before: Any = None, after: Any = None, note: str | None = None) -> None:
    """Log one change township staff made outside the sync log (settings, targets, reviews
    of quality flags): who, when, what, the value before and after. Added to the session;
    the caller's commit stores it with the change itself, or neither."""
    from core.models import AdminChange

    session.add(AdminChange(township_id=user.township_id, user_id=user.id, subject=subject,
                            action=action, before=_doc(before), after=_doc(after),
                            note=(note or None) and note[:200]))


def _doc(value: Any) -> dict | None:
    """JSON columns hold objects: wrap anything else."""
    if value is None or isinstance(value, dict):
        return value
    return {"value": value}


def admin_changes(session: Session, township_id: int, prefix: str = "",
                  limit: int = 50) -> list[dict[str, Any]]:
    """The township's logged changes whose subject starts with `prefix`, newest first."""
    from core.models import AdminChange

    rows = session.execute(
        select(AdminChange, User.full_name).join(User, User.id == AdminChange.user_id)
        .where(AdminChange.township_id == township_id,
               AdminChange.subject.startswith(prefix, autoescape=True))
        .order_by(AdminChange.id.desc()).limit(limit)).all()
    return [{"at": c.at, "user": who, "subject": c.subject, "action": c.action,
             "before": c.before, "after": c.after, "note": c.note} for c, who in rows]
