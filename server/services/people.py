"""Create, edit and read households and residents, within the caller's scope."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import changelog
from core.clock import now_utc, today_local
from core.models import (
    ROLE_DOCTOR,
    Household,
    ResidenceEvent,
    Resident,
    ResidentCondition,
    Township,
    User,
    Village,
    doctor_villages,
)
from server.cards import linking
from server.problems import ApiError
from server.services import scope


def _field_error(status: int, code: str, field: str, field_code: str, message: str) -> ApiError:
    return ApiError(status, code, {field: [{"code": field_code, "message": message}]})


def get_household(session: Session, user: User, household_id: uuid.UUID) -> Household:
    """Return a household the user may see, or raise 404 (out of scope looks like absent)."""
    household = session.get(Household, household_id)
    if household is None or household.deleted_at is not None or \
            household.village_id not in scope.village_ids(session, user):
        raise ApiError(404, "not_found")
    return household


def get_resident(session: Session, user: User, resident_id: uuid.UUID) -> Resident:
    """Return a resident the user may see, or raise 404."""
    resident = session.get(Resident, resident_id)
    if resident is None or resident.deleted_at is not None or \
            resident.village_id not in scope.village_ids(session, user):
        raise ApiError(404, "not_found")
    return resident


def create_household(session: Session, user: User, data: dict[str, Any],
                     writer: changelog.Writer | None = None, **meta: Any) -> Household:
    """Register a household in one of the user's villages. With a `writer` (a push), the
    change joins the push's log; alone (REST), this call logs and finishes its own."""
    scope.require_village(session, user, data["village_id"])
    if data.get("id") and session.get(Household, data["id"]) is not None:
        raise _field_error(409, "conflict", "id", "already_exists", "该编号的家庭已存在")
    check_responsible_doctor(session, data["village_id"], data.get("responsible_doctor_id"))
    own = writer is None
    writer = writer or changelog.Writer(session)
    household = Household(**data)
    session.add(household)
    session.flush()
    changelog.publish_household(writer, household, new=True, user_id=user.id, **meta)
    if own:
        writer.finish()
    return household


def update_household(session: Session, user: User, household_id: uuid.UUID,
                     data: dict[str, Any], writer: changelog.Writer, **meta: Any) -> Household:
    """Apply already-merged changes to a household (sync path)."""
    household = get_household(session, user, household_id)
    if "village_id" in data and data["village_id"] != household.village_id:
        raise _field_error(422, "validation_failed", "village_id", "household_moved",
                           "家庭不能改村，请为迁入的村新建家庭")
    if data.get("responsible_doctor_id") not in (None, household.responsible_doctor_id):
        check_responsible_doctor(session, household.village_id, data["responsible_doctor_id"])
    for key, value in data.items():
        setattr(household, key, value)
    household.version += 1
    session.flush()
    changelog.publish_household(writer, household, user_id=user.id, **meta)
    return household


def check_household(session: Session, user: User, household_id: uuid.UUID,
                    village_id: int) -> None:
    """A resident's household must be one the caller may see, in the resident's village.

    A household that does not exist and one outside the caller's villages get the same
    answer (`unknown_household`), so the answer is no oracle for which ids exist
    elsewhere; one the caller can see, of another village, is `other_village`. Raises a
    422 field error."""
    household = session.get(Household, household_id)
    if household is None or household.deleted_at is not None or \
            household.village_id not in scope.village_ids(session, user):
        raise _field_error(422, "validation_failed", "household_id", "unknown_household",
                           "家庭不存在或不在您负责的村")
    if household.village_id != village_id:
        raise _field_error(422, "validation_failed", "household_id", "other_village",
                           "家庭不在该村")


def check_responsible_doctor(session: Session, village_id: int, doctor_id: int | None) -> None:
    """A household's responsible doctor is an active village doctor who serves its village
    (none is allowed: the village's doctor then stands in). The per-doctor figures count
    households by this field, so any other user would move them; an id that is no user
    at all would fail the foreign key. Raises a 422 field error."""
    if doctor_id is None:
        return
    # User ids are 32-bit integers: a larger number names nobody, and must not reach the
    # driver (SQLite cannot bind past 64 bits, PostgreSQL refuses past 32).
    serves = None if not 0 < doctor_id < 2**31 else session.scalar(
        select(User.id).join(doctor_villages, doctor_villages.c.user_id == User.id)
        .where(User.id == doctor_id, User.role == ROLE_DOCTOR, User.active.is_(True),
               doctor_villages.c.village_id == village_id))
    if serves is None:
        raise _field_error(422, "validation_failed", "responsible_doctor_id",
                           "not_village_doctor", "责任医生须是负责该村的在岗村医")


def next_record_no(session: Session, village_id: int) -> str:
    """The next 17-digit health-record number: county + township + village + serial."""
    village = session.get(Village, village_id)
    township = session.get(Township, village.township_id)
    prefix = township.county.code + township.code + village.code
    last = session.scalar(
        select(func.max(Resident.record_no)).where(Resident.record_no.like(prefix + "%"))
    )
    serial = int(last[-5:]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def create_resident(session: Session, user: User, data: dict[str, Any],
                    writer: changelog.Writer | None = None, **meta: Any) -> Resident:
    """Register a resident; the ID number must be unique, the household in the same village."""
    scope.require_village(session, user, data["village_id"])
    if data.get("id") and session.get(Resident, data["id"]) is not None:
        raise _field_error(409, "conflict", "id", "already_exists", "该编号的居民已存在")
    if data.get("household_id"):
        check_household(session, user, data["household_id"], data["village_id"])
    _check_national_id_free(session, data.get("national_id"), None)
    own = writer is None
    writer = writer or changelog.Writer(session)
    conditions = data.pop("conditions", None) or []
    card_code = data.pop("card_code", None)
    resident = Resident(**data)
    # The register's number for the person. Whether they have a health record is
    # `record_created_on` as given: someone on the household roll may have none yet
    # (issue 18.1; docs/indicators.md, 建档率), so no date is invented.
    resident.record_no = next_record_no(session, data["village_id"])
    resident.conditions = [ResidentCondition(**c) for c in conditions]
    session.add(resident)
    _flush_unique(session)
    if card_code:
        _link_card(session, user, resident, card_code, meta)
    changelog.publish_resident(writer, resident, new=True, user_id=user.id, **meta)
    if own:
        writer.finish()
    return resident


def update_resident(session: Session, user: User, resident_id: uuid.UUID,
                    data: dict[str, Any], expected_version: int,
                    writer: changelog.Writer | None = None, **meta: Any) -> Resident:
    """Edit a resident if `expected_version` is current; otherwise 409 with the current one."""
    resident = get_resident(session, user, resident_id)
    if expected_version != resident.version:
        raise ApiError(409, "conflict", {"version": [{
            "code": "stale_version", "message": "该档案已被他人修改，请刷新后再改",
            "current_version": resident.version}]})
    own = writer is None
    writer = writer or changelog.Writer(session)
    old_village, old_status = resident.village_id, resident.status
    if "village_id" in data and data["village_id"] != old_village:
        scope.require_village(session, user, data["village_id"])
    if "national_id" in data:
        _check_national_id_free(session, data["national_id"], resident.id)
    conditions = data.pop("conditions", None)
    card_code = data.pop("card_code", None)
    household_id = data.get("household_id", resident.household_id)
    if ("village_id" in data or "household_id" in data) and household_id is not None:
        # A household has one village: a move names a household of the new village (or
        # none), and a new household must be of the resident's village. Checked before
        # anything is set, so that no autoflush sends a household id that names nothing.
        check_household(session, user, household_id, data.get("village_id", old_village))
    for key, value in data.items():
        setattr(resident, key, value)
    if card_code:
        _link_card(session, user, resident, card_code, meta)
    if conditions is not None:
        resident.conditions = [ResidentCondition(**c) for c in conditions]
    if resident.village_id != old_village:
        _record_event(session, user, resident, "transferred", old_village, resident.village_id,
                      data.get("moved_in_on"))
    if resident.status != old_status:
        _record_event(session, user, resident, resident.status, resident.village_id, None)
    resident.version += 1
    _flush_unique(session)
    changelog.publish_resident(writer, resident, old_village, user_id=user.id, **meta)
    if own:
        writer.finish()
    return resident


def list_residents(session: Session, user: User, village_id: int | None, q: str | None,
                   limit: int, offset: int) -> tuple[list[Resident], int]:
    """Residents in scope, optionally of one village or matching a name/ID/phone prefix."""
    allowed = scope.village_ids(session, user)
    if village_id is not None:
        if village_id not in allowed:
            raise ApiError(404, "not_found")
        allowed = {village_id}
    stmt = select(Resident).where(Resident.village_id.in_(allowed), Resident.deleted_at.is_(None))
    if q:
        like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Resident.name.like(like, escape="\\") |
                          Resident.national_id.like(like, escape="\\") |
                          Resident.phone.like(like, escape="\\"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Resident.name, Resident.id).limit(limit).offset(offset))
    return list(rows), total


def _record_event(session: Session, user: User, resident: Resident, kind: str,
                  from_village: int | None, to_village: int | None,
                  occurred: dt.date | None = None) -> None:
    """Keep a dated trail of residence changes for the year's denominators (dated by the
    edit's own date where it has one, else today)."""
    occurred = occurred or {"moved_out": resident.moved_out_on,
                            "deceased": resident.died_on}.get(kind)
    session.add(ResidenceEvent(resident_id=resident.id, kind=kind,
                               occurred_on=occurred or today_local(),
                               from_village_id=from_village, to_village_id=to_village,
                               recorded_by_id=user.id, recorded_at=now_utc()))


def _link_card(session: Session, user: User, resident: Resident, code: str,
               meta: dict[str, Any]) -> None:
    """A blank card scanned at the door becomes the resident's (issue 5; server/cards)."""
    linking.link(session, user, resident, code, meta.get("device_id"))


def _check_national_id_free(session: Session, national_id: str | None,
                            own_id: uuid.UUID | None) -> None:
    if not national_id:
        return
    holder = session.scalar(select(Resident.id).where(Resident.national_id == national_id))
    if holder is not None and holder != own_id:
        # Say it is taken, not by whom: the other record may be outside the caller's scope.
        raise _field_error(409, "conflict", "national_id", "national_id_taken",
                           "该身份证号已有档案，请勿重复建档（可联系乡镇卫生院核查）")


def _flush_unique(session: Session) -> None:
    """Flush; a unique-key race (two registrations at once) becomes a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        # No rollback here: the caller's transaction (or a push's savepoint) unwinds it.
        raise ApiError(409, "conflict") from None
