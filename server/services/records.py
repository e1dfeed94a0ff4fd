"""Store and read field records, within the caller's scope."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, with_polymorphic

from server.clock import now_utc
from server.models import RECORD_CLASSES, Device, Resident, ServiceRecord, User
from server.problems import ApiError
from server.services import scope
from server.services.people import get_household, get_resident


def _invalid(field: str, code: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", {field: [{"code": code, "message": message}]})


def resolve_subject(session: Session, user: User, data: dict[str, Any]) -> None:
    """Fill village_id from the resident or household, check scope and dates in place."""
    if data.get("resident_id"):
        resident = get_resident(session, user, data["resident_id"])
        _check_village(data, resident.village_id)
        if data["service_date"] < resident.birth_date:
            raise _invalid("service_date", "before_birth", "服务日期不能早于出生日期")
    elif data.get("household_id"):
        household = get_household(session, user, data["household_id"])
        _check_village(data, household.village_id)
    scope.require_village(session, user, data["village_id"])


def _check_village(data: dict[str, Any], village_id: int) -> None:
    if data.get("village_id") not in (None, village_id):
        raise _invalid("village_id", "other_village", "与居民所在村不一致")
    data["village_id"] = village_id


def resolve_doctor(user: User, data: dict[str, Any]) -> None:
    """A doctor records as themself; staff may record for a doctor of their township."""
    if user.is_doctor and data.get("doctor_id") not in (None, user.id):
        raise ApiError(403, "forbidden", {"doctor_id": [{
            "code": "not_yourself", "message": "只能以本人名义记录"}]})
    data["doctor_id"] = data.get("doctor_id") or user.id


def create_record(session: Session, user: User, data: dict[str, Any],
                  device: Device | None = None) -> ServiceRecord:
    """Store a new record made on a phone (or at the township) under its client UUID."""
    if session.get(ServiceRecord, data["id"]) is not None:
        raise ApiError(409, "conflict", {"id": [{"code": "already_exists",
                                                  "message": "该记录已存在"}]})
    resolve_subject(session, user, data)
    resolve_doctor(user, data)
    if not user.is_doctor:
        doctor = session.get(User, data["doctor_id"])
        if doctor is None or doctor.township_id != user.township_id:
            raise _invalid("doctor_id", "unknown_doctor", "医生不存在")
    now = now_utc()
    record = RECORD_CLASSES[data["kind"]](
        **{k: v for k, v in data.items() if k != "kind"},
        device_id=device.id if device else None, created_at=now, updated_at=now, version=1,
    )
    session.add(record)
    session.flush()
    return record


def get_record(session: Session, user: User, record_id: uuid.UUID) -> ServiceRecord:
    """Return one record the user may see, or 404."""
    record = session.scalar(
        select(with_polymorphic(ServiceRecord, "*")).where(ServiceRecord.id == record_id)
    )
    if record is None or record.deleted_at is not None or \
            record.village_id not in scope.village_ids(session, user):
        raise ApiError(404, "not_found")
    return record


def list_records(session: Session, user: User, *, resident_id: uuid.UUID | None = None,
                 kind: str | None = None, village_id: int | None = None,
                 limit: int = 100, offset: int = 0) -> list[ServiceRecord]:
    """Records in scope, newest service date first."""
    allowed = scope.village_ids(session, user)
    if village_id is not None:
        if village_id not in allowed:
            raise ApiError(404, "not_found")
        allowed = {village_id}
    poly = with_polymorphic(ServiceRecord, "*")
    stmt = select(poly).where(poly.village_id.in_(allowed), poly.deleted_at.is_(None))
    if resident_id is not None:
        get_resident(session, user, resident_id)
        stmt = stmt.where(poly.resident_id == resident_id)
    if kind is not None:
        if kind not in RECORD_CLASSES:
            raise _invalid("kind", "choice", "记录类型无效")
        stmt = stmt.where(poly.kind == kind)
    stmt = stmt.order_by(poly.service_date.desc(), poly.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def resident_of(session: Session, record: ServiceRecord) -> Resident | None:
    """The resident a record is about, if any."""
    return session.get(Resident, record.resident_id) if record.resident_id else None
