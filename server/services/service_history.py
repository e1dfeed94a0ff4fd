"""A resident's whole service history as staff verify it: every follow-up and check with its
values, date and mode, who recorded it on which phone, when the server stored it and when
it was entered (docs/adr/0050-entry-time.md), and every correction or void from the sync
log, which keeps each version of each record (core/changelog.py).

Flask-free: takes a session, returns plain dicts for the township's pages.
"""
from __future__ import annotations

import json
import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, with_polymorphic

from core.models import Device, RecordEntry, Resident, ServiceRecord, SyncChange, User, Village

# What a page shows of each kind of record: a few fields that say what was found.
VALUES: dict[str, tuple[str, ...]] = {
    "hypertension_followup": ("bp", "heart_rate", "weight_kg", "classification",
                              "medication_adherence"),
    "diabetes_followup": ("fasting_glucose", "hba1c", "bp", "classification",
                          "medication_adherence"),
    "elderly_health_check": ("bp_left", "bmi", "fasting_glucose", "health_assessment"),
    "vaccination_check": ("doses_given", "missed_doses", "card_sighted"),
    "household_visit": ("services_done", "problems_found"),
    "education_activity": ("activity_type", "topic", "place", "audience_count"),
}
# Server bookkeeping that changes with every version and says nothing about the edit.
NOISE = {"updated_at", "version", "created_at", "deleted_at"}
# Why the author corrected or voided the record (sync.record_changes, ADR 0066): kept in the
# change row, shown as the version's reason rather than as a changed field.
REASON = "change_reason"


def values_of(record: ServiceRecord) -> list[tuple[str, str]]:
    """[(field, shown value)] of a record's main findings, empty ones left out."""
    out = []
    for field in VALUES.get(record.kind, ()):
        if field in ("bp", "bp_left"):
            side = "" if field == "bp" else "_left"
            sbp, dbp = getattr(record, "sbp" + side, None), getattr(record, "dbp" + side, None)
            value = f"{sbp}/{dbp}" if sbp is not None else None
        else:
            value = getattr(record, field, None)
        if isinstance(value, list):
            value = len(value) if value and isinstance(value[0], dict) else \
                "、".join(str(v) for v in value)
        if value is None or value == "" or value == []:
            continue
        out.append((field, str(value)))
    return out


def _versions(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """{record_id: its versions from the sync log, oldest first, each with who, which
    phone, when, and the fields it changed}."""
    if not ids:
        return {}
    rows = session.execute(
        select(SyncChange, User.full_name, Device.label)
        .outerjoin(User, User.id == SyncChange.user_id)
        .outerjoin(Device, Device.id == SyncChange.device_id)
        .where(SyncChange.entity_id.in_(ids), SyncChange.entity == "record",
               SyncChange.op != "evict")
        .order_by(SyncChange.seq)).all()
    out: dict[uuid.UUID, list[dict]] = {i: [] for i in ids}
    previous: dict[uuid.UUID, dict] = {}
    for change, who, device in rows:
        logged = json.loads(change.payload)
        payload = logged if change.op == "upsert" else {}
        before = previous.get(change.entity_id, {})
        if change.op == "upsert" and before.get("version") == payload.get("version"):
            continue  # the same version re-published for a move, not an edit
        changed = {k: (before.get(k), payload.get(k)) for k in sorted(set(payload) | set(before))
                   if k not in NOISE and k != REASON and payload.get(k) != before.get(k)} \
            if change.op == "upsert" and before else {}
        out[change.entity_id].append({
            "version": change.version, "op": change.op, "at": change.committed_at,
            "who": who, "device": device, "status": change.status, "changed": changed,
            "reason": logged.get(REASON)})
        if change.op == "upsert":
            previous[change.entity_id] = payload
    return out


def _rows(session: Session, where) -> list[dict]:
    """Records matching `where`, newest service first, with everything a page shows."""
    poly = with_polymorphic(ServiceRecord, "*")
    records = session.scalars(select(poly).where(where)
                              .order_by(poly.service_date.desc(), poly.created_at.desc())).all()
    ids = [r.id for r in records]
    doctors = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_({r.doctor_id for r in records}))).all()) if records else {}
    devices = dict(session.execute(select(Device.id, Device.label).where(
        Device.id.in_({r.device_id for r in records if r.device_id}))).all()) if records else {}
    entries = dict(session.execute(select(RecordEntry.record_id, RecordEntry.entered_at)
                                   .where(RecordEntry.record_id.in_(ids))).all()) if ids else {}
    versions = _versions(session, ids)
    out = []
    for r in records:
        logged = versions.get(r.id, [])
        out.append({
            "id": r.id, "kind": r.kind, "service_date": r.service_date, "mode": r.mode,
            "village_id": r.village_id, "resident_id": r.resident_id,
            "household_id": r.household_id, "values": values_of(r), "notes": r.notes,
            "doctor": doctors.get(r.doctor_id), "device": devices.get(r.device_id),
            "stored_at": r.created_at, "entered_at": entries.get(r.id, r.created_at),
            "device_clock": r.device_created_at, "updated_at": r.updated_at,
            "version": r.version, "voided": r.deleted_at is not None or
            any(v["op"] == "delete" for v in logged),
            "voided_at": r.deleted_at, "corrected": r.version > 1,
            "versions": logged,
        })
    return out


def resident_history(session: Session, resident: Resident) -> list[dict]:
    """Every record about a resident, voided ones too, and the visits to their household."""
    sr = ServiceRecord
    about = sr.resident_id == resident.id
    if resident.household_id is not None:
        about = or_(about, (sr.household_id == resident.household_id)
                    & (sr.kind == "household_visit"))
    return _rows(session, about)


def record_in_township(session: Session, township_id: int, record_id: uuid.UUID) \
        -> dict | None:
    """One record with its history, or None when it is not in the township."""
    rows = _rows(session, ServiceRecord.id == record_id)
    if not rows:
        return None
    village = session.get(Village, rows[0]["village_id"])
    return rows[0] if village is not None and village.township_id == township_id else None
