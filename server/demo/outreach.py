"""Health education (健康教育活动) per village and household visits (入户随访).

The township's plan asks for a lecture and a bulletin-board update every month and a
public consultation on the big health days; how much of that happens depends on the
clinic's doctor.
"""
from __future__ import annotations

import datetime as dt

from server.demo import vocab
from server.demo.common import DemoContext, VillageInfo, add_months, age_on
from server.demo.population import Population

LECTURE_SHARE = {"diligent": 0.95, "average": 0.8, "behind": 0.45}
BOARD_SHARE = {"diligent": 0.95, "average": 0.6, "behind": 0.35}
CONSULTATION_SHARE = {"diligent": 0.95, "average": 0.75, "behind": 0.5}
VISIT_SHARE = {"diligent": 0.55, "average": 0.38, "behind": 0.2}


def _months(ctx: DemoContext) -> list[tuple[dt.date, dt.date]]:
    """(first, last) service dates of each calendar month overlapping the demo year."""
    spans = []
    month = ctx.first_day.replace(day=1)
    while month <= ctx.last_day:
        following = add_months(month, 1)
        spans.append((max(month, ctx.first_day),
                      min(following - dt.timedelta(days=1), ctx.last_day)))
        month = following
    return spans


def _audience_type(topic: str) -> str:
    """Who a topic is aimed at."""
    if any(word in topic for word in ("高血压", "糖尿病", "心")):
        return "慢病患者及家属"
    if any(word in topic for word in ("老年", "重阳")):
        return "老年人"
    if any(word in topic for word in ("接种", "手足口", "溺水")):
        return "儿童家长"
    return "村民"


def _session(ctx: DemoContext, village: VillageInfo, doctor_id: int, day: dt.date,
             activity: str, topic: str, place: str, audience: int, attendees: list[str] | None,
             presenter: str | None) -> None:
    """Queue one education activity (a group record: no resident)."""
    rng = ctx.rng
    materials = None
    if activity in ("lecture", "consultation"):
        materials = [{"kind": kind, "quantity": rng.randint(20, 60) if activity == "lecture"
                      else rng.randint(100, 300)}
                     for kind in rng.sample(vocab.MATERIALS, rng.randint(1, 2))]
    board = activity == "bulletin_board"
    ctx.add_record("education_activity", village_id=village.id, doctor_id=doctor_id,
                   service_date=day, mode="group", detail={
                       "activity_type": activity, "place": place, "topic": topic,
                       "presenter": presenter, "audience_type": None if board
                       else _audience_type(topic),
                       "audience_count": audience, "attendee_ids": attendees,
                       "materials": materials, "board_id": f"{village.code}-1" if board else None,
                   })


def _village_education(ctx: DemoContext, village: VillageInfo, adults: list[str]) -> None:
    """A year of lectures, board updates, consultations and video sessions in one village."""
    rng = ctx.rng
    lead = ctx.doctors[village.doctor_ids[0]].diligence
    for i, (first, last) in enumerate(_months(ctx)):
        doctor = ctx.doctors[village.doctor_ids[i % len(village.doctor_ids)]]
        topic = rng.choice(vocab.MONTH_TOPICS[first.month])
        if rng.random() < LECTURE_SHARE[lead]:
            audience = rng.randint(12, 45)
            signed = rng.sample(adults, min(len(adults), int(audience * rng.uniform(0.5, 0.9))))
            _session(ctx, village, doctor.id, ctx.day_between(first, last), "lecture", topic,
                     rng.choice(vocab.LECTURE_PLACES), audience, signed, doctor.full_name)
        if rng.random() < BOARD_SHARE[lead]:
            _session(ctx, village, doctor.id, ctx.day_between(first, last), "bulletin_board",
                     topic, "村卫生室宣传栏", 0, None, doctor.full_name)
        if lead == "diligent" and rng.random() < 0.3:
            _session(ctx, village, doctor.id, ctx.day_between(first, last), "audio_visual",
                     topic, "村卫生室候诊区", rng.randint(5, 20), None, None)
        for month, day_of_month, health_day in vocab.CONSULTATION_DAYS:
            day = dt.date(first.year, month, day_of_month)
            if first <= day <= last and rng.random() < CONSULTATION_SHARE[lead]:
                _session(ctx, village, doctor.id, day, "consultation", health_day + "义诊咨询",
                         rng.choice(("村文化广场", "集市")), rng.randint(40, 150), None,
                         doctor.full_name + "、青峰镇中心卫生院")


def generate_education(ctx: DemoContext, pop: Population) -> None:
    """Education activities for every village; lectures keep a sign-in list of residents."""
    for village in ctx.villages:
        adults = [str(r["id"]) for r in pop.residents
                  if r["village_id"] == village.id and r["status"] == "active"
                  and r["permanent"] and age_on(r["birth_date"], ctx.today) >= 18]
        _village_education(ctx, village, adults)


def _problems(ctx: DemoContext, household: dict, present: list[dict], seen: list[dict],
              conditions_of: dict) -> list[str]:
    """Problems a visit could plausibly note in this household, given what is on record."""
    found = []
    if household["toilet"] in ("露天粪坑", "简易棚厕"):
        found.append("使用旱厕,建议改厕")
    if household["drinking_water"] == "井水":
        found.append("饮用井水,建议煮沸后饮用")
    if len(present) == 1 and age_on(present[0]["birth_date"], ctx.today) >= 65:
        found.append("老人独居,行动不便")
    if any("hypertension" in conditions_of.get(r["id"], {}) for r in seen):
        found.append("血压控制不佳,建议复诊")
    return found


def generate_household_visits(ctx: DemoContext, pop: Population) -> None:
    """Visit a share of households, more of those with elderly, patients or small children."""
    rng = ctx.rng
    for household in pop.households:
        present = [r for r in pop.members[household["id"]]
                   if r["status"] == "active" and r["permanent"]]
        if not present:
            continue
        doctor_id = household["responsible_doctor_id"]
        ages = [age_on(r["birth_date"], ctx.today) for r in present]
        priority = (household["low_income"] or any(a >= 65 or a <= 6 for a in ages)
                    or any(r["id"] in pop.conditions_of for r in present))
        if rng.random() >= VISIT_SHARE[ctx.doctors[doctor_id].diligence] + 0.15 * priority:
            continue
        count = 2 if rng.random() < 0.15 else 1
        for day in sorted(ctx.day_between(ctx.first_day, ctx.last_day) for _ in range(count)):
            on_record = [r for r in present if r["record_created_on"] <= day]
            if not on_record:
                continue
            seen = rng.sample(on_record, rng.randint(1, len(on_record)))
            services = rng.sample(vocab.HOUSEHOLD_SERVICES, rng.randint(1, 3))
            candidates = _problems(ctx, household, present, seen, pop.conditions_of)
            ctx.add_record("household_visit", village_id=household["village_id"],
                           doctor_id=doctor_id, service_date=day, mode="home",
                           household_id=household["id"], detail={
                               "members_seen": [str(r["id"]) for r in seen],
                               "services_done": services,
                               "problems_found": (rng.choice(candidates)
                                                  if candidates and rng.random() < 0.3
                                                  else None),
                               "next_visit_date": (add_months(day, rng.choice((3, 6)))
                                                   if rng.random() < 0.7 else None),
                           })
