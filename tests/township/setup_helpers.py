"""Shared by the set-up tests: residents in a set-up township, and a new doctor's phone."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import changelog
from core.models import Household, Resident, Village
from server.extensions import db

NEW_PASSWORD = "Shimen-2026-wl"


def add_residents(app, per_village: dict[str, int]) -> dict[str, set[str]]:
    """`n` residents in each village (by code), published for sync as a history import
    would; returns {village code: resident ids}."""
    out: dict[str, set[str]] = {}
    with app.app_context():
        villages = {v.code: v for v in db.session.scalars(select(Village))}
        residents = []
        for code, n in per_village.items():
            v = villages[code]
            hh = Household(village_id=v.id, address=f"{v.name}1组{n}号", head_name="户主")
            db.session.add(hh)
            db.session.flush()
            for i in range(n):
                residents.append(Resident(household_id=hh.id, village_id=v.id, name=f"居民{i}",
                                          sex="female", birth_date=dt.date(1960, 1, 1 + i)))
            db.session.add_all(residents[-n:])
            db.session.flush()
            out[code] = {str(r.id) for r in residents[-n:]}
        changelog.backfill(db.session)
        db.session.commit()
    return out


def first_phone(app, tmp_path, username: str, one_time: str, name: str = "phone"):
    """A new doctor's first day, as the phone does it: log in with the one-time password,
    choose their own, enrol the phone, sync. Returns the synced reference client."""
    from transport import FlaskTransport

    from sync.client import SyncClient

    web = app.test_client()
    web.environ_base["HTTP_X_REQUESTED_WITH"] = "cunyi"
    r = web.post("/api/auth/login", json={"username": username, "password": one_time})
    assert r.status_code == 200 and r.get_json()["must_change_password"], r.get_json()
    r = web.post("/api/auth/password", json={"current_password": one_time,
                                             "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.get_json()
    client = SyncClient(str(tmp_path / f"{name}.sqlite"), FlaskTransport(app))
    client.enrol(username, NEW_PASSWORD, label=name)
    client.sync()
    return client


def phone_villages(client) -> tuple[set[str], set[str]]:
    """(village codes in the phone's reference data, resident ids it holds)."""
    import json

    reference = json.loads(client._meta("reference"))
    return ({v["code"] for v in reference["villages"]}, set(client.all("resident")))
