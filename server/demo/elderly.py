"""Annual health checks of residents aged 65+ (老年人健康体检).

Most checks happen on one or two campaign days per village, when the township's team
comes to the clinic; the rest are done at the clinic or, for the bedridden, at home.
Test results and the assessment agree: any abnormal finding makes the assessment abnormal.
"""
from __future__ import annotations

import datetime as dt

from server.demo.chronic import Patient, new_patient
from server.demo.common import DemoContext, age_on
from server.demo.population import Population

SHARE_CHECKED = {"diligent": 0.86, "average": 0.72, "behind": 0.5}
SYMPTOMS = ("头晕", "视力模糊", "关节肿痛", "手脚麻木", "便秘", "咳嗽", "乏力", "尿频", "失眠")


def _check_span(ctx: DemoContext) -> tuple[dt.date, dt.date]:
    """This calendar year's part of the demo year, unless that is too short for a campaign."""
    start = max(ctx.first_day, dt.date(ctx.today.year, 1, 1))
    if (ctx.last_day - start).days < 60:
        start = ctx.first_day
    return start, ctx.last_day


def _tests(ctx: DemoContext, male: bool, glucose: float) -> dict:
    """Blood and urine routine, liver and kidney function, lipids, ECG and ultrasound."""
    rng = ctx.rng
    return {
        "hemoglobin_g_l": round(rng.gauss(135 if male else 122, 12)),
        "wbc_10e9_l": round(rng.gauss(6.2, 1.3), 1),
        "platelets_10e9_l": round(rng.gauss(210, 45)),
        "urine_protein": ctx.weighted((("-", 88), ("±", 7), ("+", 5))),
        "fasting_glucose_mmol_l": glucose,
        "alt_u_l": round(max(rng.gauss(24, 9), 6)), "ast_u_l": round(max(rng.gauss(26, 8), 8)),
        "creatinine_umol_l": round(max(rng.gauss(82 if male else 64, 18), 35)),
        "urea_mmol_l": round(max(rng.gauss(5.8, 1.4), 2.0), 1),
        "total_cholesterol_mmol_l": round(max(rng.gauss(4.9, 0.9), 2.5), 2),
        "triglycerides_mmol_l": round(rng.lognormvariate(0.35, 0.45), 2),
        "ldl_mmol_l": round(max(rng.gauss(2.9, 0.7), 1.0), 2),
        "hdl_mmol_l": round(max(rng.gauss(1.3, 0.3), 0.6), 2),
        "ecg": "abnormal" if rng.random() < 0.16 else "normal",
        "abdominal_ultrasound": "abnormal" if rng.random() < 0.2 else "normal",
    }


def _findings(ctx: DemoContext, check: dict, tests: dict, conditions: dict) -> list[str]:
    """Problems found, derived from the measurements so the assessment can't contradict them."""
    rng = ctx.rng
    # Known conditions make the check abnormal (体检有异常) even when well controlled.
    problems = [name + "(已纳入管理)" for condition, name in (("hypertension", "高血压"),
                                                             ("diabetes", "2型糖尿病"))
                if condition in conditions]
    if check["sbp_left"] >= 140 or check["dbp_left"] >= 90:
        problems.append("血压控制不佳" if "hypertension" in conditions else "血压偏高,建议复测")
    if check["fasting_glucose"] >= 7.0:
        problems.append("血糖控制不佳" if "diabetes" in conditions else "空腹血糖升高,建议复查")
    if (tests["total_cholesterol_mmol_l"] >= 6.2 or tests["triglycerides_mmol_l"] >= 2.3
            or tests["ldl_mmol_l"] >= 4.1):
        problems.append("血脂异常")
    if tests["hemoglobin_g_l"] < (120 if check["male"] else 110):
        problems.append("轻度贫血")
    if tests["ecg"] == "abnormal":
        problems.append("心电图异常(" + rng.choice(("ST-T改变", "窦性心动过缓", "房性早搏",
                                                   "左心室高电压")) + ")")
    if tests["abdominal_ultrasound"] == "abnormal":
        problems.append("腹部B超异常(" + rng.choice(("脂肪肝", "胆囊结石", "肝囊肿")) + ")")
    if check["bmi"] >= 28:
        problems.append("肥胖")
    return problems


def elderly_check(ctx: DemoContext, resident: dict, patient: Patient | None,
                  conditions: dict) -> dict:
    """The form of one annual check, consistent with the resident's known conditions."""
    rng = ctx.rng
    own = patient or new_patient(ctx, resident)
    male = resident["sex"] == "male"
    if patient and "hypertension" in conditions:
        sbp, dbp = own.sbp + rng.gauss(0, 8), own.dbp + rng.gauss(0, 6)
    else:
        sbp, dbp = rng.gauss(128, 11), rng.gauss(76, 7)
    sbp, dbp = round(sbp), min(round(dbp), round(sbp) - 30)
    glucose = round(own.glucose + rng.gauss(0, 0.8) if "diabetes" in conditions
                    else max(rng.gauss(5.3, 0.55), 3.9), 1)
    weight = round(own.weight_kg + rng.gauss(0, 0.5), 1)
    bmi = round(weight / (own.height_cm / 100) ** 2, 1)
    check = {"male": male, "sbp_left": sbp, "dbp_left": dbp, "fasting_glucose": glucose,
             "bmi": bmi}
    tests = _tests(ctx, male, glucose)
    problems = _findings(ctx, check, tests, conditions)
    guidance = ["定期体检"]
    if set(conditions) & {"hypertension", "diabetes"}:
        guidance.insert(0, "纳入慢性病患者健康管理")
    if problems:
        guidance.append("建议复查")
    if own.cigarettes:
        guidance.append("戒烟")
    if own.drinks:
        guidance.append("健康饮酒")
    guidance += ["饮食", "锻炼"] + (["减体重"] if bmi >= 24 else [])
    if rng.random() < 0.4:
        guidance.append("建议接种流感疫苗")
    care = ctx.weighted(((0, 82), (rng.randint(1, 3), 8), (rng.randint(4, 8), 7),
                         (rng.randint(9, 18), 2.5), (rng.randint(19, 30), 0.5)))
    return {
        "symptoms": ["无症状"] if rng.random() < 0.6 else rng.sample(SYMPTOMS, rng.randint(1, 3)),
        "temperature_c": round(rng.gauss(36.5, 0.2), 1), "pulse": round(rng.gauss(74, 8)),
        "respiration": rng.randint(16, 20), "sbp_left": sbp, "dbp_left": dbp,
        "sbp_right": sbp + rng.choice((-4, -2, 0, 0, 2, 4)),
        "dbp_right": dbp + rng.choice((-2, 0, 0, 2)), "height_cm": own.height_cm,
        "weight_kg": weight, "waist_cm": round(rng.gauss(86 if male else 82, 8), 1), "bmi": bmi,
        "self_rated_health": ctx.weighted((("satisfied", 30), ("fairly_satisfied", 42),
                                           ("unsure", 16), ("fairly_unsatisfied", 10),
                                           ("unsatisfied", 2))),
        "self_care_score": care,
        "cognition_screen": "positive" if rng.random() < 0.07 else "negative",
        "mood_screen": "positive" if rng.random() < 0.05 else "negative",
        "lifestyle": {
            "exercise": ctx.weighted((("daily", 35), ("weekly", 15), ("occasional", 25),
                                      ("never", 25))),
            "diet": ctx.weighted((("balanced", 55), ("salty", 25), ("meat_heavy", 8),
                                  ("vegetarian", 12))),
            "smoking": "current" if own.cigarettes else ctx.weighted((("never", 80),
                                                                      ("former", 20))),
            "cigarettes_per_day": own.cigarettes,
            "drinking": "daily" if own.drinks else ctx.weighted((("never", 75),
                                                                 ("occasional", 25))),
        },
        "organ_function": {
            "vision": "impaired" if rng.random() < 0.25 else "normal",
            "hearing": "not_heard" if rng.random() < 0.1 else "heard",
            "mouth": ctx.weighted((("normal", 40), ("missing_teeth", 45), ("dentures", 15))),
            "motor": "unable" if care >= 9 else "able",
        },
        "tests": tests, "fasting_glucose": glucose,
        "problems_found": ";".join(problems) or None,
        "health_assessment": "abnormal" if problems else "normal", "guidance": guidance,
    }


def generate_elderly_checks(ctx: DemoContext, pop: Population, patients: dict) -> None:
    """Check most residents aged 65+ once this year, mostly on village campaign days."""
    rng = ctx.rng
    start, end = _check_span(ctx)
    campaigns = {v.id: sorted(ctx.day_between(start, end) for _ in range(2)) for v in ctx.villages}
    for resident in pop.residents:
        if age_on(resident["birth_date"], end) < 65 or resident["household_id"] is None:
            continue
        doctor_id = pop.doctor_of(resident, ctx)
        share = SHARE_CHECKED[ctx.doctors[doctor_id].diligence]
        if rng.random() >= (share if resident["permanent"] else 0.08):
            continue
        ended = resident["died_on"] or resident["moved_out_on"]
        last = ended - dt.timedelta(days=1) if ended else end
        first = max(start, resident["record_created_on"])
        days = [d for d in campaigns[resident["village_id"]] if first <= d <= last]
        if days and rng.random() < 0.7:
            day, mode = rng.choice(days), "group"
        elif first <= last:
            day, mode = ctx.day_between(first, last), ctx.weighted((("clinic", 80), ("home", 20)))
        else:
            continue
        conditions = pop.conditions_of.get(resident["id"], {})
        detail = elderly_check(ctx, resident, patients.get(resident["id"]), conditions)
        ctx.add_record("elderly_health_check", village_id=resident["village_id"],
                       doctor_id=doctor_id, service_date=day, mode=mode,
                       resident_id=resident["id"], detail=detail)
