"""Households and residents of the demo township, as a census finds them (all active).

Rows are plain dicts for Core bulk inserts. Identity numbers follow GB 11643 with the
county's own code, since nearly everyone registered here was born here. Deaths, moves and
diagnoses come afterwards, in `server.demo.registry`.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from server.demo import vocab
from server.demo.common import CST, DemoContext, VillageInfo, age_on
from server.demo.households import Member, plan_household, plan_migrant_household
from server.validation.idcard import check_char

GIVEN = {key: names.split() for key, names in vocab.GIVEN_NAMES.items()}
RECORDS_DRIVE = (dt.date(2010, 3, 1), dt.date(2012, 12, 31))  # the big 建档 push


@dataclass
class Population:
    """Everything the record generators need to know about who lives where."""

    households: list[dict] = field(default_factory=list)
    residents: list[dict] = field(default_factory=list)
    conditions: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    doctor_of_household: dict[uuid.UUID, int] = field(default_factory=dict)
    members: dict[uuid.UUID, list[dict]] = field(default_factory=dict)
    conditions_of: dict[uuid.UUID, dict[str, dict]] = field(default_factory=dict)
    next_serial: dict[int, int] = field(default_factory=dict)

    def doctor_of(self, resident: dict, ctx: DemoContext) -> int:
        """The resident's responsible doctor (the village's first for household-less ones)."""
        household_id = resident["household_id"]
        if household_id is None:
            return next(v.doctor_ids[0] for v in ctx.villages if v.id == resident["village_id"])
        return self.doctor_of_household[household_id]


def national_id(ctx: DemoContext, birth: dt.date, sex: str, used: set[str]) -> str:
    """A valid, unused 18-digit number: county, birth date, sequence (odd = male), check."""
    rng = ctx.rng
    while True:
        parity = rng.choice("13579" if sex == "male" else "02468")
        sequence = f"{rng.randint(0, 99):02d}{parity}"
        if sequence == "000":
            continue
        first17 = ctx.county_code + birth.strftime("%Y%m%d") + sequence
        number = first17 + check_char(first17)
        if number not in used:
            used.add(number)
            return number


def _stored(ctx: DemoContext, day: dt.date) -> dt.datetime:
    """Server time of a row opened on `day`: older rows arrived in the initial import."""
    imported = ctx.first_day - dt.timedelta(days=30)
    if day <= imported:
        return dt.datetime.combine(imported, dt.time(10, 0), CST).astimezone(dt.UTC)
    return ctx.stored_at(day)


def _given_name(ctx: DemoContext, birth: dt.date, sex: str) -> str:
    """A given name typical of the person's generation."""
    era = ("old" if birth.year < 1960 else "mid" if birth.year < 1990
           else "young" if birth.year < 2010 else "child")
    return ctx.rng.choice(GIVEN[(era, sex)])


def _surname(ctx: DemoContext, village: VillageInfo) -> str:
    """A surname: half the time one of the village's clans."""
    return ctx.rng.choice(village.surnames if ctx.rng.random() < 0.5 else vocab.SURNAMES)


def _record_opened(ctx: DemoContext, birth: dt.date, moved_in: dt.date | None) -> dt.date:
    """When the resident's health record was opened (建档)."""
    rng = ctx.rng
    if moved_in:
        day = moved_in + dt.timedelta(days=rng.randint(0, 60))
    elif birth >= RECORDS_DRIVE[0]:
        day = birth + dt.timedelta(days=rng.randint(7, 120))
    elif rng.random() < 0.7:
        day = ctx.day_between(*RECORDS_DRIVE)
    else:
        day = ctx.day_between(RECORDS_DRIVE[1], ctx.last_day)
    return min(day, ctx.last_day)


def _resident(ctx: DemoContext, pop: Population, village: VillageInfo,
              household_id: uuid.UUID, member: Member, surname: str, arrived: dt.date | None,
              used: set[str]) -> dict:
    """One resident row of a planned household member; `arrived` is set for migrants."""
    rng = ctx.rng
    migrant = arrived is not None
    birth = ctx.today - dt.timedelta(days=member.age * 365 + member.age // 4
                                     + rng.randint(1, 364))
    age = age_on(birth, ctx.today)
    moved_in = arrived if migrant and birth < arrived else None  # else born here
    # Migrants are registered on a provisional identity; many babies have no number yet.
    no_id = (migrant and rng.random() < 0.9) or (age <= 1 and rng.random() < 0.35)
    phone_share = 0.0 if age < 16 else 0.82 if age < 60 else 0.5 if age < 70 else 0.3
    pop.next_serial[village.id] += 1
    opened = _record_opened(ctx, birth, moved_in)
    stored = _stored(ctx, opened)
    name_surname = ctx.rng.choice(vocab.SURNAMES) if member.own_surname else surname
    return {
        "id": ctx.new_id(), "household_id": household_id, "village_id": village.id,
        "record_no": (ctx.county_code + ctx.township_code + village.code
                      + f"{pop.next_serial[village.id]:05d}"),
        "name": name_surname + _given_name(ctx, birth, member.sex), "sex": member.sex,
        "birth_date": birth,
        "national_id": None if no_id else national_id(ctx, birth, member.sex, used),
        "relationship_to_head": member.relationship,
        "phone": ctx.phone() if rng.random() < phone_share else None,
        "contact_name": None, "contact_phone": None,
        "residence_type": "non_registered" if migrant else "registered",
        "permanent": not member.away, "ethnicity": None,
        "blood_type": ctx.weighted(vocab.BLOOD_TYPES),
        "payment_type": ctx.weighted(vocab.PAYMENT_TYPES),
        "allergies": ctx.weighted((("无", 90), ("青霉素", 6), ("磺胺类", 2), ("头孢类", 2))),
        "past_history": None, "family_history": (
            rng.choice(("高血压(父亲)", "高血压(母亲)", "糖尿病(母亲)", "脑卒中(父亲)"))
            if rng.random() < 0.15 else None),
        "disability": (rng.choice(("肢体残疾", "视力残疾", "听力残疾", "智力残疾"))
                       if rng.random() < 0.03 else None),
        "pregnant": member.sex == "female" and 20 <= age <= 38 and rng.random() < 0.04,
        "status": "active", "moved_in_on": moved_in, "moved_out_on": None, "died_on": None,
        "record_created_on": opened, "contract_team": None, "contract_signed_on": None,
        "contract_package": None, "version": 1, "deleted_at": None,
        "created_at": stored, "updated_at": stored,
    }


def _add_contacts(ctx: DemoContext, rows: list[dict], surname: str) -> None:
    """Give most children, elderly and phoneless people a contact to call for verification."""
    rng = ctx.rng
    for row in rows:
        age = age_on(row["birth_date"], ctx.today)
        needs = row["phone"] is None or age < 18 or age >= 60
        if rng.random() >= (0.85 if needs else 0.35):
            continue
        others = [r for r in rows if r is not row and r["phone"]]
        if others:
            contact = rng.choice(others)
            row["contact_name"], row["contact_phone"] = contact["name"], contact["phone"]
        else:  # a son or daughter working in a city
            row["contact_name"] = surname + rng.choice(GIVEN[("mid", rng.choice(
                ("male", "female")))])
            row["contact_phone"] = ctx.phone()


def _populate_village(ctx: DemoContext, pop: Population, village: VillageInfo,
                      used: set[str]) -> None:
    """Add households to `village` until it reaches its target size."""
    rng = ctx.rng
    pop.next_serial[village.id] = 0
    house_numbers = [0] * village.groups
    count = households_here = 0
    while count < village.target_residents:
        migrant = rng.random() < 0.03
        plan = plan_migrant_household(rng) if migrant else plan_household(rng)
        group = rng.randint(1, village.groups)
        house_numbers[group - 1] += 1
        house = house_numbers[group - 1]
        household_id = ctx.new_id()
        households_here += 1
        surname = _surname(ctx, village)
        ethnicity = ctx.weighted(vocab.ETHNICITIES)
        arrived = ctx.day_between(ctx.today - dt.timedelta(days=3 * 365),
                                  ctx.last_day - dt.timedelta(days=30)) if migrant else None
        rows = [_resident(ctx, pop, village, household_id, m, surname, arrived, used)
                for m in plan]
        for row in rows:  # a minority household may have a Han member married in
            row["ethnicity"] = ethnicity if rng.random() < 0.97 else "汉族"
        _add_contacts(ctx, rows, surname)
        # Two-doctor villages split the groups (包组) between the doctors.
        doctors = village.doctor_ids
        doctor = doctors[0] if group <= village.groups // 2 or len(doctors) == 1 else doctors[1]
        stored = min(r["created_at"] for r in rows)
        pop.households.append({
            "id": household_id, "village_id": village.id,
            "household_no": (ctx.county_code + ctx.township_code + village.code
                             + f"{households_here:04d}"),
            "group_no": str(group), "house_no": str(house),
            "address": f"{village.name}{group}组{house}号", "head_name": rows[0]["name"],
            "phone": next((r["phone"] for r in rows if r["phone"]), None),
            "kitchen_ventilation": "有" if rng.random() < 0.74 else "无",
            "fuel": ctx.weighted(vocab.FUELS), "drinking_water": ctx.weighted(vocab.WATERS),
            "toilet": ctx.weighted(vocab.TOILETS), "animal_pen": ctx.weighted(vocab.ANIMAL_PENS),
            "low_income": rng.random() < (0.16 if len(rows) == 1 else 0.055),
            "responsible_doctor_id": doctor, "version": 1, "deleted_at": None,
            "created_at": stored, "updated_at": stored,
        })
        pop.doctor_of_household[household_id] = doctor
        pop.members[household_id] = rows
        pop.residents += rows
        count += len(rows)


def populate(ctx: DemoContext) -> Population:
    """Build every village's households and residents (all active, before life events)."""
    pop = Population()
    used: set[str] = set()  # membership tests only: iterating a set would break determinism
    for village in ctx.villages:
        _populate_village(ctx, pop, village, used)
    return pop
