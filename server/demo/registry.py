"""What happens to a register over the years: deaths, moves, diagnoses, contracts, duplicates.

Shares are drawn exactly (1% deceased, 2% moved out) rather than per person, so the demo's
headline numbers do not wobble from seed to seed.
"""
from __future__ import annotations

import datetime as dt

from server.demo.common import DemoContext, age_on, sample_weighted
from server.demo.population import Population

CONDITION_NAMES_ZH = {"hypertension": "高血压", "diabetes": "2型糖尿病",
                      "mental_disorder": "精神疾病"}
# Registered prevalence by age band: (lowest age of the band, share), oldest band first.
HYPERTENSION_BY_AGE = ((75, 0.56), (65, 0.52), (55, 0.39), (45, 0.23), (35, 0.09), (18, 0.01))
DIABETES_BY_AGE = ((65, 0.17), (55, 0.15), (45, 0.09), (35, 0.035), (18, 0.005))
MANAGEMENT_BEGAN = dt.date(2010, 1, 1)
DAY = dt.timedelta(days=1)


def _event(ctx: DemoContext, pop: Population, resident: dict, kind: str, day: dt.date) -> None:
    """Log a residence event, recorded by the resident's doctor a little after it happened."""
    pop.events.append({
        "resident_id": resident["id"], "kind": kind, "occurred_on": day,
        "from_village_id": resident["village_id"] if kind == "moved_out" else None,
        "to_village_id": resident["village_id"] if kind == "moved_in" else None,
        "recorded_by_id": pop.doctor_of(resident, ctx), "recorded_at": ctx.stored_at(day),
    })


def _after_opening(ctx: DemoContext, resident: dict, earliest: dt.date) -> dt.date:
    """A date from `earliest` (and after the record was opened) to yesterday."""
    start = min(max(earliest, resident["record_created_on"] + DAY), ctx.last_day)
    return ctx.day_between(start, ctx.last_day)


def _deaths_and_moves(ctx: DemoContext, pop: Population) -> None:
    """About 1% died in the past year (mostly the old), 2% moved out (mostly the young)."""
    total = len(pop.residents)
    registered = [r for r in pop.residents if r["residence_type"] == "registered"]
    ages = [age_on(r["birth_date"], ctx.today) for r in registered]
    dead = sample_weighted(ctx.rng, registered,
                           [((a - 40) / 10) ** 3 if a >= 45 else 0 for a in ages],
                           round(0.01 * total))
    for resident in dead:
        resident["status"] = "deceased"
        resident["died_on"] = _after_opening(ctx, resident, ctx.first_day)
        _event(ctx, pop, resident, "deceased", resident["died_on"])
    weights = [0 if r["status"] != "active" else 3 if 18 <= a <= 40 else 1 if a <= 60 else 0.2
               for r, a in zip(registered, ages, strict=True)]
    for resident in sample_weighted(ctx.rng, registered, weights, round(0.02 * total)):
        resident["status"] = "moved_out"
        resident["moved_out_on"] = _after_opening(ctx, resident,
                                                  ctx.today - dt.timedelta(days=730))
        _event(ctx, pop, resident, "moved_out", resident["moved_out_on"])
    for resident in pop.residents:
        if resident["moved_in_on"]:
            _event(ctx, pop, resident, "moved_in", resident["moved_in_on"])


def _register(ctx: DemoContext, pop: Population, resident: dict, condition: str) -> None:
    """Put the resident under management for `condition`, if their dates allow it."""
    rng = ctx.rng
    ended = resident["died_on"] or resident["moved_out_on"]
    upper = ended - DAY if ended else ctx.last_day
    adult = resident["birth_date"] + dt.timedelta(days=18 * 366)
    lower = max(MANAGEMENT_BEGAN, resident["record_created_on"], adult)
    if lower > upper:
        return
    since = ctx.day_between(lower, upper)
    row = {
        "resident_id": resident["id"], "condition": condition,
        "diagnosed_on": (since - dt.timedelta(days=rng.randint(0, 300))
                         if rng.random() < 0.8 else None),
        "managed_since": since, "ended_on": ended,
    }
    pop.conditions.append(row)
    pop.conditions_of.setdefault(resident["id"], {})[condition] = row
    history = resident["past_history"]
    name = CONDITION_NAMES_ZH[condition]
    resident["past_history"] = f"{history}、{name}" if history else name


def _conditions(ctx: DemoContext, pop: Population) -> None:
    """Register hypertension, type-2 diabetes and a few severe mental disorders."""
    rng = ctx.rng
    for resident in pop.residents:
        age = age_on(resident["birth_date"], ctx.today)
        if age < 18:
            continue
        for condition, table in (("hypertension", HYPERTENSION_BY_AGE),
                                 ("diabetes", DIABETES_BY_AGE)):
            share = next(share for low, share in table if age >= low)
            if rng.random() < share:
                _register(ctx, pop, resident, condition)
        if 20 <= age <= 70 and rng.random() < 0.004:
            _register(ctx, pop, resident, "mental_disorder")


def _contracts(ctx: DemoContext, pop: Population) -> None:
    """Family-doctor contracts: most of the priority groups, fewer others; some lapsed."""
    rng = ctx.rng
    village_names = {v.id: v.name for v in ctx.villages}
    for resident in pop.residents:
        if resident["status"] != "active" or not resident["permanent"]:
            continue
        age = age_on(resident["birth_date"], ctx.today)
        chronic = resident["id"] in pop.conditions_of
        if rng.random() >= (0.72 if age >= 65 or chronic or age <= 6 else 0.22):
            continue
        if rng.random() < 0.9:
            signed = ctx.day_between(ctx.first_day, ctx.last_day)
        else:  # one-year term not renewed
            signed = ctx.day_between(ctx.today - dt.timedelta(days=540), ctx.first_day - DAY)
        resident["contract_signed_on"] = max(signed, resident["record_created_on"])
        resident["contract_team"] = village_names[resident["village_id"]] + "家庭医生团队"
        resident["contract_package"] = ("老年人服务包" if age >= 65 else "慢病服务包" if chronic
                                        else "儿童服务包" if age <= 6 else "基础服务包")


def _duplicate(ctx: DemoContext, pop: Population) -> None:
    """An old woman registered twice in one village, the second time without an ID number."""
    village = ctx.villages[0]
    candidates = [r for r in pop.residents
                  if r["village_id"] == village.id and r["sex"] == "female" and r["national_id"]
                  and r["status"] == "active" and 70 <= age_on(r["birth_date"], ctx.today) <= 85]
    original = ctx.rng.choice(candidates)
    pop.next_serial[village.id] += 1
    opened = ctx.day_between(ctx.last_day - dt.timedelta(days=90), ctx.last_day)
    stored = ctx.stored_at(opened)
    duplicate = {
        **original, "id": ctx.new_id(), "household_id": None, "national_id": None,
        "record_no": (ctx.county_code + ctx.township_code + village.code
                      + f"{pop.next_serial[village.id]:05d}"),
        "relationship_to_head": None, "contact_name": None, "contact_phone": None,
        "record_created_on": opened, "contract_team": None, "contract_signed_on": None,
        "contract_package": None, "past_history": None, "created_at": stored,
        "updated_at": stored,
    }
    pop.residents.append(duplicate)
    ctx.anomalies.append({
        "kind": "duplicate_resident", "village": village.name,
        "resident_ids": [str(original["id"]), str(duplicate["id"])],
        "description": f"{original['name']} ({original['birth_date']}) 在{village.name}建档两次,"
                       "第二份无身份证号、无户",
    })


def apply_life_events(ctx: DemoContext, pop: Population) -> None:
    """Deaths, moves, conditions, contracts and one duplicate record, in that order."""
    _deaths_and_moves(ctx, pop)
    _conditions(ctx, pop)
    _contracts(ctx, pop)
    _duplicate(ctx, pop)
