"""Shared state and small helpers of the demo generator: seeded ids, dates, clocks, inserts.

Everything random goes through the one `random.Random` in `DemoContext`, and nothing here
iterates a set or reads the wall clock, so a seed always gives the same rows.
"""
from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

# Doctors work, and the township counts days, on China Standard Time.
CST = dt.timezone(dt.timedelta(hours=8), "CST")
T = TypeVar("T")
PHONE_PREFIXES = ("130", "133", "135", "137", "138", "139", "150", "151", "152", "157", "158",
                  "159", "180", "182", "183", "187", "188", "189")


@dataclass
class Doctor:
    """A demo village doctor and how conscientious their records are."""

    id: int
    username: str
    full_name: str
    village_ids: list[int]
    diligence: str  # "diligent", "average" or "behind"


@dataclass
class VillageInfo:
    """A demo village with the numbers the generators need."""

    id: int
    code: str
    name: str
    target_residents: int
    groups: int
    surnames: str
    doctor_ids: list[int] = field(default_factory=list)


@dataclass
class DemoContext:
    """The seeded generator's state, passed to every generating function."""

    rng: random.Random
    today: dt.date
    county_code: str
    township_code: str
    villages: list[VillageInfo]
    doctors: dict[int, Doctor]
    # service_records envelopes and the matching per-kind rows, in generation order.
    envelopes: list[dict] = field(default_factory=list)
    details: dict[str, list[dict]] = field(default_factory=dict)
    anomalies: list[dict] = field(default_factory=list)

    @property
    def first_day(self) -> dt.date:
        """First service date of the demo year (365 days up to and including today)."""
        return self.today - dt.timedelta(days=364)

    @property
    def last_day(self) -> dt.date:
        """Last service date: yesterday, so nothing looks entered in the future."""
        return self.today - dt.timedelta(days=1)

    @property
    def cutoff(self) -> dt.datetime:
        """The instant the demo data 'was exported': the start of today, China time."""
        return dt.datetime.combine(self.today, dt.time(0, 0), CST)

    def new_id(self) -> uuid.UUID:
        """Return a UUID drawn from the seeded generator (uuid4 would break determinism)."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def weighted(self, pairs: Sequence[tuple[T, float]]) -> T:
        """Pick a value from (value, weight) pairs."""
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights)[0]

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        """Return a uniformly random date in [start, end]."""
        return start + dt.timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def phone(self) -> str:
        """Return a plausible 11-digit mobile number."""
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def stored_at(self, service_date: dt.date, late: bool = False) -> dt.datetime:
        """When the server stored a record of `service_date`: the visit time plus a sync
        delay (phones go offline for days), or months later for a `late` entry."""
        rng = self.rng
        visit = dt.datetime.combine(service_date, dt.time(8, 0), CST)
        visit += dt.timedelta(seconds=rng.randint(0, 9 * 3600 + 1800))
        if late:
            delay = dt.timedelta(days=rng.randint(45, 150), seconds=rng.randint(0, 36_000))
        else:
            roll = rng.random()
            if roll < 0.55:
                delay = dt.timedelta(seconds=rng.randint(60, 3600))
            elif roll < 0.9:
                delay = dt.timedelta(seconds=rng.randint(3600, 2 * 86_400))
            else:
                delay = dt.timedelta(seconds=rng.randint(2 * 86_400, 10 * 86_400))
        stored = min(visit + delay, self.cutoff - dt.timedelta(seconds=rng.randint(60, 3600)))
        return stored.astimezone(dt.UTC)

    def add_record(self, kind: str, *, village_id: int, doctor_id: int, service_date: dt.date,
                   mode: str, detail: dict, resident_id: uuid.UUID | None = None,
                   household_id: uuid.UUID | None = None, notes: str | None = None) -> dict:
        """Queue one field record: the envelope and `detail` (the kind's row) get one id.

        Returns the envelope; `detail` is kept as given, so callers may still amend it."""
        record_id = self.new_id()
        stored = self.stored_at(service_date)
        envelope = {
            "id": record_id, "kind": kind, "resident_id": resident_id,
            "household_id": household_id, "village_id": village_id, "doctor_id": doctor_id,
            "device_id": None, "service_date": service_date, "mode": mode, "notes": notes,
            "evidence": None, "device_created_at": None, "created_at": stored,
            "updated_at": stored, "version": 1, "deleted_at": None,
        }
        detail["id"] = record_id
        self.envelopes.append(envelope)
        self.details.setdefault(kind, []).append(detail)
        return envelope


def sample_weighted(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """Draw k distinct items with probability proportional to weight (Efraimidis–Spirakis)."""
    keyed = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0]
    keyed.sort(reverse=True)
    return [items[i] for _, i in keyed[:k]]


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_months(day: dt.date, months: int) -> dt.date:
    """Return `day` plus whole calendar months (clamped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows with Core executemany.

    A Python None bound to a JSON column is stored as the JSON text 'null', not SQL NULL,
    so JSON keys that are None are dropped and rows are inserted in groups of equal keys.
    """
    json_columns = [c.name for c in table.columns if isinstance(c.type, JSON)]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        clean = {k: v for k, v in row.items() if not (v is None and k in json_columns)}
        groups.setdefault(tuple(clean), []).append(clean)
    for group in groups.values():
        session.execute(insert(table), group)
