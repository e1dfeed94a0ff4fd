"""Township metrics benchmark: synthetic townships at scale, recompute times, page latency.

    .venv/bin/python -m bench.metrics_bench --db sqlite:////tmp/bench.sqlite \
        --townships 1 --residents 30000 --records 300000
    .venv/bin/python -m bench.metrics_bench --db "$PG_URL" --townships 17 \
        --residents 500000 --records 5000000 --no-pages
    .venv/bin/python -m bench.metrics_bench --db sqlite:////tmp/bench.sqlite --reuse \
        --per-period --no-pages   # the same data, also timed one period at a time

Data is generated directly with bulk Core inserts (not the demo generator, which aims at
realism over volume): per township 25 villages with one doctor each, households of four,
residents born 1930-2025 (1% died and 2% moved out this year), hypertension in 30% and
diabetes in 10% of those 35+, and records spread over 2025 and 2026 to 23 November:
follow-ups (20% by phone), 65+ checks, vaccination checks, education and household
visits filling the rest. Reports medians of repeated runs; figures go to
docs/benchmarks.md ("Township metrics"). `--per-period` also times the backfill the way it
ran before docs/adr/0026-multi-period-rollups.md (each period its own pass), in the same
run, for a before/after on the same data and the same machine load.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import statistics
import time
import uuid

from sqlalchemy import delete, insert, text

from core.models import (
    ROLE_ADMIN,
    ROLE_DOCTOR,
    County,
    Household,
    MetricPeriod,
    MetricRollup,
    Resident,
    ResidentCondition,
    Township,
    User,
    Village,
    VillageClinic,
    doctor_villages,
)
from core.models.records import RECORD_CLASSES, ServiceRecord
from server import create_app
from server.extensions import db

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
FIRST = dt.date(2025, 1, 1)
VILLAGES = 25
CHUNK = 20_000


def rand_day(rng: random.Random, first: dt.date = FIRST, last: dt.date = TODAY) -> dt.date:
    """A uniformly random day in [first, last]."""
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def flush(session, table, rows: list[dict]) -> None:
    """Insert and forget a chunk of rows."""
    if rows:
        session.execute(insert(table), rows)
        rows.clear()


def generate_township(session, rng: random.Random, county_id: int, n: int, residents: int,
                      records: int) -> int:
    """One township with its villages, doctors, households, residents and records."""
    tw = Township(county_id=county_id, code=f"{n:03d}", name=f"镇{n}",
                  health_center_name=f"镇{n}卫生院")
    session.add(tw)
    session.flush()
    villages, doctors = [], []
    for v in range(VILLAGES):
        village = Village(township_id=tw.id, code=f"{v + 1:03d}", name=f"村{n}-{v + 1}")
        village.clinic = VillageClinic(name=f"村{n}-{v + 1}卫生室")
        session.add(village)
        session.flush()
        doctor = User(username=f"d{n}_{v}", password_hash="x", full_name=f"医生{n}-{v}",
                      role=ROLE_DOCTOR, township_id=tw.id)
        session.add(doctor)
        session.flush()
        session.execute(insert(doctor_villages), [{"user_id": doctor.id,
                                                   "village_id": village.id}])
        villages.append(village.id)
        doctors.append(doctor.id)
    session.add(User(username=f"admin{n}", password_hash="x", full_name="admin", role=ROLE_ADMIN,
                     township_id=tw.id))
    households, people = [], []
    patients: dict[str, list] = {"hypertension": [], "diabetes": []}
    elders, children = [], []
    hh_rows, res_rows, cond_rows = [], [], []
    for i in range(residents):
        vi = i * VILLAGES // residents
        if i % 4 == 0:
            hid = uuid.uuid4()
            households.append((hid, vi))
            hh_rows.append({"id": hid, "village_id": villages[vi], "created_at": NOW,
                            "updated_at": NOW})
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(95 * 365))
        rid = uuid.uuid4()
        roll = rng.random()
        died = rand_day(rng, dt.date(2026, 1, 1)) if roll < 0.01 else None
        moved = rand_day(rng, dt.date(2026, 1, 1)) if 0.01 <= roll < 0.03 else None
        res_rows.append({
            "id": rid, "household_id": households[-1][0], "village_id": villages[vi],
            "name": f"居民{i}", "sex": "male" if i % 2 else "female", "birth_date": born,
            "record_no": f"{n:03d}{i:014d}"[:17], "phone": f"139{i:08d}" if i % 3 else None,
            "record_created_on": dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650)),
            "permanent": rng.random() < 0.95, "died_on": died, "moved_out_on": moved,
            "status": "deceased" if died else "moved_out" if moved else "active",
            "contract_signed_on": rand_day(rng) if rng.random() < 0.4 else None,
            "created_at": NOW, "updated_at": NOW, "residence_type": "registered",
            "pregnant": False, "version": 1})
        people.append((rid, vi))
        age = TODAY.year - born.year
        if age >= 35:
            for cond, share in (("hypertension", 0.30), ("diabetes", 0.10)):
                if rng.random() < share:
                    cond_rows.append({"resident_id": rid, "condition": cond,
                                      "managed_since": dt.date(2018, 1, 1), "ended_on": died})
                    patients[cond].append((rid, vi))
        if age >= 65:
            elders.append((rid, vi))
        if age <= 6:
            children.append((rid, vi))
        if len(res_rows) >= CHUNK:
            flush(session, Household.__table__, hh_rows)
            flush(session, Resident.__table__, res_rows)
    flush(session, Household.__table__, hh_rows)
    flush(session, Resident.__table__, res_rows)
    for start in range(0, len(cond_rows), CHUNK):
        session.execute(insert(ResidentCondition.__table__), cond_rows[start:start + CHUNK])
    _records(session, rng, villages, doctors, households, people, patients, elders, children,
             records)
    session.commit()
    return tw.id


def _records(session, rng, villages, doctors, households, people, patients, elders, children,
             total) -> None:
    """`total` records: follow-ups, checks, education, then household visits to fill."""
    plan = [("hypertension_followup", patients["hypertension"], 9),
            ("diabetes_followup", patients["diabetes"], 9),
            ("elderly_health_check", elders, 1), ("vaccination_check", children, 3)]
    envelopes: list[dict] = []
    details: dict[str, list[dict]] = {k: [] for k in RECORD_CLASSES}

    def add(kind, vi, day, mode, detail, resident=None, household=None):
        rid = uuid.uuid4()
        stored = dt.datetime.combine(day, dt.time(3), dt.UTC) + dt.timedelta(
            minutes=rng.randrange(2000))
        envelopes.append({"id": rid, "kind": kind, "resident_id": resident,
                          "household_id": household, "village_id": villages[vi],
                          "doctor_id": doctors[vi], "service_date": day, "mode": mode,
                          "created_at": stored, "updated_at": stored, "version": 1})
        details[kind].append({"id": rid, **detail})
        if len(envelopes) >= CHUNK:
            _flush_records(session, envelopes, details)

    made = 0
    for kind, group, per in plan:
        for rid, vi in group:
            for _ in range(per):
                day = rand_day(rng)
                if kind == "hypertension_followup":
                    detail = {"sbp": rng.randint(110, 170), "dbp": rng.randint(65, 100),
                              "next_visit_date": day + dt.timedelta(days=90)}
                elif kind == "diabetes_followup":
                    detail = {"fasting_glucose": round(rng.uniform(4.5, 11), 1)}
                elif kind == "elderly_health_check":
                    detail = {"health_assessment": "normal", "guidance": ["定期随访"]}
                else:
                    detail = {"card_sighted": True, "certificate_present": rng.random() < .9,
                              "doses_given": [{"vaccine": "HepB", "dose_no": 1,
                                               "date": day.isoformat()}]}
                mode = "phone" if kind.endswith("followup") and rng.random() < 0.2 else "clinic"
                add(kind, vi, day, mode, detail, resident=rid)
                made += 1
    for vi in range(len(villages)):
        for _ in range(60):
            attendees = [str(p[0]) for p in rng.sample(people, 20)]
            add("education_activity", vi, rand_day(rng), "group",
                {"activity_type": rng.choice(("lecture", "bulletin_board", "consultation")),
                 "place": "村委会", "topic": "健康", "audience_count": 20,
                 "attendee_ids": attendees})
            made += 1
    while made < total:
        hid, vi = households[rng.randrange(len(households))]
        add("household_visit", vi, rand_day(rng), "home", {"services_done": ["测血压"]},
            household=hid)
        made += 1
    _flush_records(session, envelopes, details)


def _flush_records(session, envelopes, details) -> None:
    flush(session, ServiceRecord.__table__, envelopes)
    for kind, rows in details.items():
        flush(session, RECORD_CLASSES[kind].__table__, rows)


def timed(fn, repeat: int) -> list[float]:
    """Seconds of each of `repeat` runs."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    """Generate (unless --reuse), then time recomputes and (optionally) the pages."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--townships", type=int, default=1)
    ap.add_argument("--residents", type=int, default=30_000, help="in all")
    ap.add_argument("--records", type=int, default=300_000, help="in all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reuse", action="store_true", help="keep the data already there")
    ap.add_argument("--no-pages", action="store_true")
    ap.add_argument("--per-period", action="store_true",
                    help="also time the backfill one period at a time (before ADR 0026)")
    args = ap.parse_args()

    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "TESTING": True,
                      "SECRET_KEY": secrets.token_hex(32)})
    from server.metrics import overdue, quality, rollups
    from server.township import jobs

    with app.app_context():
        s = db.session
        if not args.reuse:
            if args.db.startswith("postgresql"):
                s.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                s.commit()
            upgrade()
            rng = random.Random(7)
            started = time.perf_counter()
            county = County(code="511921", name="基准县")
            s.add(county)
            s.flush()
            for n in range(args.townships):
                generate_township(s, rng, county.id, n + 1, args.residents // args.townships,
                                  args.records // args.townships)
                print(f"township {n + 1} generated ({time.perf_counter() - started:.0f} s)",
                      flush=True)
            if args.db.startswith("postgresql"):
                s.execute(text("ANALYZE"))
                s.commit()
        if args.reuse and args.db.startswith("postgresql"):
            # Earlier runs rewrote the rollups and flags; autovacuum would have caught up
            # by the next night, so time a vacuumed database, as after generation.
            s.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        townships = rollups.township_ids(s)
        times: dict[str, list[float]] = {}

        def wipe():
            s.execute(delete(MetricRollup))
            s.execute(delete(MetricPeriod))
            s.commit()

        def full():
            wipe()
            for tid in townships:
                jobs.refresh_township(s, tid, now=NOW)

        def full_per_period():
            wipe()
            for tid in townships:
                quality.refresh_flags(s, tid, now=NOW)
                overdue.refresh_overdue(s, tid, now=NOW)
                cache: dict = {}
                for key in rollups.open_periods(TODAY):
                    rollups.recompute_period(s, tid, key, now=NOW, cache=cache)
                rollups.count_late(s, tid)
                s.commit()

        def nightly():
            for tid in townships:
                jobs.refresh_township(s, tid, now=NOW)

        runs = [("full recompute (checks, overdue, all 33 periods of 2025-2026)", full)]
        if args.per_period:
            runs.append(("full recompute, one period at a time (before ADR 0026)",
                         full_per_period))
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for label, fn in runs:
                times.setdefault(label, []).extend(timed(fn, 1))
        for label, _ in runs:
            print(f"{label}, {len(townships)} township(s): median "
                  f"{statistics.median(times[label]):.1f} s "
                  f"{[round(t, 1) for t in times[label]]}", flush=True)
        nightly_times = timed(nightly, args.repeat)
        print(f"nightly recompute (checks, overdue, open periods only): median "
              f"{statistics.median(nightly_times):.1f} s "
              f"{[round(t, 1) for t in nightly_times]}", flush=True)
    if not args.no_pages:
        pages(app, townships[0])


def pages(app, township_id: int, repeat: int = 40) -> None:
    """p95 latency of each dashboard page through the test client, logged in as admin."""
    import re

    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.township_id == township_id,
                                                        User.role == ROLE_ADMIN))
        pw = admin.password_hash[-16:]
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["pw"] = admin.id, pw
    client.get("/township/")
    urls = ["/township/?period=2026", "/township/?period=2026-Q3",
            "/township/villages?period=2026&indicator=htn_standard",
            "/township/doctors?period=2026-10", "/township/trends?indicator=htn_control",
            "/township/assessment?period=2026-Q3", "/township/quality",
            "/township/periods"]
    for url in urls:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, (url, r.status_code)
            assert re.search(r"<html", r.get_data(as_text=True))
        times.sort()
        p95 = times[int(0.95 * len(times)) - 1]
        print(f"page {url}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms",
              flush=True)


if __name__ == "__main__":
    main()
