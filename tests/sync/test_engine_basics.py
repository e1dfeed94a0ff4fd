"""The sync exchange end to end through the reference client and the Flask app."""
from __future__ import annotations

import gzip
import json

import pytest
from conftest import PASSWORD
from records_factory import record_body
from sqlalchemy import func, select

from core.models import ServiceRecord, SyncChange
from server.extensions import db
from sync.client import DeviceRevoked, SyncError


def count_records(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ServiceRecord.id)))


def test_fresh_device_pulls_its_villages_and_reference(app, town, phone):
    a = phone(synced=False)
    stats = a.sync()
    assert stats["requests"] == 1
    residents = a.all("resident")
    assert {d["name"] for _, d in residents.values()} == {"张三丰"}
    ref = json.loads(a._meta("reference"))
    assert [v["name"] for v in ref["villages"]] == ["龙泉村"]
    assert ref["user"]["username"] == "doctor_a"


def test_push_a_days_work_in_one_request(app, town, phone):
    a = phone(synced=False)
    a.sync()
    ids = [a.create("record", record_body(town, sbp=120 + i)) for i in range(50)]
    stats = a.sync()
    assert stats["requests"] == 1 and stats["pushed"] == 50
    assert a.pending() == []
    assert count_records(app) == 50
    statuses = {r["status"] for r in a.results().values()}
    assert statuses == {"accepted"}
    assert all(a.get("record", i)[0] == 1 for i in ids)


def test_idle_sync_is_one_small_request(app, town, phone):
    a = phone(synced=False)
    a.sync()
    transport = a.transport
    before = len(transport.log)
    stats = a.sync()
    assert stats == {"requests": 1, "pushed": 0, "pulled": 0, "rejected": 0}
    path, body, headers = transport.log[before]
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < 200
    assert a.last_response["reference"] is None  # unchanged reference data is not re-sent


def test_request_and_response_are_gzip(app, town, phone):
    a = phone(synced=False)
    for i in range(30):
        a.create("record", record_body(town, sbp=120 + i))
    a.sync()
    b = phone(name="b", synced=False)
    body = json.dumps(b.build_request([])).encode()
    r = b.transport.client.post("/api/sync", data=gzip.compress(body), headers={
        "Content-Encoding": "gzip", "Accept-Encoding": "gzip", "Content-Type": "application/json",
        "Authorization": f"Bearer {b._meta('token')}"})
    assert r.headers["Content-Encoding"] == "gzip"
    changes = json.loads(gzip.decompress(r.get_data()))["changes"]
    assert [c["entity"] for c in changes].count("record") == 30 and len(changes) == 32


def test_lost_response_then_resend_changes_nothing(app, town, phone):
    a = phone(synced=False)
    for i in range(5):
        a.create("record", record_body(town, sbp=130 + i))
    a.transport.drop_response_next = 1
    with pytest.raises(SyncError):
        a.sync()
    assert len(a.pending()) == 5  # nothing acknowledged, nothing removed
    assert count_records(app) == 5  # but the server applied them
    first = a.transport.replay(-1)
    a.sync()
    assert a.pending() == []
    assert count_records(app) == 5
    # The exact re-sent batch gets the same per-record results as the first time.
    second = a.transport.replay(-2)
    r1 = json.loads(gzip.decompress(first[1]) if first[1][:2] == b"\x1f\x8b" else first[1])
    r2 = json.loads(gzip.decompress(second[1]) if second[1][:2] == b"\x1f\x8b" else second[1])
    assert r1["results"] == r2["results"]
    assert {r["status"] for r in r1["results"]} == {"accepted"}


def test_one_bad_record_does_not_block_the_rest(app, town, phone):
    a = phone(synced=False)
    good = a.create("record", record_body(town, sbp=140))
    bad = a.create("record", record_body(town, sbp=120, dbp=130))
    also_good = a.create("record", record_body(town, sbp=150))
    a.sync()
    assert count_records(app) == 2
    pending = a.pending()
    assert [p["id"] for p in pending] == [bad]
    assert pending[0]["status"] == "rejected"
    assert json.loads(pending[0]["errors"])["dbp"][0]["code"] == "dbp_not_below_sbp"
    assert a.get("record", good)[0] == 1 and a.get("record", also_good)[0] == 1
    # The doctor corrects it; it is re-sent under a new op id and accepted.
    data = json.loads(pending[0]["data"])
    data["dbp"] = 90
    a.correct_rejected(pending[0]["op_id"], data)
    a.sync()
    assert a.pending() == [] and count_records(app) == 3


def test_revoked_device_cannot_push_or_pull_and_keeps_its_outbox(app, town, phone):
    a = phone(synced=False)
    a.sync()
    a.create("record", record_body(town))
    admin = app.test_client()
    admin.post("/api/auth/login", json={"username": "admin_a", "password": PASSWORD})
    assert admin.post(f"/api/devices/{a.device_id}/revoke").status_code == 200
    with pytest.raises(DeviceRevoked):
        a.sync()
    assert len(a.pending()) == 1
    assert count_records(app) == 0


def test_clock_off_by_hours_is_reported(app, town, phone, tmp_path):
    import datetime as dt

    a = phone(synced=False)
    a.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    a.sync()
    assert a.last_response["clock_warning"] is True
    assert 3 * 3600 - 60 < a.last_response["clock_skew_s"] < 3 * 3600 + 60
    a.clock = lambda: dt.datetime.now(dt.UTC)
    a.sync()
    assert a.last_response["clock_warning"] is False


def test_other_doctor_gets_nothing_of_another_village(app, town, phone):
    a = phone(synced=False)
    a.create("record", record_body(town))
    a.sync()
    b = phone("doctor_b", "b", synced=False)
    b.sync()
    assert b.all("record") == {}
    assert {d["name"] for _, d in b.all("resident").values()} == {"李四"}


def test_pull_is_paged_and_resumes_after_a_drop(app, town, phone, monkeypatch):
    import sync.client as client_module

    a = phone(synced=False)
    for i in range(25):
        a.create("record", record_body(town, sbp=120 + i))
    a.sync()
    monkeypatch.setattr(client_module, "PULL_LIMIT", 10)
    b = phone(name="b", synced=False)
    b.exchange([])
    assert b.last_response["more"] is True
    got = len(b.all("record"))
    cursor = b.cursor
    b.transport.drop_response_next = 1
    with pytest.raises(SyncError):
        b.exchange([])
    assert b.cursor == cursor and len(b.all("record")) == got
    stats = b.sync()
    assert len(b.all("record")) == 25
    assert stats["pulled"] == 25 - got  # nothing that had arrived was sent again


def test_every_write_path_is_in_the_log_once(app, town, phone):
    a = phone(synced=False)
    a.create("record", record_body(town))
    a.sync()
    with app.app_context():
        seqs = db.session.scalars(select(SyncChange.seq).order_by(SyncChange.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))


def test_bulk_inserted_records_read_back_exactly(app, town, phone):
    """Pushed records go in through compiled bulk inserts: every typed column (UUIDs, dates,
    UTC times, JSON lists, floats) must read back through the ORM as it was sent."""
    a = phone(synced=False)
    body = record_body(town, sbp=171, weight_kg=66.5, symptoms=["头痛头晕", "心悸胸闷"],
                       medications=[{"drug": "氨氯地平片", "dose": "5mg", "frequency": "qd"}],
                       evidence={"photo": "p1", "gps_ok": True}, notes=None)
    rid = a.create("record", body)
    a.sync()
    client = a.transport.client
    client.post("/api/auth/login", json={"username": "doctor_a", "password": PASSWORD})
    got = client.get(f"/api/records/{rid}").get_json()
    for key in ("resident_id", "service_date", "mode", "sbp", "dbp", "weight_kg", "symptoms",
                "medications", "evidence", "next_visit_date"):
        assert got[key] == body[key], key
    assert got["notes"] is None and got["device_id"] == a.device_id
    assert got["device_created_at"].endswith("Z") and got["created_at"].endswith("Z")
    with app.app_context():
        from core.models import HypertensionFollowUp

        stored = db.session.scalars(select(HypertensionFollowUp)).one()
        assert stored.evidence == {"photo": "p1", "gps_ok": True}
        assert stored.created_at.tzinfo is not None
        # NULL, not the JSON text 'null', for an absent list
        assert db.session.scalar(select(func.count()).select_from(HypertensionFollowUp)
                                 .where(HypertensionFollowUp.adverse_reactions.is_(None))) == 1
