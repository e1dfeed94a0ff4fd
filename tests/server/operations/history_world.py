"""A year (2025) of one township's work, described once and built two ways: synced day by
day by each village's doctor, or imported from the national system's spreadsheet export.

Seeded, so both ways see the same people and records: households, adults with ID
numbers, children without, people on the roll with no health record, a non-permanent
resident, moves in and out, a death, hypertension and diabetes under management (some
from mid-year), quarterly follow-ups in every mode, 65+ checks, vaccination doses, and
entries made late, some after their period closed.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from server.validation.idcard import check_char

CST = dt.timezone(dt.timedelta(hours=8))
YEAR = 2025
SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
VACCINES = (("HepB", "乙肝疫苗", 1, 0), ("HepB", "乙肝疫苗", 2, 1), ("HepB", "乙肝疫苗", 3, 6),
            ("BCG", "卡介苗", 1, 0), ("MMR", "麻腮风疫苗", 1, 8), ("DTaP", "百白破疫苗", 1, 3))


@dataclass
class Person:
    """One resident as the township's roll has them."""

    key: str
    village: str  # the village's key in the town fixture: village_1 / village_2
    household: str
    name: str
    sex: str
    birth: dt.date
    national_id: str | None
    record_created_on: dt.date | None
    permanent: bool = True
    moved_in_on: dt.date | None = None
    moved_out_on: dt.date | None = None
    died_on: dt.date | None = None
    conditions: list[tuple[str, dt.date]] = field(default_factory=list)


@dataclass
class Entry:
    """One record: its kind, resident, service date, fields, and when it was entered."""

    kind: str
    person: str
    day: dt.date
    mode: str
    fields: dict
    entered: dt.datetime  # China time


def _nid(birth: dt.date, serial: int, sex: str) -> str:
    seq = serial * 2 + (1 if sex == "male" else 0)
    first17 = f"511921{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)


def _entered(rng: random.Random, day: dt.date) -> dt.datetime:
    """Most records are entered that evening; some days later, a few weeks later."""
    roll = rng.random()
    delay = 0 if roll < 0.75 else rng.randint(3, 12) if roll < 0.92 else rng.randint(20, 45)
    when = dt.datetime.combine(day + dt.timedelta(days=delay),
                               dt.time(17 + rng.randint(0, 3), rng.randint(0, 59)), CST)
    return min(when, dt.datetime(YEAR + 1, 2, 20, 12, 0, tzinfo=CST))


def build(seed: int = 18, households_per_village: int = 8) -> tuple[
        list[tuple[str, str]], list[Person], list[Entry]]:
    """(households as (key, village), people, records), in a fixed order."""
    rng = random.Random(seed)
    households, people, entries = [], [], []
    names = iter(a + b + c + d for d in ("",) + tuple(GIVEN) for a in SURNAMES for b in GIVEN
                 for c in "一二三")
    serial = 0
    for village in ("village_1", "village_2"):
        for h in range(households_per_village):
            hkey = f"{village}-h{h}"
            households.append((hkey, village))
            for _member in range(rng.randint(2, 4)):
                serial += 1
                kind = rng.choice(("adult", "adult", "elder", "child"))
                birth = {"adult": dt.date(rng.randint(1962, 1990), rng.randint(1, 12), 5),
                         "elder": dt.date(rng.randint(1935, 1960), rng.randint(1, 12), 9),
                         "child": dt.date(rng.randint(2020, 2025), rng.randint(1, 6), 15)}[kind]
                sex = rng.choice(("male", "female"))
                opened = None if rng.random() < 0.2 else \
                    min(max(birth, dt.date(2015, 1, 1)) + dt.timedelta(days=rng.randint(10, 3000)),
                        dt.date(YEAR, 12, 1))
                p = Person(f"p{serial}", village, hkey, next(names), sex, birth,
                           None if kind == "child" else _nid(birth, serial, sex), opened)
                roll = rng.random()
                if roll < 0.05:
                    p.permanent = False
                elif roll < 0.12 and kind != "child":
                    p.moved_out_on = dt.date(YEAR, rng.randint(3, 10), 28)
                elif roll < 0.17 and kind == "elder":
                    p.died_on = dt.date(YEAR, rng.randint(2, 11), 11)
                elif roll < 0.24 and kind != "child":
                    p.moved_in_on = dt.date(YEAR, rng.randint(2, 9), 1)
                if kind in ("adult", "elder") and rng.random() < 0.6:
                    since = dt.date(rng.choice((2019, 2022, YEAR)), rng.randint(1, 8), 1)
                    p.conditions.append((rng.choice(("hypertension", "hypertension",
                                                     "diabetes")), since))
                people.append(p)
                entries += _records(rng, p, kind)
    return households, people, entries


def _present(p: Person, day: dt.date) -> bool:
    return (p.moved_in_on is None or day >= p.moved_in_on) and \
        (p.moved_out_on is None or day <= p.moved_out_on) and \
        (p.died_on is None or day <= p.died_on) and day >= p.birth


def _records(rng: random.Random, p: Person, kind: str) -> list[Entry]:
    out = []
    for condition, since in p.conditions:
        for month in (2, 5, 8, 11):
            day = dt.date(YEAR, month, rng.randint(1, 27))
            if day < since or not _present(p, day) or rng.random() < 0.15:
                continue
            mode = rng.choice(("clinic", "home", "home", "phone"))
            if condition == "hypertension":
                fields = {} if mode == "phone" else {"sbp": rng.randint(118, 165),
                                                     "dbp": rng.randint(70, 98)}
            else:
                fields = {} if mode == "phone" else {
                    "fasting_glucose": round(rng.uniform(5.2, 9.4), 1)}
            out.append(Entry(f"{condition}_followup", p.key, day, mode, fields,
                             _entered(rng, day)))
    if kind == "elder" and rng.random() < 0.7:
        day = dt.date(YEAR, rng.randint(3, 10), rng.randint(1, 27))
        if _present(p, day):
            fields = {"sbp_left": rng.randint(120, 160), "dbp_left": rng.randint(70, 95),
                      "health_assessment": rng.choice(("normal", "abnormal"))}
            if rng.random() < 0.8:
                fields["guidance"] = ["定期随访", "适量运动"]
            out.append(Entry("elderly_health_check", p.key, day, "clinic", fields,
                             _entered(rng, day)))
    if kind == "child":
        for code, _name, dose, months in VACCINES:
            due = _add_months(p.birth, months) + dt.timedelta(days=rng.randint(0, 50))
            if due < dt.date(YEAR - 1, 1, 1) or due > dt.date(YEAR, 12, 31) \
                    or rng.random() < 0.1:
                continue
            out.append(Entry("vaccination_check", p.key, due, "clinic",
                             {"doses_given": [{"vaccine": code, "dose_no": dose,
                                               "date": due.isoformat()}],
                              "certificate_present": True}, _entered(rng, due)))
    return _one_per_day(out)


def _one_per_day(entries: list[Entry]) -> list[Entry]:
    """One record per resident, kind and day (the import's natural key): doses of one day
    are one vaccination check."""
    seen: dict[tuple, Entry] = {}
    for e in entries:
        key = (e.kind, e.day)
        if key in seen and e.kind == "vaccination_check":
            seen[key].fields["doses_given"] += e.fields["doses_given"]
            seen[key].entered = max(seen[key].entered, e.entered)
        elif key not in seen:
            seen[key] = e
    return list(seen.values())


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, min(day.day, 28))


def new_id() -> str:
    """A client-made id for the synced way."""
    return str(uuid.uuid4())
