"""Hypertension and type-2 diabetes follow-ups (慢病随访) for a year.

How often a patient is seen depends on their doctor: diligent doctors see everyone about
quarterly and bring uncontrolled patients back within two weeks; doctors who are behind
see a patient once or twice, often by phone, which the township may not count.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.demo import vocab
from server.demo.common import DemoContext, add_months, age_on
from server.demo.population import Population

# (first visit offset in days, interval range, chance to skip a planned visit)
SCHEDULES = {"diligent": (35, (82, 92), 0.0), "average": (60, (88, 130), 0.1)}
MODES = {"diligent": (("clinic", 55), ("home", 40), ("phone", 5)),
         "average": (("clinic", 55), ("home", 28), ("phone", 17)),
         "behind": (("clinic", 45), ("home", 20), ("phone", 35))}
REVISIT_UNCONTROLLED = {"diligent": 0.8, "average": 0.4, "behind": 0.1}
FOLLOWED = ("hypertension", "diabetes")
URGENT_REFERRAL_BP = "血压≥180/110mmHg,紧急转诊"
URGENT_REFERRAL_HIGH_GLUCOSE = "空腹血糖≥16.7mmol/L,紧急转诊"


@dataclass
class Patient:
    """What stays fairly stable about a patient over a year of visits."""

    resident: dict
    age: int
    height_cm: float
    weight_kg: float
    bp_controlled: bool
    sbp: float
    dbp: float
    glucose: float
    cigarettes: int
    drinks: float
    exercise: tuple[int, int]
    salt: str
    adherence: str
    bp_drugs: list[dict]
    glucose_drugs: list[dict]
    insulin: str | None


def _drugs(ctx: DemoContext, table: tuple, count: int) -> list[dict]:
    """A regimen of `count` different drugs."""
    return [{"drug": drug, "dose": dose, "frequency": frequency}
            for drug, dose, frequency in ctx.rng.sample(table, count)]


def new_patient(ctx: DemoContext, resident: dict, hypertensive: bool = True) -> Patient:
    """Draw a patient's build, habits, how well controlled they are and their regimen."""
    rng = ctx.rng
    male = resident["sex"] == "male"
    age = age_on(resident["birth_date"], ctx.today)
    height = rng.gauss(165 if male else 154, 5.5) - max(0, age - 60) * 0.08
    bmi = min(max(rng.gauss(24.5, 3.0), 17.5), 36.0)
    # A diabetic without hypertension still has BP taken; it is simply normal.
    controlled = rng.random() < 0.7 or not hypertensive
    adherence = ctx.weighted((("regular", 62), ("intermittent", 30), ("none", 8)) if controlled
                             else (("regular", 40), ("intermittent", 45), ("none", 15)))
    return Patient(
        resident=resident, age=age, height_cm=round(height, 1),
        weight_kg=round(bmi * (height / 100) ** 2, 1), bp_controlled=controlled,
        sbp=rng.gauss(126, 6) if controlled else rng.gauss(147, 7),
        dbp=rng.gauss(77, 5) if controlled else rng.gauss(88, 5),
        glucose=rng.gauss(6.2, 0.45) if rng.random() < 0.55 else rng.gauss(8.4, 1.3),
        cigarettes=(rng.choice((5, 10, 10, 20)) if rng.random() < (0.45 if male else 0.02)
                    else 0),
        drinks=rng.choice((1.0, 1.5, 2.0, 3.0)) if male and rng.random() < 0.3 else 0.0,
        exercise=rng.choice(((0, 0), (3, 30), (5, 30), (7, 30), (7, 60))),
        salt=ctx.weighted((("light", 30), ("moderate", 50), ("heavy", 20))),
        adherence=adherence,
        bp_drugs=_drugs(ctx, vocab.HYPERTENSION_DRUGS, 1 if rng.random() < 0.7 else 2),
        glucose_drugs=_drugs(ctx, vocab.DIABETES_DRUGS, 1 if rng.random() < 0.65 else 2),
        insulin=rng.choice(vocab.INSULINS) if rng.random() < 0.08 else None,
    )


def _reading(ctx: DemoContext, value: float) -> int:
    """A sphygmomanometer reading, with the digit preference for 0 that real ones show."""
    step = 10 if ctx.rng.random() < 0.45 else 2
    return int(round(value / step) * step)


def _vitals(ctx: DemoContext, patient: Patient, mode: str) -> dict:
    """Measurements of one visit; a phone call measures nothing unless self-measured."""
    rng = ctx.rng
    if mode == "phone" and rng.random() < 0.7:
        return {"sbp": None, "dbp": None, "weight": None, "heart_rate": None, "glucose": None}
    if rng.random() < 0.004:  # a hypertensive crisis
        sbp, dbp = rng.randint(180, 206), rng.randint(100, 118)
    else:
        sbp = min(_reading(ctx, patient.sbp + rng.gauss(0, 6)), 198)
        dbp = min(_reading(ctx, patient.dbp + rng.gauss(0, 4)), sbp - 30)
    roll = rng.random()
    glucose = (rng.uniform(16.7, 22.0) if roll < 0.005 else rng.uniform(3.0, 3.8)
               if roll < 0.009 else min(max(patient.glucose + rng.gauss(0, 0.9), 4.1), 15.8))
    return {"sbp": sbp, "dbp": dbp, "heart_rate": min(max(round(rng.gauss(76, 8)), 52), 110),
            "weight": round(patient.weight_kg + rng.gauss(0, 0.7), 1),
            "glucose": round(glucose, 1)}


def _shared_fields(ctx: DemoContext, patient: Patient, vitals: dict, drugs: list[dict],
                   symptoms: tuple[str, ...]) -> dict:
    """The columns both follow-up forms share, except classification and referral."""
    rng = ctx.rng
    weight = vitals["weight"]
    metres = patient.height_cm / 100
    bmi = round(weight / metres**2, 1) if weight else None
    target_weight = round(min(patient.weight_kg, 24.0 * metres**2), 1)
    adherence = patient.adherence if rng.random() < 0.85 else ctx.weighted(
        (("regular", 60), ("intermittent", 35), ("none", 5)))
    return {
        "symptoms": ["无症状"] if rng.random() < 0.72 else rng.sample(symptoms, rng.randint(1, 2)),
        "sbp": vitals["sbp"], "dbp": vitals["dbp"], "weight_kg": weight,
        "target_weight_kg": target_weight, "bmi": bmi,
        "target_bmi": round(min(bmi, 24.0), 1) if bmi else None,
        "heart_rate": vitals["heart_rate"], "cigarettes_per_day": patient.cigarettes,
        "drinks_per_day": patient.drinks, "exercise_times_per_week": patient.exercise[0],
        "exercise_minutes": patient.exercise[1], "salt_intake": patient.salt,
        "mood_adjustment": ctx.weighted((("good", 80), ("fair", 17), ("poor", 3))),
        "compliance": ctx.weighted((("good", 75), ("fair", 22), ("poor", 3))),
        "medication_adherence": adherence, "adverse_reactions": None,
        "medications": [dict(d) for d in drugs], "referral_reason": None, "referral_to": None,
    }


def _classify(ctx: DemoContext, form: dict, drugs: list[dict], controlled: bool,
              urgent_reason: str | None) -> None:
    """Set classification, adverse reactions and referral on a follow-up form."""
    rng = ctx.rng
    reaction = next((vocab.ADVERSE_REACTIONS[d["drug"]] for d in drugs
                     if d["drug"] in vocab.ADVERSE_REACTIONS), None)
    if reaction and rng.random() < 0.03:
        form["classification"], form["adverse_reactions"] = "adverse_reaction", reaction
    elif rng.random() < 0.012:
        form["classification"] = "complication"
        form["referral_reason"] = "出现并发症,转上级医院诊治"
        form["referral_to"] = vocab.REFERRAL_HOSPITAL
    else:
        form["classification"] = "controlled" if controlled else "uncontrolled"
    if urgent_reason:
        form["referral_reason"], form["referral_to"] = urgent_reason, vocab.REFERRAL_HOSPITAL


def hypertension_form(ctx: DemoContext, patient: Patient, vitals: dict) -> dict:
    """A 高血压患者随访 form for one visit."""
    form = _shared_fields(ctx, patient, vitals, patient.bp_drugs, vocab.HYPERTENSION_SYMPTOMS)
    sbp, dbp = vitals["sbp"], vitals["dbp"]
    if sbp is None:  # by phone: the patient's own account
        controlled, urgent = patient.bp_controlled and ctx.rng.random() < 0.9, None
    else:
        limit = 150 if patient.age >= 65 else 140
        controlled = sbp < limit and dbp < 90
        urgent = URGENT_REFERRAL_BP if sbp >= 180 or dbp >= 110 else None
    _classify(ctx, form, patient.bp_drugs, controlled, urgent)
    return form


def diabetes_form(ctx: DemoContext, patient: Patient, vitals: dict, mode: str) -> dict:
    """A 2型糖尿病患者随访 form for one visit."""
    rng = ctx.rng
    form = _shared_fields(ctx, patient, vitals, patient.glucose_drugs, vocab.DIABETES_SYMPTOMS)
    glucose = vitals["glucose"]
    urgent = None
    if glucose is not None and glucose >= 16.7:
        urgent = URGENT_REFERRAL_HIGH_GLUCOSE
    elif glucose is not None and glucose <= 3.9:
        urgent = "血糖≤3.9mmol/L,低血糖紧急转诊"
    controlled = glucose < 7.0 if glucose is not None else patient.glucose < 7.0
    _classify(ctx, form, patient.glucose_drugs, controlled, urgent)
    examined = mode in ("clinic", "home") and glucose is not None
    form.update(
        fasting_glucose=glucose,
        hba1c=(round(min(max((glucose + 2.59) / 1.59 + rng.gauss(0, 0.4), 5.0), 14.0), 1)
               if mode == "clinic" and glucose and rng.random() < 0.2 else None),
        dorsal_foot_pulse=(ctx.weighted((("palpable", 90), ("weakened", 8), ("absent", 2)))
                           if examined else None),
        staple_food_g=rng.choice((250, 300, 300, 350, 400, 450)),
        hypoglycaemia=ctx.weighted((("none", 92), ("occasional", 7), ("frequent", 1))),
        insulin=patient.insulin,
    )
    return form


def _planned(ctx: DemoContext, diligence: str, start: dt.date, end: dt.date,
             fresh: bool) -> list[dt.date]:
    """The year's planned visit dates for one patient of a doctor of this diligence."""
    rng = ctx.rng
    if start > end:
        return []
    if diligence == "behind":
        return sorted(ctx.day_between(start, end) for _ in range(rng.choice((0, 1, 1, 2, 2, 2))))
    first, interval, skip = SCHEDULES[diligence]
    day = start + dt.timedelta(days=rng.randint(0, 14 if fresh else first))
    dates = []
    while day <= end:
        if rng.random() >= skip:
            dates.append(day)
        day += dt.timedelta(days=rng.randint(*interval))
    return dates


def add_visit(ctx: DemoContext, patient: Patient, conditions: dict, day: dt.date, mode: str,
              doctor_id: int) -> list[tuple[dict, dict]]:
    """Record one visit, one form per followed condition; return (envelope, form) pairs."""
    resident = patient.resident
    vitals = _vitals(ctx, patient, mode)
    records = []
    for condition in FOLLOWED:
        row = conditions.get(condition)
        if row is None or row["managed_since"] > day:
            continue
        if condition == "hypertension":
            kind, form = "hypertension_followup", hypertension_form(ctx, patient, vitals)
        else:
            kind, form = "diabetes_followup", diabetes_form(ctx, patient, vitals, mode)
        uncontrolled = form["classification"] != "controlled"
        form["next_visit_date"] = (day + dt.timedelta(days=14) if uncontrolled
                                   else add_months(day, 3))
        envelope = ctx.add_record(kind, village_id=resident["village_id"], doctor_id=doctor_id,
                                  service_date=day, mode=mode, resident_id=resident["id"],
                                  detail=form)
        records.append((envelope, form))
    return records


def generate_followups(ctx: DemoContext, pop: Population) -> dict:
    """Follow up every managed hypertensive and diabetic; return their Patient by id."""
    rng = ctx.rng
    patients = {}
    for resident in pop.residents:
        conditions = {c: row for c, row in pop.conditions_of.get(resident["id"], {}).items()
                      if c in FOLLOWED}
        if not conditions:
            continue
        patient = patients[resident["id"]] = new_patient(ctx, resident,
                                                         "hypertension" in conditions)
        doctor_id = pop.doctor_of(resident, ctx)
        diligence = ctx.doctors[doctor_id].diligence
        since = min(row["managed_since"] for row in conditions.values())
        ended = resident["died_on"] or resident["moved_out_on"]
        start = max(ctx.first_day, since)
        end = min(ctx.last_day, ended - dt.timedelta(days=1)) if ended else ctx.last_day
        if start > end:
            continue
        if resident["permanent"]:
            planned = _planned(ctx, diligence, start, end, fresh=since >= ctx.first_day)
        else:  # working in a city: a phone call now and then
            planned = sorted(ctx.day_between(start, end) for _ in range(rng.choice((0, 1, 2))))
        for day in planned:
            mode = ctx.weighted(MODES[diligence]) if resident["permanent"] else "phone"
            forms = [form for _, form in add_visit(ctx, patient, conditions, day, mode,
                                                   doctor_id)]
            # Uncontrolled: the rule is a revisit within two weeks; not everyone manages it.
            if all(f["classification"] == "controlled" for f in forms) \
                    or rng.random() >= REVISIT_UNCONTROLLED[diligence]:
                continue
            revisit = day + dt.timedelta(days=rng.randint(10, 14))
            if revisit <= end and all(abs((d - revisit).days) > 7 for d in planned):
                add_visit(ctx, patient, conditions, revisit, ctx.weighted(MODES[diligence]),
                          doctor_id)
    return patients
