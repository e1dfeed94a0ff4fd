"""Vaccination checks (预防接种核查) of children aged 0–6 against the national schedule.

Each child gets a dose history first (the township's clinic gives the doses; birth doses
at the county hospital); a village doctor's check then compares what was due by the check
date with what the card shows, and follows up missed doses with the guardian.
"""
from __future__ import annotations

import datetime as dt

from server.demo import vocab
from server.demo.common import DemoContext, add_months, age_on
from server.demo.population import Population

SHARE_CHECKED = {"diligent": 1.0, "average": 0.9, "behind": 0.7}
OVERDUE_AFTER = dt.timedelta(days=30)  # a dose not given a month after it fell due is missed


def dose_history(ctx: DemoContext, birth: dt.date, migrant: bool) -> list[tuple]:
    """(code, dose number, due date, given date or None) for every scheduled dose."""
    rng = ctx.rng
    history = []
    last_given: dict[str, dt.date | None] = {}
    for code, _, dose_no, months in vocab.VACCINE_SCHEDULE:
        due = add_months(birth, months)
        previous = last_given.get(code, birth)
        if previous is None or rng.random() >= (0.86 if migrant else 0.975):
            given = None  # a missed dose also holds back the later doses of that vaccine
        elif months == 0:
            given = birth + dt.timedelta(days=rng.randint(0, 1))
        else:
            roll = rng.random()
            delay = rng.randint(0, 20) if roll < 0.78 else rng.randint(21, 60) if roll < 0.95 \
                else rng.randint(61, 180)
            given = max(due + dt.timedelta(days=delay),
                        previous + dt.timedelta(days=28) if code in last_given else due)
        last_given[code] = given
        history.append((code, dose_no, due, given))
    return history


def vaccination_check(ctx: DemoContext, resident: dict, history: list[tuple], day: dt.date,
                      first: bool) -> dict:
    """The check form on `day`: doses due and given by then, missed ones, and follow-up."""
    rng = ctx.rng
    migrant = resident["residence_type"] == "non_registered"
    given = [{"vaccine": code, "dose_no": n, "date": g.isoformat(),
              "lot": f"{g:%Y%m}{rng.choice('ABC')}{rng.randint(1, 99):02d}",
              "site": vocab.VACCINE_SITES.get(code, "上臂"),
              "unit": vocab.REFERRAL_HOSPITAL if due == resident["birth_date"]
              else vocab.VACCINATION_UNIT}
             for code, n, due, g in history if g is not None and g <= day]
    missed_rows = [(code, n, g) for code, n, due, g in history
                   if due + OVERDUE_AFTER < day and (g is None or g > day)]
    form = {
        "card_sighted": rng.random() < 0.93,
        "certificate_present": rng.random() < (0.8 if migrant else 0.98),
        "doses_due": [{"vaccine": code, "dose_no": n} for code, n, due, _ in history
                      if due <= day],
        "doses_given": given,
        "missed_doses": [{"vaccine": code, "dose_no": n,
                          "reason": rng.choice(vocab.VACCINE_MISS_REASONS)}
                         for code, n, _ in missed_rows] or None,
        "guardian_notified": False, "notified_via": None, "notified_on": None,
        "notification_outcome": None, "catch_up_result": None,
        "found_by_active_search": migrant and first,
        "school_entry_checked": age_on(resident["birth_date"], day) >= 3 and rng.random() < 0.5,
    }
    if missed_rows and rng.random() < 0.92:
        caught_up = all(g is not None and g <= ctx.last_day for _, _, g in missed_rows)
        form.update(
            guardian_notified=True,
            notified_via=ctx.weighted((("phone", 60), ("home_visit", 30), ("message", 10))),
            notified_on=min(day + dt.timedelta(days=rng.randint(0, 3)), ctx.last_day),
            notification_outcome=rng.choice(vocab.NOTIFICATION_OUTCOMES),
            catch_up_result="已补种" if caught_up else "未补种",
        )
    return form


def generate_vaccination_checks(ctx: DemoContext, pop: Population) -> None:
    """Check every child who is 0–6 during the year: babies twice, older children once."""
    rng = ctx.rng
    seven_years_ago = add_months(ctx.today, -84)
    for resident in pop.residents:
        birth = resident["birth_date"]
        if birth <= seven_years_ago or resident["household_id"] is None:
            continue
        doctor_id = pop.doctor_of(resident, ctx)
        if not resident["permanent"] or rng.random() >= SHARE_CHECKED[
                ctx.doctors[doctor_id].diligence]:
            continue
        ended = resident["died_on"] or resident["moved_out_on"]
        start = max(ctx.first_day, birth + dt.timedelta(days=14), resident["record_created_on"])
        end = min(ctx.last_day, add_months(birth, 84) - dt.timedelta(days=1),
                  ended - dt.timedelta(days=1) if ended else ctx.last_day)
        if start > end:
            continue
        history = dose_history(ctx, birth, resident["residence_type"] == "non_registered")
        count = 2 if age_on(birth, ctx.today) < 2 else 1
        days = sorted(ctx.day_between(start, end) for _ in range(count))
        for i, day in enumerate(days):
            ctx.add_record("vaccination_check", village_id=resident["village_id"],
                           doctor_id=doctor_id, service_date=day,
                           mode=ctx.weighted((("clinic", 55), ("home", 45))),
                           resident_id=resident["id"],
                           detail=vaccination_check(ctx, resident, history, day, i == 0))
