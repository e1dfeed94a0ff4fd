"""Each kind of row as the API would take it: cells read, the schema loaded, the service
called, with the township's natural keys so that a second run stores nothing twice:
a household by 户编号, a resident by ID number (else name, birth date and village), a
condition by resident, disease and the date management began, a record by resident,
kind and service date (docs/history-import.md)."""
from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.ids import time_ordered_uuid
from core.models import (
    ROLE_DOCTOR,
    Household,
    RecordEntry,
    Resident,
    ServiceRecord,
    User,
    VaccineScheduleDose,
    Village,
    doctor_villages,
)
from server.history.template import CST, Kind
from server.schemas.people import ConditionSchema, HouseholdSchema, ResidentSchema
from server.schemas.records import load_record
from server.services import people
from server.services import records as record_service
from server.validation import idcard

IMPORTED = "imported"  # sync_changes.status of every change an import makes
ENTRY_BASIS = "import"  # record_entries.basis: the entry time is the source system's


class RowError(Exception):
    """A row refused for one column, with the reason in Chinese."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column, self.reason = column, reason


class Context:
    """What a run looks up once: the township's villages, doctors and vaccines."""

    def __init__(self, session: Session, user: User, only: list[str] | None):
        self.session, self.user = session, user
        self.writer: Any = None
        villages = session.scalars(select(Village).where(
            Village.township_id == user.township_id)).all()
        self.villages = {v.name: v.id for v in villages} | {v.code: v.id for v in villages}
        self.only = None if not only else {self.villages.get(n) for n in only} - {None}
        if only and not self.only:
            raise RowError("村", "所选的村不在本乡镇")
        doctors = session.execute(
            select(User.id, User.username, User.full_name)
            .where(User.township_id == user.township_id, User.role == ROLE_DOCTOR)).all()
        self.doctors = {d.full_name: d.id for d in doctors} | {d.username: d.id for d in doctors}
        self.first_doctor = dict(session.execute(
            select(doctor_villages.c.village_id, User.id).join(
                User, User.id == doctor_villages.c.user_id)
            .where(User.role == ROLE_DOCTOR, User.active.is_(True))
            .order_by(User.id.desc())).all())  # the last row per village wins: the lowest id
        schedule = session.execute(select(VaccineScheduleDose.vaccine,
                                          VaccineScheduleDose.name_zh)).all()
        self.vaccines = {code: code for code, _ in schedule} | {n: c for c, n in schedule}
        self.batch = record_service.Batch(session, user)
        self.now = now_utc()

    def forget(self) -> None:
        """After a rolled-back row: drop what the record batch cached during it."""
        self.batch = record_service.Batch(self.session, self.user)

    def village(self, name: str | None) -> int:
        """The village a 村 cell names (its name or code)."""
        if name is None or name not in self.villages:
            raise RowError("村", "村名不在本乡镇" if name else "必填项")
        return self.villages[name]

    def doctor(self, name: str | None, village_id: int, column: str = "医生") -> int | None:
        """The doctor a cell names (full name or account name); blank: the village's."""
        if name is None:
            return self.first_doctor.get(village_id)
        if name not in self.doctors:
            raise RowError(column, "不是本乡镇的村医账号")
        return self.doctors[name]


def read_cells(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    """{field: value} of one row; a cell that cannot be read refuses the row."""
    out: dict[str, Any] = {}
    for name, column in kind.columns.items():
        try:
            value = column.read(row.get(name))
        except ValueError as e:
            raise RowError(name, str(e)) from None
        if value is None and column.required:
            raise RowError(name, "必填项")
        out[column.field] = value
    return out


def groups(sheet) -> list[list[tuple[int, dict]]]:
    """The rows applied together: one each, but a child's doses of one day are one
    vaccination check (rows of a group are next to each other once sorted)."""
    if sheet.kind.key != "vaccination":
        return [[r] for r in sheet.rows]

    def key(item):
        cells = item[1]
        return tuple(str(cells.get(c) or "") for c in ("身份证号", "姓名", "出生日期", "村",
                                                       "接种日期"))
    return [list(g) for _, g in groupby(sorted(sheet.rows, key=key), key=key)]


def apply(ctx: Context, kind: Kind, group: list[tuple[int, dict]]) -> str:
    """Apply one group: "stored", "skipped" (already there) or "other_village"."""
    cells = [read_cells(kind, row) for _, row in group]
    village = ctx.village(cells[0]["village"]) if cells[0].get("village") or \
        kind.key in ("household", "resident") else None
    if village is not None and ctx.only is not None and village not in ctx.only:
        return "other_village"
    if kind.key == "household":
        return _household(ctx, cells[0], village)
    if kind.key == "resident":
        return _resident(ctx, cells[0], village)
    resident = _find_resident(ctx, cells[0], village)
    if ctx.only is not None and resident.village_id not in ctx.only:
        return "other_village"
    if kind.key == "condition":
        return _condition(ctx, cells[0], resident)
    return _record(ctx, kind, cells, resident)


def _household(ctx: Context, c: dict, village: int) -> str:
    if ctx.session.scalar(select(Household.id).where(Household.household_no ==
                                                     c["household_no"])) is not None:
        return "skipped"
    if len(c["household_no"]) > 20:
        raise RowError("户编号", "不能超过20个字符")
    body = {k: c[k] for k in ("head_name", "group_no", "house_no", "address", "phone",
                              "low_income") if c.get(k) is not None}
    body.update(village_id=village, id=str(time_ordered_uuid()),
                responsible_doctor_id=ctx.doctor(c["doctor"], village, "责任医生")
                if c.get("doctor") else None)
    data = HouseholdSchema().load(body)
    data["household_no"] = c["household_no"]
    people.create_household(ctx.session, ctx.user, data, ctx.writer, status=IMPORTED)
    return "stored"


_RESIDENT_FIELDS = ("name", "sex", "birth_date", "national_id", "relationship_to_head",
                    "phone", "contact_name", "contact_phone", "residence_type", "permanent",
                    "ethnicity", "record_created_on", "status", "moved_in_on", "moved_out_on",
                    "died_on", "contract_signed_on", "contract_team")


def _resident(ctx: Context, c: dict, village: int) -> str:
    if _existing_resident(ctx, c, village) is not None:
        return "skipped"
    body = {k: c[k] for k in _RESIDENT_FIELDS if c.get(k) is not None}
    body.update(village_id=village, id=str(time_ordered_uuid()))
    if c.get("household_no"):
        hid = ctx.session.scalar(select(Household.id).where(
            Household.household_no == c["household_no"], Household.village_id == village))
        if hid is None:
            raise RowError("户编号", "该村没有此户编号的家庭（请先在家庭表中列出）")
        body["household_id"] = str(hid)
    data = ResidentSchema().load(body)
    people.create_resident(ctx.session, ctx.user, data, ctx.writer, status=IMPORTED)
    return "stored"


def _existing_resident(ctx: Context, c: dict, village: int | None) -> Resident | None:
    if c.get("national_id"):
        try:
            nid = idcard.normalise(c["national_id"])
        except Exception:  # a malformed number: the schema says why, or no one has it
            nid = c["national_id"]
        return ctx.session.scalar(select(Resident).where(Resident.national_id == nid,
                                                         Resident.deleted_at.is_(None)))
    if not (c.get("name") and c.get("birth_date") and village):
        return None
    found = ctx.session.scalars(select(Resident).where(
        Resident.village_id == village, Resident.name == c["name"],
        Resident.birth_date == dt.date.fromisoformat(c["birth_date"]),
        Resident.national_id.is_(None), Resident.deleted_at.is_(None))).all()
    if len(found) > 1:
        raise RowError("姓名", "本村有多人同名同出生日期且无身份证号，无法确定是谁")
    return found[0] if found else None


def _find_resident(ctx: Context, c: dict, village: int | None) -> Resident:
    if not c.get("national_id") and not (c.get("name") and c.get("birth_date") and village):
        raise RowError("身份证号", "须填身份证号，或姓名、出生日期和村")
    resident = _existing_resident(ctx, c, village)
    if resident is None:
        raise RowError("身份证号" if c.get("national_id") else "姓名",
                       "居民不在册（请先在居民表中列出）")
    return resident


def _condition(ctx: Context, c: dict, resident: Resident) -> str:
    new = ConditionSchema().load({k: c[k] for k in ("condition", "diagnosed_on",
                                                    "managed_since", "ended_on")
                                  if c.get(k) is not None})
    held = [{"condition": x.condition, "diagnosed_on": x.diagnosed_on,
             "managed_since": x.managed_since, "ended_on": x.ended_on}
            for x in resident.conditions]
    if any(h["condition"] == new["condition"] and h["managed_since"] == new["managed_since"]
           for h in held):
        return "skipped"
    people.update_resident(ctx.session, ctx.user, resident.id, {"conditions": held + [new]},
                           resident.version, ctx.writer, status=IMPORTED)
    return "stored"


def _record(ctx: Context, kind: Kind, cells: list[dict], resident: Resident) -> str:
    first = cells[0]
    day = first["date"] if kind.key == "vaccination" else first["service_date"]
    if ctx.session.scalar(select(ServiceRecord.id).where(
            ServiceRecord.resident_id == resident.id, ServiceRecord.kind == kind.record_kind,
            ServiceRecord.service_date == dt.date.fromisoformat(day),
            ServiceRecord.deleted_at.is_(None)).limit(1)) is not None:
        return "skipped"
    skip = {"national_id", "name", "birth_date", "village", "entered_at", "doctor"}
    if kind.key == "vaccination":
        body = _vaccination(ctx, cells)
    else:
        body = {k: v for k, v in first.items() if k not in skip and v is not None}
    body.update(kind=kind.record_kind, id=str(time_ordered_uuid()),
                resident_id=str(resident.id), service_date=day)
    body.setdefault("mode", "clinic")
    doctor = ctx.doctor(first.get("doctor"), resident.village_id)
    if doctor is not None:
        body["doctor_id"] = doctor
    data = load_record(body)
    entered = _entered_at(max(c.get("entered_at") or "" for c in cells) or None,
                          data["service_date"], ctx.now)
    row = record_service.prepare_record(ctx.batch, data, None, ctx.now, created_at=entered)
    record_service.insert_records(ctx.session, [row])
    record_service.publish_new_record(ctx.writer, ctx.batch, row, user_id=ctx.user.id,
                                      status=IMPORTED)
    ctx.session.add(RecordEntry(record_id=row["id"], entered_at=entered, clock_skew_s=None,
                                basis=ENTRY_BASIS))
    return "stored"


def _vaccination(ctx: Context, cells: list[dict]) -> dict:
    doses = []
    for c in cells:
        code = ctx.vaccines.get(c["vaccine"])
        if code is None:
            raise RowError("疫苗", f"“{c['vaccine']}”不在免疫规划疫苗表中")
        doses.append({k: v for k, v in {"vaccine": code, "dose_no": c["dose_no"],
                                          "date": c["date"], "lot": c.get("lot"),
                                          "site": c.get("site"), "unit": c.get("unit")}.items()
                      if v is not None})
    return {"doses_given": doses,
            "certificate_present": any(c.get("certificate_present") for c in cells)}


def _entered_at(value: str | None, service_date: dt.date, now: dt.datetime) -> dt.datetime:
    """The source system's entry time, on the server's terms: not before the service
    day began, not in the future; none given: the end of the service day (the record is
    taken as entered on time), or now if that is still to come."""
    day_start = dt.datetime.combine(service_date, dt.time(0, 0), CST)
    if value is None:
        return min(day_start + dt.timedelta(days=1, seconds=-1), now).astimezone(dt.UTC)
    at = dt.datetime.fromisoformat(value)
    if at < day_start:
        raise RowError("录入时间", "录入时间早于服务日期")
    if at > now:
        raise RowError("录入时间", "录入时间晚于现在")
    return at.astimezone(dt.UTC)

