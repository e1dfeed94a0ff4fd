"""Fill an empty database with the demo township: places, people, reference data, records.

Usage from a script or a Flask CLI command (this module never imports Flask):

    with Session(engine) as session:
        summary = generate_demo(session)

The same seed and `today` always give the same residents and records (UUIDs come from the
seeded generator). Password hashes differ between runs: werkzeug salts them.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import (
    RECORD_CLASSES,
    ROLE_DOCTOR,
    County,
    Household,
    ResidenceEvent,
    Resident,
    ResidentCondition,
    ServiceRecord,
    Setting,
    Target,
    Township,
    User,
    VaccineScheduleDose,
    Village,
    VillageClinic,
)
from server.demo import vocab
from server.demo.anomalies import plant_anomalies
from server.demo.chronic import generate_followups
from server.demo.common import CST, DemoContext, Doctor, VillageInfo, bulk_insert
from server.demo.elderly import generate_elderly_checks
from server.demo.outreach import generate_education, generate_household_visits
from server.demo.population import Population, populate
from server.demo.registry import apply_life_events
from server.demo.vaccination import generate_vaccination_checks
from server.metrics import keys as K
from server.services.passwords import hash_password

DEFAULT_TODAY = dt.date(2026, 11, 23)  # fixed, so the demo is the same whenever it is built
DEMO_PASSWORD = "demo1234"  # every demo login; this is a demo, not a deployment
TARGETS = (  # keyed by the indicator keys of server/metrics/keys.py
    (K.RECORD_COVERAGE, "min_rate", 0.8),
    (K.RECORD_USE, "min_rate", 0.75),
    (K.HTN_STANDARD, "min_rate", 0.6),
    (K.DM_STANDARD, "min_rate", 0.6),
    (K.HTN_CONTROL, "rising", None),
    (K.DM_CONTROL, "rising", None),
    (K.ELDERLY_MGMT, "min_rate", 0.7),
    (K.VACC_COVERAGE, "min_rate", 0.95),
)
SETTINGS = (
    ("followup_counted_modes", {"modes": ["clinic", "home"]}),
    ("age_thresholds", {"elderly": 65, "bp_relaxed": 65, "bp_first_visit": 35, "child_max": 6}),
)


def _build_tree(session: Session, ctx: DemoContext) -> Township:
    """The county, the township, its villages and their clinics."""
    county = County(code=vocab.COUNTY[0], name=vocab.COUNTY[1])
    code, name, health_center = vocab.TOWNSHIP
    township = Township(county=county, code=code, name=name, health_center_name=health_center,
                        is_demo=True)
    session.add(township)
    for village_code, village_name, size, groups, surnames in vocab.VILLAGES:
        village = Village(township=township, code=village_code, name=village_name)
        village.clinic = VillageClinic(name=village_name + "卫生室")
        session.add(village)
        session.flush()
        ctx.villages.append(VillageInfo(village.id, village_code, village_name, size, groups,
                                        surnames))
    return township


def _build_users(session: Session, ctx: DemoContext, township: Township,
                 password_method: str) -> list[dict]:
    """Doctors and township staff, all with the demo password; returns the login list."""
    # A hash (and so a salt) of its own per account, though the password is the same: with
    # one shared hash, anything keyed on it would be the same for every account.
    def password_hash() -> str:
        return hash_password(DEMO_PASSWORD, method=password_method)

    joined = dt.datetime.combine(ctx.first_day - dt.timedelta(days=60), dt.time(9, 0), CST)
    villages = {v.id: v for v in session.scalars(select(Village))}
    logins = []
    for username, full_name, indexes, diligence in vocab.DOCTORS:
        served = [villages[ctx.villages[i].id] for i in indexes]
        user = User(username=username, password_hash=password_hash(), full_name=full_name,
                    role=ROLE_DOCTOR, township_id=township.id, clinic_id=served[0].clinic.id,
                    phone=ctx.phone(), villages=served, created_at=joined, updated_at=joined)
        session.add(user)
        session.flush()
        ctx.doctors[user.id] = Doctor(user.id, username, full_name, [v.id for v in served],
                                      diligence)
        for i in indexes:
            ctx.villages[i].doctor_ids.append(user.id)
        logins.append({"username": username, "password": DEMO_PASSWORD, "role": ROLE_DOCTOR,
                       "full_name": full_name, "villages": [v.name for v in served]})
    for username, full_name, role in vocab.STAFF:
        session.add(User(username=username, password_hash=password_hash(), full_name=full_name,
                         role=role, township_id=township.id, phone=ctx.phone(),
                         created_at=joined, updated_at=joined))
        logins.append({"username": username, "password": DEMO_PASSWORD, "role": role,
                       "full_name": full_name, "villages": []})
    return logins


def _seed_reference(session: Session, township: Township, year: int) -> None:
    """The immunization schedule, this year's targets and the township's settings."""
    session.add_all(VaccineScheduleDose(vaccine=code, name_zh=name, dose_no=dose,
                                        due_age_months=months, timely_within_months=1)
                    for code, name, dose, months in vocab.VACCINE_SCHEDULE)
    session.add_all(Target(indicator=indicator, township_id=township.id, year=year, kind=kind,
                           value=value) for indicator, kind, value in TARGETS)
    session.add_all(Setting(township_id=township.id, key=key, value=value)
                    for key, value in SETTINGS)


def _insert(session: Session, ctx: DemoContext, pop: Population) -> None:
    """Bulk-insert the generated rows, parents before children."""
    bulk_insert(session, Household.__table__, pop.households)
    bulk_insert(session, Resident.__table__, pop.residents)
    bulk_insert(session, ResidentCondition.__table__, pop.conditions)
    bulk_insert(session, ResidenceEvent.__table__, pop.events)
    bulk_insert(session, ServiceRecord.__table__, ctx.envelopes)
    for kind, model in RECORD_CLASSES.items():
        # Joined-table inheritance: each kind's own columns, keyed by the envelope's id.
        bulk_insert(session, model.__table__, ctx.details.get(kind, []))


def generate_demo(session: Session, seed: int = 20261123, today: dt.date | None = None,
                  password_method: str = "scrypt") -> dict:
    """Write the demo township into an empty database, commit, and return a summary.

    `today` fixes the demo year (the 365 days up to it); it defaults to DEFAULT_TODAY, not
    the wall clock, so a seed always yields the same data.
    """
    if session.scalar(select(func.count()).select_from(County)):
        raise ValueError("generate_demo needs an empty database")
    today = today or DEFAULT_TODAY
    ctx = DemoContext(rng=random.Random(seed), today=today, county_code=vocab.COUNTY[0],
                      township_code=vocab.TOWNSHIP[0], villages=[], doctors={})
    township = _build_tree(session, ctx)
    logins = _build_users(session, ctx, township, password_method)
    _seed_reference(session, township, today.year)
    session.flush()

    pop = populate(ctx)
    apply_life_events(ctx, pop)
    patients = generate_followups(ctx, pop)
    generate_elderly_checks(ctx, pop, patients)
    generate_vaccination_checks(ctx, pop)
    generate_education(ctx, pop)
    generate_household_visits(ctx, pop)
    plant_anomalies(ctx, pop, patients)
    _insert(session, ctx, pop)
    session.commit()

    records = Counter(e["kind"] for e in ctx.envelopes)
    return {
        "seed": seed, "today": today.isoformat(),
        "county": f"{vocab.COUNTY[1]} ({vocab.COUNTY[0]})",
        "township": f"{vocab.TOWNSHIP[1]} ({vocab.TOWNSHIP[0]})",
        "villages": len(ctx.villages), "clinics": len(ctx.villages),
        "doctors": len(ctx.doctors), "staff": len(vocab.STAFF),
        "households": len(pop.households), "residents": len(pop.residents),
        "conditions": dict(Counter(c["condition"] for c in pop.conditions)),
        "records": {kind: records[kind] for kind in RECORD_CLASSES},
        "records_total": len(ctx.envelopes),
        "anomalies": ctx.anomalies,
        "password": DEMO_PASSWORD,
        "logins": logins,
    }
