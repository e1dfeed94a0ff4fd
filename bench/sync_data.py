"""Data for bench/sync_bench.py: the records the phones push, and the extra villages.

Runs in-process against the benchmark's own SQLite file, after `flask db upgrade` and
`flask seed-demo`, before the server starts:

- `followup(i, ...)`: the i-th hypertension follow-up, the same fields and values as the
  anchor's `bench.js` generates (mapped onto our schema), so both systems move the same
  records.
- three small "slow-link" villages, each with one doctor, one household and one resident:
  a fresh device of that doctor holds exactly the 50 records pushed there, plus that
  resident and household.
- one demo village grown to a clinic's year of work (~500 residents, ~8,000 records) by
  copying its own demo records (same kinds, same field sizes) onto other dates, then
  published to the sync log with `core.changelog.backfill`.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy import func, select

SLOW_PASSWORD = "bench-12345678"
FAST_HASH = "pbkdf2:sha256:1000"  # bench-only accounts: enrolment is not what is measured
BIG_VILLAGE_CODE = "010"  # 凉水村 (483 residents in the demo), doctor14 its only doctor
BIG_VILLAGE_DOCTOR = "doctor14"
TODAY = dt.date(2026, 11, 23)  # the demo's fixed "today"

SYMPTOMS = ("无症状", "头痛头晕", "恶心呕吐", "眼花耳鸣", "心悸胸闷", "四肢发麻")


def followup(i: int, resident_id: str, today: dt.date) -> dict[str, Any]:
    """The anchor's followup(i) (bench.js), as our hypertension_followup body (no id)."""
    day = today - dt.timedelta(days=i % 28)
    return {
        "kind": "hypertension_followup",
        "resident_id": resident_id,
        "service_date": day.isoformat(),
        "mode": "home",
        "symptoms": [SYMPTOMS[0]],
        "sbp": 118 + i % 50,
        "dbp": 70 + i % 25,
        "weight_kg": 55 + i % 30,
        "bmi": 22.5,
        "heart_rate": 72,
        "cigarettes_per_day": 0,
        "drinks_per_day": 0,
        "exercise_times_per_week": 3,
        "exercise_minutes": 30,
        "salt_intake": "moderate",
        "medication_adherence": "regular",
        "classification": "controlled",
        "medications": [{"drug": "硝苯地平缓释片", "dose": "20mg", "frequency": "bid"}],
        "next_visit_date": (day + dt.timedelta(days=28)).isoformat(),
        "notes": "按时服药，血压控制良好，嘱低盐饮食。",
    }


def prepare(database_url: str, slow_villages: int, big_records: int,
            seed: int = 7) -> dict[str, Any]:
    """Add the bench villages and grow the big one; publish; return what the bench needs."""
    from server import create_app
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        session = db.session
        slow = _slow_villages(session, slow_villages)
        big = _grow_village(session, big_records, random.Random(seed))
        from core.changelog import backfill

        published = backfill(session)
        session.commit()
        loop_residents = _residents_of_doctor(session, "doctor01")
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            # Setting up wrote tens of megabytes to the WAL: fold them into the database
            # now, so the first timed push does not pay for the setup's checkpoint.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return {"slow": slow, "big": big, "published": published,
            "loop_residents": loop_residents}


def _residents_of_doctor(session, username: str) -> list[str]:
    from core.models import Resident, User, doctor_villages

    user = session.scalar(select(User).where(User.username == username))
    villages = select(doctor_villages.c.village_id).where(doctor_villages.c.user_id == user.id)
    return [str(r) for r in session.scalars(
        select(Resident.id).where(Resident.village_id.in_(villages),
                                  Resident.deleted_at.is_(None),
                                  Resident.birth_date < dt.date(1990, 1, 1))
        .order_by(Resident.record_no))]


def _slow_villages(session, count: int) -> list[dict[str, Any]]:
    """`count` villages of one doctor, one household and one hypertensive resident each."""
    from core.models import (
        ROLE_DOCTOR,
        Household,
        Resident,
        ResidentCondition,
        Township,
        User,
        Village,
        VillageClinic,
    )
    from server.services.passwords import hash_password

    township = session.scalar(select(Township).order_by(Township.id))
    pw = hash_password(SLOW_PASSWORD, FAST_HASH)
    out = []
    for k in range(count):
        village = Village(township_id=township.id, code=f"9{k:02d}", name=f"测速{k + 1}村")
        village.clinic = VillageClinic(name=f"测速{k + 1}村卫生室")
        session.add(village)
        session.flush()
        user = User(username=f"bench_slow{k + 1}", password_hash=pw, full_name=f"测速医生{k + 1}",
                    role=ROLE_DOCTOR, township_id=township.id, clinic_id=village.clinic.id,
                    villages=[village])
        household = Household(village_id=village.id, group_no="1", house_no="1",
                              address=f"测速{k + 1}村1组1号", head_name="张国华",
                              phone="13800138000")
        session.add_all([user, household])
        session.flush()
        resident = Resident(household_id=household.id, village_id=village.id, name="张国华",
                            sex="male", birth_date=dt.date(1956, 4, 12),
                            relationship_to_head="户主", phone="13800138000")
        resident.conditions = [ResidentCondition(condition="hypertension",
                                                 managed_since=dt.date(2018, 5, 1))]
        session.add(resident)
        session.flush()
        out.append({"username": user.username, "password": SLOW_PASSWORD,
                    "village_id": village.id, "resident_id": str(resident.id)})
    return out


def _grow_village(session, target: int, rng: random.Random) -> dict[str, Any]:
    """Copy the big village's own demo records onto other days of the year until it holds
    `target` records. Returns the village's id and counts."""
    from core.models import RECORD_CLASSES, Household, Resident, ServiceRecord, Village
    from server.demo.common import bulk_insert

    village = session.scalar(select(Village).where(Village.code == BIG_VILLAGE_CODE))
    envelope = ServiceRecord.__table__
    have = session.scalar(select(func.count()).select_from(envelope)
                          .where(envelope.c.village_id == village.id))
    born = dict(session.execute(select(Resident.id, Resident.birth_date)
                                .where(Resident.village_id == village.id)).all())
    templates: list[tuple[str, dict, dict]] = []
    for kind, cls in RECORD_CLASSES.items():
        detail = cls.__table__
        stmt = (select(envelope, *[c for c in detail.columns if c.name != "id"])
                .join(detail, detail.c.id == envelope.c.id)
                .where(envelope.c.village_id == village.id, envelope.c.deleted_at.is_(None))
                .order_by(envelope.c.service_date, envelope.c.id))
        env_cols = {c.name for c in envelope.columns}
        for row in session.execute(stmt).mappings():
            row = dict(row)
            templates.append((kind, {k: row[k] for k in env_cols},
                              {k: v for k, v in row.items() if k not in env_cols}))
    first, last = TODAY - dt.timedelta(days=364), TODAY - dt.timedelta(days=1)
    envelopes: list[dict] = []
    details: dict[str, list[dict]] = {}
    for j in range(max(0, target - have)):
        kind, env, detail = templates[j % len(templates)]
        lo = max(first, born.get(env["resident_id"], first))
        day = lo + dt.timedelta(days=rng.randint(0, max(0, (last - lo).days)))
        shift = day - env["service_date"]
        stored = dt.datetime.combine(day, dt.time(rng.randint(1, 10), rng.randint(0, 59)),
                                     dt.UTC)
        new_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        envelopes.append({**env, "id": new_id, "service_date": day, "created_at": stored,
                          "updated_at": stored})
        row = {**detail, "id": new_id}
        if row.get("next_visit_date"):
            row["next_visit_date"] = row["next_visit_date"] + shift
        details.setdefault(kind, []).append(row)
    bulk_insert(session, envelope, envelopes)
    for kind, rows in details.items():
        bulk_insert(session, RECORD_CLASSES[kind].__table__, rows)
    session.flush()
    residents = session.scalar(select(func.count()).select_from(Resident)
                               .where(Resident.village_id == village.id,
                                      Resident.deleted_at.is_(None)))
    households = session.scalar(select(func.count()).select_from(Household)
                                .where(Household.village_id == village.id,
                                       Household.deleted_at.is_(None)))
    return {"village_id": village.id, "name": village.name, "doctor": BIG_VILLAGE_DOCTOR,
            "password": "demo1234", "records": have + len(envelopes), "residents": residents,
            "households": households}
