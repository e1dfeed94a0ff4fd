"""Golden request/response vectors (sync/vectors/v1.json) pin the protocol down.

The server must answer each recorded request with the recorded response (times masked),
and a client that applies each recorded response must end in the recorded local state.
The phone app's JavaScript client is tested against the same file (tests/pwa/).
Regenerate deliberately, after a protocol change, with REGENERATE_VECTORS=1.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import uuid

from conftest import FAST_HASH, PASSWORD
from sqlalchemy import text

from core import changelog
from core.models import (
    ROLE_DOCTOR,
    ROLE_STAFF,
    County,
    Device,
    Household,
    Resident,
    Township,
    User,
    Village,
    VillageClinic,
)
from server.auth.current import hash_token
from server.extensions import db
from server.services.passwords import hash_password
from sync.client import SyncClient

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "sync" / "vectors" / "v1.json"
VOLATILE = {"server_time", "created_at", "updated_at", "record_created_on", "committed_at"}
TOKEN = "golden-vector-device-token"
DEVICE = uuid.UUID("00000000-0000-4000-8000-00000000d001")
RES = "00000000-0000-4000-8000-00000000a001"
HH = "00000000-0000-4000-8000-00000000b001"


def mask(value):
    """Replace server times (which differ run to run) with a placeholder."""
    if isinstance(value, dict):
        return {k: "<time>" if k in VOLATILE and v is not None else mask(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def seed(app) -> None:
    """A fixed little world with fixed ids, so responses are the same on every database."""
    with app.app_context():
        s = db.session
        county = County(id=901, code="511921", name="向量县")
        town = Township(id=901, county=county, code="101", name="向量镇",
                        health_center_name="向量镇卫生院")
        village = Village(id=901, township=town, code="001", name="向量村")
        village.clinic = VillageClinic(id=901, name="向量村卫生室")
        s.add_all([county, town, village])
        s.flush()
        pw = hash_password(PASSWORD, FAST_HASH)
        doctor = User(id=901, username="vec_doctor", password_hash=pw, full_name="向医生",
                      role=ROLE_DOCTOR, township_id=901, villages=[village])
        staff = User(id=902, username="vec_staff", password_hash=pw, full_name="向公卫",
                     role=ROLE_STAFF, township_id=901)
        s.add_all([doctor, staff])
        s.flush()
        s.add(Device(id=DEVICE, user_id=901, label="golden", token_hash=hash_token(TOKEN)))
        s.add(Household(id=uuid.UUID(HH), village_id=901, address="向量村1组1号",
                        head_name="向大山"))
        s.flush()
        s.add(Resident(id=uuid.UUID(RES), household_id=uuid.UUID(HH), village_id=901,
                       name="向大山", sex="male", birth_date=dt.date(1955, 5, 5),
                       phone="13800000001"))
        s.flush()
        changelog.backfill(s)
        s.commit()
        if db.engine.dialect.name == "postgresql":  # later inserts must not collide
            for table in ("counties", "townships", "villages", "village_clinics", "users"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1000)"))
            s.commit()


def op(n: int, entity: str, action: str, eid: str, base: int, data: dict) -> dict:
    return {"op_id": f"00000000-0000-4000-8000-0000000c{n:04d}", "device_counter": n,
            "entity": entity, "action": action, "id": eid, "base_version": base,
            "device_time": None, "data": data}


FOLLOW_UP = {"kind": "hypertension_followup", "resident_id": RES, "service_date": "2026-10-15",
             "mode": "home", "sbp": 150, "dbp": 95, "medications": [
                 {"drug": "硝苯地平缓释片", "dose": "20mg", "frequency": "bid"}]}


def scenario(client, staff) -> list[dict]:
    """The recorded exchanges, in order: (name, request body, staff action before it)."""
    def req(cursor, push, ref=""):
        return {"protocol": 1, "device_time": None, "cursor": cursor,
                "reference_version": ref, "pull_limit": 1000, "push": push}

    cases = []

    def exchange(name, body):
        r = client.post("/api/sync", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200, r.get_json()
        cases.append({"name": name, "request": body, "response": r.get_json()})
        return r.get_json()

    first = exchange("fresh_device_initial_pull", req(0, []))
    ref, cursor = first["reference_version"], first["cursor"]
    second = exchange("push_accepted_rejected_and_edit", req(cursor, [
        op(1, "record", "create", "00000000-0000-4000-8000-0000000e0001", 0, FOLLOW_UP),
        op(2, "record", "create", "00000000-0000-4000-8000-0000000e0002", 0,
           FOLLOW_UP | {"sbp": 120, "dbp": 130}),
        op(3, "resident", "update", RES, 1, {"allergies": "青霉素"}),
    ], ref))
    exchange("replayed_push_same_results", cases[-1]["request"])
    cursor = second["cursor"]
    exchange("idle_sync", req(cursor, [], ref))
    staff.patch(f"/api/residents/{RES}", json={"version": 2, "phone": "13700000002"})
    conflict = exchange("conflict_on_the_same_field", req(cursor, [
        op(4, "resident", "update", RES, 2, {"phone": "13900000003"}),
    ], ref))
    exchange("push_only", req(conflict["cursor"], [
        op(5, "record", "create", "00000000-0000-4000-8000-0000000e0005", 0,
           FOLLOW_UP | {"sbp": 128, "dbp": 82}),
    ], ref) | {"pull_limit": 0})
    return cases


def client_state(phone: SyncClient) -> dict:
    """What a client holds locally: entity versions, outbox statuses, cursor."""
    return {
        "entities": {f"{e}:{i}": v for e in ("household", "resident", "record")
                     for i, (v, _) in sorted(phone.all(e).items())},
        "outbox": [{"op_id": p["op_id"], "status": p["status"]} for p in phone.pending()],
        "cursor": phone.cursor,
    }


def replay_into_client(cases: list[dict], tmp_path) -> list[dict]:
    """Apply each recorded response to a client whose outbox holds the recorded ops."""
    phone = SyncClient(str(tmp_path / "golden.sqlite"), transport=None)
    states = []
    for case in cases:
        for o in case["request"]["push"]:
            if not phone.db.execute("SELECT 1 FROM outbox WHERE op_id = ?",
                                    (o["op_id"],)).fetchone() and \
                    o["op_id"] not in phone.results():
                phone.db.execute(
                    "INSERT INTO outbox (counter, op_id, entity, action, id, base_version, data,"
                    " device_time) VALUES (?, ?, ?, ?, ?, ?, ?, '')",
                    (o["device_counter"], o["op_id"], o["entity"], o["action"], o["id"],
                     o["base_version"], json.dumps(o["data"])))
        if case["request"]["pull_limit"] == 0:
            phone._apply_push_only(case["response"])
        else:
            phone.apply_response(case["response"])
        states.append(client_state(phone))
    return states


def test_server_answers_match_the_golden_vectors(app, tmp_path):
    seed(app)
    staff = app.test_client()
    staff.post("/api/auth/login", json={"username": "vec_staff", "password": PASSWORD})
    cases = scenario(app.test_client(), staff)
    states = replay_into_client(cases, tmp_path)
    recorded = [{**mask(c), "client_after": s} for c, s in zip(cases, states, strict=True)]
    if os.environ.get("REGENERATE_VECTORS") == "1":
        VECTORS.write_text(json.dumps({"protocol": 1, "cases": recorded}, ensure_ascii=False,
                                      indent=1) + "\n")
    golden = json.loads(VECTORS.read_text())
    assert [c["name"] for c in golden["cases"]] == [c["name"] for c in recorded]
    for want, got in zip(golden["cases"], recorded, strict=True):
        assert got["request"] == want["request"], want["name"]
        assert got["response"] == want["response"], want["name"]
        assert got["client_after"] == want["client_after"], want["name"]


def test_python_client_builds_the_recorded_requests(tmp_path, monkeypatch):
    import sync.client

    golden = json.loads(VECTORS.read_text())
    monkeypatch.setattr(sync.client, "PULL_LIMIT", golden["cases"][1]["request"]["pull_limit"])
    case = golden["cases"][1]
    phone = SyncClient(str(tmp_path / "p.sqlite"), transport=None)
    phone._set_meta("cursor", case["request"]["cursor"])
    phone._set_meta("reference_version", case["request"]["reference_version"])
    body = phone.build_request(case["request"]["push"])
    body["device_time"] = None
    assert body == case["request"]
