"""Problems planted for the township's authenticity checks (真实性) to find.

Each one is a pattern the township's plans warn about: copied readings, follow-ups typed
in by the dozen before an assessment, records entered months late, a visit to a resident
who had died, and readings at the edge of what is physically possible.
"""
from __future__ import annotations

import datetime as dt

from server.demo import vocab
from server.demo.chronic import URGENT_REFERRAL_BP, URGENT_REFERRAL_HIGH_GLUCOSE, add_visit
from server.demo.common import CST, DemoContext, add_months
from server.demo.population import Population

FOLLOWUP_KINDS = ("hypertension_followup", "diabetes_followup")
COPYING_DOCTOR = "doctor10"  # diligent on paper
BATCH_DOCTOR = "doctor11"  # behind, catches up the night before the quarterly assessment


def _doctor_id(ctx: DemoContext, username: str) -> int:
    """The id of a demo doctor by username."""
    return next(d.id for d in ctx.doctors.values() if d.username == username)


def _followups(ctx: DemoContext, kind: str) -> list[tuple[dict, dict]]:
    """(envelope, form) pairs of one follow-up kind, in generation order."""
    forms = {d["id"]: d for d in ctx.details.get(kind, [])}
    return [(e, forms[e["id"]]) for e in ctx.envelopes if e["kind"] == kind]


def _copied_readings(ctx: DemoContext) -> list[dict]:
    """Three of one doctor's patients with the same 130/80 at every face-to-face visit."""
    doctor_id = _doctor_id(ctx, COPYING_DOCTOR)
    by_patient: dict = {}
    for envelope, form in _followups(ctx, "hypertension_followup"):
        if envelope["doctor_id"] == doctor_id:
            by_patient.setdefault(envelope["resident_id"], []).append((envelope, form))
    # Patients seen quarterly with no two-week revisits, so 'always controlled' fits.
    candidates = [rows for rows in by_patient.values()
                  if sum(e["mode"] != "phone" for e, _ in rows) >= 4
                  and all((b["service_date"] - a["service_date"]).days > 30
                          for (a, _), (b, _) in zip(rows, rows[1:], strict=False))]
    chosen = ctx.rng.sample(candidates, min(3, len(candidates)))
    for rows in chosen:
        weight = next(f["weight_kg"] for _, f in rows if f["weight_kg"])
        for envelope, form in rows:
            envelope["mode"] = "clinic" if envelope["mode"] == "phone" else envelope["mode"]
            form.update(sbp=130, dbp=80, heart_rate=72, weight_kg=weight, symptoms=["无症状"],
                        classification="controlled", adverse_reactions=None,
                        referral_reason=None, referral_to=None,
                        next_visit_date=add_months(envelope["service_date"], 3))
    return [{"kind": "identical_bp_readings", "doctor": COPYING_DOCTOR,
             "resident_ids": [str(rows[0][0]["resident_id"]) for rows in chosen],
             "description": "每次随访血压均为130/80mmHg、心率72、体重不变"}]


def _late_entries(ctx: DemoContext) -> list[dict]:
    """About 1.5% of all records stored 45–150 days after the service date."""
    chosen = sorted(ctx.rng.sample(range(len(ctx.envelopes)), round(0.015 * len(ctx.envelopes))))
    for index in chosen:
        envelope = ctx.envelopes[index]
        envelope["created_at"] = envelope["updated_at"] = ctx.stored_at(
            envelope["service_date"], late=True)
    return [{"kind": "late_entries", "count": len(chosen),
             "record_ids": [str(ctx.envelopes[i]["id"]) for i in chosen[:5]],
             "description": "服务日期后45-150天才录入(仅列前5条)"}]


def _batch_entry(ctx: DemoContext) -> list[dict]:
    """Twenty follow-ups by one doctor stored within the same hour of one evening."""
    rng = ctx.rng
    doctor_id = _doctor_id(ctx, BATCH_DOCTOR)
    quarter_ends = [dt.date(year, month, day) for year in (ctx.today.year - 1, ctx.today.year)
                    for month, day in ((3, 31), (6, 30), (9, 30), (12, 31))]
    night = max(q for q in quarter_ends if q <= ctx.last_day - dt.timedelta(days=14))
    rows = sorted((e for e in ctx.envelopes if e["kind"] in FOLLOWUP_KINDS
                   and e["doctor_id"] == doctor_id and e["service_date"] < night),
                  key=lambda e: e["service_date"], reverse=True)[:20]
    stamp = dt.datetime.combine(night, dt.time(21, 0), CST).astimezone(dt.UTC)
    for envelope in sorted(rows, key=lambda e: e["service_date"]):
        stamp += dt.timedelta(seconds=rng.randint(40, 150))
        envelope["created_at"] = envelope["updated_at"] = stamp
    return [{"kind": "batch_entry", "doctor": BATCH_DOCTOR, "count": len(rows),
             "night": night.isoformat(), "record_ids": [str(e["id"]) for e in rows],
             "description": f"{night}晚21点起约一小时内集中录入{len(rows)}条随访"}]


def _visit_after_death(ctx: DemoContext, pop: Population, patients: dict) -> list[dict]:
    """A home follow-up dated weeks after the patient died."""
    rng = ctx.rng
    latest = ctx.last_day - dt.timedelta(days=15)
    candidates = [r for r in pop.residents if r["status"] == "deceased" and r["died_on"] <= latest
                  and "hypertension" in pop.conditions_of.get(r["id"], {})]
    if not candidates:
        return []
    resident = rng.choice(candidates)
    day = resident["died_on"] + dt.timedelta(
        days=rng.randint(10, min(45, (ctx.last_day - resident["died_on"]).days)))
    conditions = {"hypertension": pop.conditions_of[resident["id"]]["hypertension"]}
    records = add_visit(ctx, patients[resident["id"]], conditions, day, "home",
                        pop.doctor_of(resident, ctx))
    return [{"kind": "service_after_death", "resident_ids": [str(resident["id"])],
             "record_ids": [str(e["id"]) for e, _ in records],
             "description": f"{resident['name']}于{resident['died_on']}死亡,{day}仍有入户随访"}]


def _edge_values(ctx: DemoContext) -> list[dict]:
    """One blood pressure and one glucose just inside the plausible limits."""
    rng = ctx.rng
    bp = rng.choice([(e, f) for e, f in _followups(ctx, "hypertension_followup")
                     if f["sbp"] and f["sbp"] != 130])
    bp[1].update(sbp=288, dbp=156, classification="uncontrolled",
                 referral_reason=URGENT_REFERRAL_BP, referral_to=vocab.REFERRAL_HOSPITAL,
                 next_visit_date=bp[0]["service_date"] + dt.timedelta(days=14))
    sugar = rng.choice([(e, f) for e, f in _followups(ctx, "diabetes_followup")
                        if f["fasting_glucose"]])
    sugar[1].update(fasting_glucose=33.6, classification="uncontrolled",
                    referral_reason=URGENT_REFERRAL_HIGH_GLUCOSE,
                    referral_to=vocab.REFERRAL_HOSPITAL,
                    next_visit_date=sugar[0]["service_date"] + dt.timedelta(days=14))
    return [{"kind": "edge_values", "record_ids": [str(bp[0]["id"]), str(sugar[0]["id"])],
             "description": "血压288/156mmHg;空腹血糖33.6mmol/L(接近不可信界值)"}]


def plant_anomalies(ctx: DemoContext, pop: Population, patients: dict) -> None:
    """Plant every anomaly and describe each in `ctx.anomalies`."""
    ctx.anomalies += _copied_readings(ctx)
    ctx.anomalies += _late_entries(ctx)
    ctx.anomalies += _batch_entry(ctx)  # after the late entries, so they keep their stamps
    ctx.anomalies += _visit_after_death(ctx, pop, patients)
    ctx.anomalies += _edge_values(ctx)
