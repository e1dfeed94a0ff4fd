"""Store and read field records, within the caller's scope."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, with_polymorphic

from core.bulk import bulk_insert
from core.models import (
    RECORD_CLASSES,
    Device,
    Household,
    ResidenceEvent,
    Resident,
    ServiceRecord,
    User,
)
from server.problems import ApiError
from server.services import scope
from server.services.people import get_resident


def _invalid(field: str, code: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", {field: [{"code": code, "message": message}]})


class Batch:
    """What a run of record writes looks up once: the caller's villages and the subjects."""

    def __init__(self, session: Session, user: User):
        self.session = session
        self.user = user
        self.villages = scope.village_ids(session, user)
        self.residents: dict[uuid.UUID, tuple[int, dt.date] | None] = {}
        self.households: dict[uuid.UUID, int | None] = {}

    def preload(self, resident_ids: set[uuid.UUID], household_ids: set[uuid.UUID]) -> None:
        """Fetch every subject of a push in a few queries instead of one per record (IN
        lists of at most 500: SQLite limits bound parameters)."""
        missing = list(resident_ids - self.residents.keys())
        for i in range(0, len(missing), 500):
            for rid, vid, born in self.session.execute(
                select(Resident.id, Resident.village_id, Resident.birth_date)
                .where(Resident.id.in_(missing[i:i + 500]), Resident.deleted_at.is_(None))
            ):
                self.residents[rid] = (vid, born)
        missing = list(household_ids - self.households.keys())
        for i in range(0, len(missing), 500):
            for hid, vid in self.session.execute(
                select(Household.id, Household.village_id)
                .where(Household.id.in_(missing[i:i + 500]), Household.deleted_at.is_(None))
            ):
                self.households[hid] = vid

    def resident(self, rid: uuid.UUID, service_date: dt.date | None = None
                 ) -> tuple[int, dt.date]:
        """(village where the service counts, birth date) of a resident in scope, or 404.

        A resident who moved out of one of the caller's villages on or after the service
        date still takes the service there: a doctor who saw them offline before the move
        was recorded must not lose the record."""
        if rid not in self.residents:
            self.preload({rid}, set())
        found = self.residents.get(rid)
        if found is not None and found[0] not in self.villages and service_date is not None:
            moved_from = self.session.scalar(
                select(ResidenceEvent.from_village_id)
                .where(ResidenceEvent.resident_id == rid, ResidenceEvent.kind == "transferred",
                       ResidenceEvent.from_village_id.in_(self.villages),
                       ResidenceEvent.occurred_on >= service_date)
                .order_by(ResidenceEvent.id.desc()).limit(1))
            if moved_from is not None:
                return moved_from, found[1]
        if found is None or found[0] not in self.villages:
            raise ApiError(404, "not_found", {"resident_id": [{
                "code": "unknown_resident", "message": "居民不存在或不在您负责的村"}]})
        return found

    def current_village(self, row: dict[str, Any]) -> int:
        """The village whose devices hold a record: its resident's village now."""
        found = self.residents.get(row["resident_id"]) if row.get("resident_id") else None
        return found[0] if found else row["village_id"]

    def household(self, hid: uuid.UUID) -> int:
        """Village of a household in scope, or 404."""
        if hid not in self.households:
            self.preload(set(), {hid})
        found = self.households.get(hid)
        if found is None or found not in self.villages:
            raise ApiError(404, "not_found", {"household_id": [{
                "code": "unknown_household", "message": "家庭不存在或不在您负责的村"}]})
        return found

    def forget(self, rid: uuid.UUID) -> None:
        """Drop a cached resident after it was created or changed in this batch."""
        self.residents.pop(rid, None)


# Lists of residents some kinds name besides their subject (UuidText: canonical strings).
RESIDENT_LISTS = ("attendee_ids", "members_seen")


def named_ids(data: dict[str, Any]) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The residents and households a record body names (its subject, its household, the
    residents of its lists): what `Batch.preload` fetches for a push in a few queries.
    Ids that are not UUIDs are left out; the schema has refused them already."""
    residents: set[uuid.UUID] = set()
    households: set[uuid.UUID] = set()
    for value in [data.get("resident_id")] + [
            v for name in RESIDENT_LISTS for v in (data.get(name) or ())]:
        if value is not None:
            residents.add(_as_uuid(value))
    if data.get("household_id") is not None:
        households.add(_as_uuid(data["household_id"]))
    residents.discard(None)
    households.discard(None)
    return residents, households


def _as_uuid(value: Any) -> uuid.UUID | None:
    if type(value) is uuid.UUID:
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def resolve_subject(batch: Batch, data: dict[str, Any]) -> None:
    """Fill village_id from the resident or household, check scope and dates in place.

    Every id the body names must be the caller's: a household that is not (or does not
    exist) is `unknown_household`, a listed resident `unknown_resident`, the same answer
    for both so that it tells nothing about ids elsewhere, and none reaches the database
    to fail a foreign key there."""
    if data.get("resident_id"):
        village_id, born = batch.resident(data["resident_id"], data["service_date"])
        _check_village(data, village_id)
        if data["service_date"] < born:
            raise _invalid("service_date", "before_birth", "服务日期不能早于出生日期")
        if data.get("household_id"):
            _check_household(batch, data["household_id"])
    elif data.get("household_id"):
        _check_village(data, batch.household(data["household_id"]))
    for name in RESIDENT_LISTS:
        _check_listed(batch, name, data.get(name))
    if data["village_id"] not in batch.villages:
        raise ApiError(403, "forbidden", {"village_id": [{"code": "out_of_scope",
                                                          "message": "不是您负责的村"}]})


def _check_household(batch: Batch, hid: uuid.UUID) -> None:
    """A resident's record may name their household: one the caller may see (422, a
    field of the body, where a record's own subject that is not theirs is a 404)."""
    if hid not in batch.households:
        batch.preload(set(), {hid})
    if batch.households.get(hid) not in batch.villages:
        raise _invalid("household_id", "unknown_household", "家庭不存在或不在您负责的村")


def _check_listed(batch: Batch, field: str, ids: list[str] | None) -> None:
    """Each resident of a list (attendees, members seen) is one the caller may see now
    (looked up with the push's other subjects; `named_ids`)."""
    if not ids:
        return
    wanted = {_as_uuid(v) for v in ids}
    missing = wanted - batch.residents.keys()
    if missing:
        batch.preload(missing, set())
    for rid in wanted:
        found = batch.residents.get(rid)
        if found is None or found[0] not in batch.villages:
            raise _invalid(field, "unknown_resident", "名单中有居民不存在或不在您负责的村")


def _check_village(data: dict[str, Any], village_id: int) -> None:
    if data.get("village_id") not in (None, village_id):
        raise _invalid("village_id", "other_village", "与居民所在村不一致")
    data["village_id"] = village_id


def resolve_doctor(session: Session, user: User, data: dict[str, Any]) -> None:
    """A doctor records as themself; staff may record for a doctor of their township."""
    if user.is_doctor:
        if data.get("doctor_id") not in (None, user.id):
            raise ApiError(403, "forbidden", {"doctor_id": [{
                "code": "not_yourself", "message": "只能以本人名义记录"}]})
        data["doctor_id"] = user.id
        return
    data["doctor_id"] = data.get("doctor_id") or user.id
    # User ids are 32-bit: a larger number names nobody and must not reach the driver.
    doctor = session.get(User, data["doctor_id"]) if data["doctor_id"] < 2**31 else None
    if doctor is None or doctor.township_id != user.township_id:
        raise _invalid("doctor_id", "unknown_doctor", "医生不存在")


def _column_defaults(kind: str) -> dict[str, Any]:
    """Every column of a kind with its scalar default (None where it has none): a bulk
    insert sends every key, so the model's defaults must be filled in here."""
    out: dict[str, Any] = {}
    for table in (ServiceRecord.__table__, RECORD_CLASSES[kind].__table__):
        for c in table.columns:
            out[c.name] = c.default.arg if c.default is not None and c.default.is_scalar else None
    return out


_DEFAULTS = {kind: _column_defaults(kind) for kind in RECORD_CLASSES}


def record_defaults(kind: str) -> dict[str, Any]:
    """Every column of a record kind with its default: what a full record holds where its
    body is silent (a copy, the caller's to change)."""
    return _DEFAULTS[kind].copy()


def prepare_record(batch: Batch, data: dict[str, Any], device_id: uuid.UUID | None,
                   now: dt.datetime, version: int = 1,
                   created_at: dt.datetime | None = None) -> dict[str, Any]:
    """Check a validated record against scope and subject, and return its full row
    (every column of the envelope and of its kind), ready to insert and to publish."""
    resolve_subject(batch, data)
    resolve_doctor(batch.session, batch.user, data)
    defaults = _DEFAULTS[data["kind"]]
    row = defaults.copy()  # every column, in the table's order, then the body's values
    row.update(data)
    if len(row) != len(defaults):  # the body named something that is not a column
        row = {name: row[name] for name in defaults}
    row.update(device_id=device_id, created_at=created_at or now, updated_at=now,
               version=version, deleted_at=None)
    return row


def insert_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert prepared rows in bulk: the envelopes, then each kind's own table."""
    if not rows:
        return
    bulk_insert(session, ServiceRecord.__table__, rows)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    for kind, group in by_kind.items():
        bulk_insert(session, RECORD_CLASSES[kind].__table__, group)


def publish_new_record(writer: Any, batch: Batch, row: dict[str, Any], **meta: Any) -> int:
    """Log a new record where its resident's devices are. A record of a resident who has
    since moved goes to the new village (their history travels with them) and is evicted
    from the old village's devices, the author's included. Returns the record's seq.

    The eviction is logged first, as a move logs it (core/changelog.py): a device that
    serves both villages receives both changes and applies them in seq order, so the
    upsert must come last or it would end up without the record."""
    here = batch.current_village(row)
    if here != row["village_id"]:
        writer.append("record", row["id"], row["village_id"], "evict", 1,
                      {"id": str(row["id"])}, new=True)
    return writer.append("record", row["id"], here, "upsert", 1, row, new=True, **meta)


def create_record(session: Session, user: User, data: dict[str, Any],
                  device: Device | None = None) -> dict[str, Any]:
    """Store one new record (REST path) and publish it to the sync log; return its row."""
    from core.changelog import Writer  # sync imports services; import late to avoid a cycle

    if session.get(ServiceRecord, data["id"]) is not None:
        raise ApiError(409, "conflict", {"id": [{"code": "already_exists",
                                                  "message": "该记录已存在"}]})
    writer = Writer(session)
    batch = Batch(session, user)
    row = prepare_record(batch, data, device.id if device else None, writer.now)
    insert_records(session, [row])
    publish_new_record(writer, batch, row, device_id=row["device_id"], user_id=user.id)
    writer.finish()
    return row


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
