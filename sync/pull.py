"""Pulling: changes after a cursor in the device's villages, and the reference data."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import and_, not_, or_, select, update
from sqlalchemy.orm import Session

from core.changelog import dumps
from core.models import (
    ROLE_DOCTOR,
    Device,
    Setting,
    SyncChange,
    SyncCounter,
    Target,
    User,
    VaccineScheduleDose,
    Village,
)
from server.services import scope


def changes_since(session: Session, user: User, device_id: uuid.UUID | None, cursor: int,
                  limit: int, fresh_copy: int | None = None) -> dict[str, Any]:
    """One page of changes after `cursor`: {changes_json, cursor, more, reset, fresh_copy}.

    The high-water mark is read *before* the changes: a push holding the counter lock
    has not committed, so nothing at or below the mark can still appear later.
    `changes_json` is a list of JSON texts, so stored payloads are sent without re-encoding.

    A pull from cursor 0 begins a fresh copy; `fresh_copy` is the high-water mark it began
    at, sent back by the device with each page after the first until the copy is over
    (docs/adr/0049-reset-once.md). A fresh copy holds the living as they were then and
    every change since, so it needs only the tombstones logged after that mark, and is
    reset only if one of those was purged. An ordinary pull needs every tombstone after
    its cursor, and is reset if one of those was purged.
    """
    hwm, purged = session.execute(
        select(SyncCounter.value, SyncCounter.purged_through).where(SyncCounter.id == 1)
    ).one()
    if cursor == 0:
        fresh_copy = hwm
    # Tombstones at or below `needed_after` are of no use to this device.
    needed_after = cursor if fresh_copy is None else max(cursor, fresh_copy)
    if 0 < cursor and needed_after < purged:
        return {"changes_json": [], "cursor": 0, "more": False, "reset": True,
                "fresh_copy": None}
    if device_id is not None and _scope_reset(session, device_id, cursor):
        return {"changes_json": [], "cursor": 0, "more": False, "reset": True,
                "fresh_copy": None}
    villages = scope.village_ids(session, user)
    if not villages or cursor >= hwm:
        return {"changes_json": [], "cursor": max(cursor, hwm) if villages else hwm,
                "more": False, "reset": False, "fresh_copy": None}
    stmt = (
        select(SyncChange.seq, SyncChange.entity, SyncChange.entity_id, SyncChange.op,
               SyncChange.version, SyncChange.payload)
        .where(SyncChange.village_id.in_(villages), SyncChange.seq > cursor,
               SyncChange.seq <= hwm, SyncChange.superseded.is_(False))
        .order_by(SyncChange.seq).limit(limit)
    )
    if fresh_copy is not None:
        # The living, and the tombstones of what may have been sent since the copy
        # began; the device's own changes too, since a reset dropped them from the phone.
        if fresh_copy < hwm:
            stmt = stmt.where(or_(SyncChange.op == "upsert", SyncChange.seq > fresh_copy))
        else:
            stmt = stmt.where(SyncChange.op == "upsert")
    elif device_id is not None:
        # What this device pushed and the server took as sent, it already has.
        stmt = stmt.where(not_(and_(SyncChange.device_id == device_id,
                                    SyncChange.status == "accepted",
                                    or_(SyncChange.op == "upsert", SyncChange.op == "delete"))))
    rows = session.execute(stmt).all()
    out = [
        f'{{"seq":{seq},"entity":"{entity}","id":"{eid}","op":"{op}",'
        f'"version":{version},"data":{payload}}}'
        for seq, entity, eid, op, version, payload in rows
    ]
    more = len(rows) == limit
    return {"changes_json": out, "cursor": rows[-1][0] if more else hwm, "more": more,
            "reset": False, "fresh_copy": fresh_copy if more else None}


def _scope_reset(session: Session, device_id: uuid.UUID, cursor: int) -> bool:
    """True when the device's villages changed since its copy began (an admin moved its
    doctor): its copy holds villages it lost and lacks the history of those it gained, so
    it starts again. A pull from 0 is that new copy and clears the mark."""
    pending = session.scalar(select(Device.scope_reset_pending).where(Device.id == device_id))
    if not pending:
        return False
    if cursor == 0:
        session.execute(update(Device).where(Device.id == device_id)
                        .values(scope_reset_pending=False))
        return False
    return True


def reference_data(session: Session, user: User) -> dict[str, Any]:
    """Read-only data every phone needs: its villages, the vaccine schedule, targets,
    settings, the doctor's own account. Never pushed back."""
    ids = scope.village_ids(session, user)
    villages = [
        {"id": v.id, "code": v.code, "name": v.name,
         "clinic": v.clinic.name if v.clinic else None}
        for v in session.scalars(select(Village).where(Village.id.in_(ids)).order_by(Village.code))
    ]
    schedule = [
        {"vaccine": d.vaccine, "name_zh": d.name_zh, "dose_no": d.dose_no,
         "due_age_months": d.due_age_months, "timely_within_months": d.timely_within_months}
        for d in session.scalars(select(VaccineScheduleDose)
                                 .order_by(VaccineScheduleDose.due_age_months,
                                           VaccineScheduleDose.vaccine,
                                           VaccineScheduleDose.dose_no))
    ]
    targets = [
        {"indicator": t.indicator, "village_id": t.village_id, "year": t.year, "kind": t.kind,
         "value": t.value}
        for t in session.scalars(select(Target).where(Target.township_id == user.township_id)
                                 .order_by(Target.year, Target.indicator, Target.id))
        if t.village_id is None or t.village_id in ids
    ]
    settings = {s.key: s.value for s in session.scalars(
        select(Setting).where(Setting.township_id == user.township_id).order_by(Setting.key))}
    doctors = [
        {"id": u.id, "full_name": u.full_name}
        for u in session.scalars(select(User).where(User.township_id == user.township_id,
                                                    User.role == ROLE_DOCTOR)
                                 .order_by(User.id))
    ]
    return {
        "user": {"id": user.id, "username": user.username, "full_name": user.full_name,
                 "role": user.role, "township_id": user.township_id,
                 "village_ids": sorted(ids)},
        "villages": villages, "vaccine_schedule": schedule, "targets": targets,
        "settings": settings, "doctors": doctors,
    }


def reference_version(reference: dict[str, Any]) -> str:
    """A short digest of the reference data: the phone re-downloads it when this changes."""
    return hashlib.sha256(dumps(reference).encode()).hexdigest()[:16]
