"""The township of bench/field_chaos.py, its purges and what its database says at the end.

Runs in the bench's own process, on the database the server uses (after `flask db
upgrade`), through the application factory, so the purge takes the same session and
engine settings as the worker's `purge_job`:

- `build`: one township of four small villages, one doctor per phone (the first two
  phones in different villages, so a resident moved between them is evicted from one and
  arrives on the other), a township staff member, a household and two residents per
  village, published to the sync log as the demo loader does.
- `purge`: the worker's purge of tombstones with a retention of seconds instead of 180
  days, so devices that lag behind meet `reset`.
- `server_facts`: per acknowledged op, whether the server holds what it acknowledged, and
  whether any op or any save was applied twice.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

PASSWORD = "field-chaos-1234"
FAST_HASH = "pbkdf2:sha256:1000"  # bench-only accounts: enrolment is not what is measured
STAFF = "fc_staff"
VILLAGES = ("001", "002", "003", "004")
# Villages (indexes into VILLAGES) each phone's doctor serves; past the list, one each.
PLAN = ((0,), (1,), (0,), (2, 3), (3,))


def villages_of(phone_index: int) -> tuple[int, ...]:
    """The village indexes the doctor of phone `phone_index` serves."""
    return PLAN[phone_index] if phone_index < len(PLAN) else (phone_index % len(VILLAGES),)


def app_for(url: str, secret_key: str):
    """The application on `url` (its engine is made lazily, in the bench's process)."""
    from server import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})


def migrate(app, directory: Path) -> None:
    """`flask db upgrade`, in this process (one interpreter start less)."""
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade(directory=str(directory))


def build(app, phones: int) -> dict[str, Any]:
    """Make the township; return the doctors' usernames and the village ids by index."""
    from core.changelog import backfill
    from core.models import (
        ROLE_DOCTOR,
        ROLE_STAFF,
        County,
        Household,
        Resident,
        Township,
        User,
        Village,
        VillageClinic,
    )
    from server.extensions import db
    from server.services.passwords import hash_password

    names = ("龙泉村", "石板村", "青杠村", "柏树村")
    with app.app_context():
        s = db.session
        county = County(code="511921", name="野外县")
        town = Township(county=county, code="101", name="青峰镇", health_center_name="青峰镇卫生院")
        villages = []
        for code, name in zip(VILLAGES, names, strict=True):
            v = Village(township=town, code=code, name=name)
            v.clinic = VillageClinic(name=name + "卫生室")
            villages.append(v)
        s.add_all([county, town, *villages])
        s.flush()
        pw = hash_password(PASSWORD, FAST_HASH)
        doctors = []
        for i in range(phones):
            served = [villages[k] for k in villages_of(i)]
            name = f"fc_doctor{i + 1:02d}"
            s.add(User(username=name, password_hash=pw, full_name=f"村医{i + 1}", role=ROLE_DOCTOR,
                       township_id=town.id, clinic_id=served[0].clinic.id, villages=served))
            doctors.append(name)
        s.add(User(username=STAFF, password_hash=pw, full_name="镇卫生院", role=ROLE_STAFF,
                   township_id=town.id))
        for k, v in enumerate(villages):
            hh = Household(village_id=v.id, address=f"{v.name}1组{k + 1}号", head_name="张大山")
            s.add(hh)
            s.flush()
            for n, sex in enumerate(("male", "female")):
                s.add(Resident(household_id=hh.id, village_id=v.id, name=f"张{'山水'[n]}",
                               sex=sex, birth_date=dt.date(1950 + n, 3, 7)))
        s.flush()
        backfill(s)
        s.commit()
        return {"doctors": doctors, "village_ids": [v.id for v in villages]}


def purge(app, retention_s: float) -> tuple[int, int]:
    """Purge tombstones older than `retention_s` seconds, as the worker's weekly job does
    with 180 days; returns (rows purged, purged_through)."""
    from core.clock import now_utc
    from core.models import SyncCounter
    from server.extensions import db
    from sync.maintenance import purge_tombstones

    with app.app_context():
        try:
            now = now_utc() - dt.timedelta(seconds=retention_s)
            purged = purge_tombstones(db.session, horizon_days=0, now=now)
            db.session.commit()
            through = db.session.scalar(db.select(SyncCounter.purged_through)) or 0
            return purged, through
        finally:
            db.session.remove()


def server_facts(app, acked: dict[str, tuple[dict, dict]]) -> dict[str, Any]:
    """Check the database against every acknowledged op (`op_id -> (op, result)`).

    Lost: an acknowledged create whose entity is not there, a voiding whose record is not
    voided, a change (a result with a seq) that is not in the log, or an entity whose
    version is below the acknowledged one. Duplicated: an op logged at two versions of one
    entity, or one save (the token a phone writes in it) stored under two ids.
    """
    from core.models import Household, Resident, ServiceRecord, SyncChange
    from server.extensions import db

    models = {"record": ServiceRecord, "resident": Resident, "household": Household}
    lost: list[str] = []
    with app.app_context():
        s = db.session
        try:
            rows = {name: {str(r.id): r for r in s.scalars(db.select(model))}
                    for name, model in models.items()}
            logged = {seq: str(eid) for seq, eid in s.execute(
                db.select(SyncChange.seq, SyncChange.entity_id))}
            for op_id, (op, result) in acked.items():
                row = rows[op["entity"]].get(str(uuid.UUID(op["id"])))
                where = f"{op['entity']} {op['action']} op {op_id}"
                if row is None:
                    lost.append(f"{where}: no such {op['entity']} on the server")
                    continue
                if op["action"] == "delete" and row.deleted_at is None:
                    lost.append(f"{where}: acknowledged voiding, record not voided")
                if (result.get("version") or 0) > row.version:
                    lost.append(f"{where}: acknowledged version {result['version']}, "
                                f"server holds {row.version}")
                seq = result.get("seq")
                if seq is not None and op["action"] != "delete" and \
                        logged.get(seq) != str(row.id):
                    lost.append(f"{where}: seq {seq} is not this entity's change in the log")
            per_op = Counter()
            for op_id, eid, _version in s.execute(
                    db.select(SyncChange.op_id, SyncChange.entity_id, SyncChange.version)
                    .where(SyncChange.op_id.is_not(None)).distinct()):
                per_op[(str(op_id), str(eid))] += 1
            twice = [f"op {op} logged at {n} versions of {eid}"
                     for (op, eid), n in per_op.items() if n > 1]
            tokens = Counter(r.notes for r in rows["record"].values() if r.notes)
            tokens.update(r.past_history for r in rows["resident"].values() if r.past_history)
            twice += [f"save {token!r} stored {n} times" for token, n in tokens.items() if n > 1]
            return {"lost": lost, "duplicated": twice,
                    "records": len(rows["record"]), "residents": len(rows["resident"]),
                    "households": len(rows["household"])}
        finally:
            s.remove()
