"""Mutable records merge field by field; moves, voids, resets and reinstalls lose nothing."""
from __future__ import annotations

import json

import pytest
from conftest import PASSWORD, login
from records_factory import record_body
from sqlalchemy import func, select, update
from transport import FlaskTransport

from core.models import ServiceRecord, SyncChange, SyncConflict, SyncCounter
from server.extensions import db
from sync.client import SyncClient, SyncError


def staff_patch(app, resident_id, **fields):
    c = app.test_client()
    login(c, "staff_a")
    current = c.get(f"/api/residents/{resident_id}").get_json()
    r = c.patch(f"/api/residents/{resident_id}", json={"version": current["version"], **fields})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_edits_of_different_fields_merge(app, town, phone):
    rid = str(town["resident_1"])
    a = phone()
    a.update("resident", rid, {"allergies": "青霉素"})
    staff_patch(app, rid, phone="13711112222")
    a.sync()
    result = list(a.results().values())[0]
    assert result["status"] == "merged"
    version, data = a.get("resident", rid)
    assert data["allergies"] == "青霉素" and data["phone"] == "13711112222"
    assert version == 3


def test_same_field_changed_on_both_sides_keeps_one_and_flags_the_other(app, town, phone):
    rid = str(town["resident_1"])
    a = phone()
    a.update("resident", rid, {"phone": "13900000001"})
    staff_patch(app, rid, phone="13711112222")
    a.sync()
    result = list(a.results().values())[0]
    assert result["status"] == "conflict"
    assert result["conflicts"] == [{"field": "phone", "kept": "13711112222",
                                    "yours": "13900000001"}]
    assert a.get("resident", rid)[1]["phone"] == "13711112222"
    with app.app_context():
        conflict = db.session.scalars(select(SyncConflict)).one()
        assert conflict.lost_value == {"value": "13900000001"}
        assert conflict.kept_value == {"value": "13711112222"}
        assert conflict.reviewed_at is None


def test_conflict_winner_does_not_depend_on_arrival_clock(app, town, phone):
    """Two devices edit the same field offline; whoever syncs first is kept, and the other
    value is in the review list, whatever the phones' clocks say."""
    import datetime as dt

    rid = str(town["resident_1"])
    a, b = phone(name="a"), phone(name="b")
    b.clock = lambda: dt.datetime(2031, 1, 1, tzinfo=dt.UTC)  # b's clock far ahead
    a.update("resident", rid, {"contact_name": "张一"})
    b.update("resident", rid, {"contact_name": "张二"})
    a.sync()
    b.sync()
    a.sync()
    assert a.get("resident", rid)[1]["contact_name"] == "张一"
    assert b.get("resident", rid)[1]["contact_name"] == "张一"
    assert list(b.results().values())[0]["status"] == "conflict"


def test_a_devices_own_successive_edits_do_not_conflict(app, town, phone):
    rid = str(town["resident_1"])
    a = phone()
    a.update("resident", rid, {"phone": "13900000001"})
    a.update("resident", rid, {"phone": "13900000002"})
    a.sync()
    statuses = [r["status"] for r in a.results().values()]
    assert "conflict" not in statuses
    assert a.get("resident", rid)[1]["phone"] == "13900000002"


def test_move_leaves_old_doctors_device_and_reaches_the_new_one(app, town, phone):
    rid = str(town["resident_1"])
    a = phone("doctor_a", "a")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    b = phone("doctor_b", "b")
    assert rid not in b.all("resident")
    staff_patch(app, rid, village_id=town["village_2"], household_id=None)
    a.sync()
    b.sync()
    assert rid not in a.all("resident") and rec not in a.all("record")
    assert rid in b.all("resident") and rec in b.all("record")
    # A brand-new device of doctor_a does not get it either; one of doctor_b does.
    assert rid not in phone("doctor_a", "a2").all("resident")
    assert rec in phone("doctor_b", "b2").all("record")


def test_voided_record_arrives_as_a_tombstone(app, town, phone):
    a, a2 = phone(name="a"), phone(name="a2")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    a2.sync()
    assert rec in a2.all("record")
    a.void(rec)
    a.sync()
    a2.sync()
    assert rec not in a2.all("record")
    with app.app_context():
        assert db.session.get(ServiceRecord, json.loads(f'"{rec}"') and
                              __import__("uuid").UUID(rec)).deleted_at is not None


def test_correction_is_a_new_version_and_history_keeps_both(app, town, phone):
    a, a2 = phone(name="a"), phone(name="a2")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    a.update("record", rec, {"sbp": 162})
    a.sync()
    a2.sync()
    assert a2.get("record", rec)[0] == 2 and a2.get("record", rec)[1]["sbp"] == 162
    with app.app_context():
        rows = db.session.scalars(select(SyncChange).where(
            SyncChange.entity_id == __import__("uuid").UUID(rec)).order_by(SyncChange.seq)).all()
        assert [json.loads(r.payload)["sbp"] for r in rows] == [150, 162]
        assert [r.superseded for r in rows] == [True, False]


def test_only_the_author_corrects_a_record(app, town, phone):
    a = phone("doctor_a", "a")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    s = SyncClient(str(a.db.execute("PRAGMA database_list").fetchone()[2]) + ".staff",
                   FlaskTransport(app))
    s.enrol("staff_a", PASSWORD)
    s.sync()
    s.update("record", rec, {"sbp": 100})
    s.sync()
    [pending] = s.pending()
    assert pending["status"] == "rejected"
    assert json.loads(pending["errors"])["id"][0]["code"] == "not_author"


def test_device_too_far_behind_reinitialises_and_keeps_its_outbox(app, town, phone):
    a = phone()
    a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    other = phone(name="other")
    for i in range(3):
        other.create("record", record_body(town, "hypertension_followup", sbp=120 + i))
    other.sync()
    offline_work = a.create("record", record_body(town, "diabetes_followup"))
    with app.app_context():
        db.session.execute(update(SyncCounter).values(purged_through=a.cursor + 2))
        db.session.commit()
    a.sync()
    assert a.pending() == []
    assert offline_work in a.all("record")
    assert len(a.all("record")) == 5
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 5


def test_reinstalled_device_resends_its_outbox_without_doubling(app, town, phone, tmp_path):
    a = phone()
    for i in range(10):
        a.create("record", record_body(town, "hypertension_followup", sbp=120 + i))
    a.transport.drop_response_next = 1
    with pytest.raises(SyncError):
        a.sync()
    # The app is reinstalled, handed its old enrolment, the saved outbox carried over as
    # it was. (Receipts belong to a device: a new enrolment resending them would get
    # `op_id_taken` for the ops that landed; docs/adr/0045-device-bound-receipts.md.)
    fresh = SyncClient(str(tmp_path / "reinstalled.sqlite"), FlaskTransport(app))
    fresh.adopt_token(a.device_id, a._meta("token"))
    for row in a.pending():
        fresh.db.execute(
            "INSERT INTO outbox (counter, op_id, entity, action, id, base_version, data,"
            " device_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row["counter"], row["op_id"], row["entity"], row["action"], row["id"],
             row["base_version"], row["data"], row["device_time"]))
    fresh.sync()
    assert fresh.pending() == []
    assert len(fresh.all("record")) == 10
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 10


def test_township_reviews_a_conflict_and_takes_the_devices_value(app, town, phone):
    rid = str(town["resident_1"])
    a = phone()
    a.update("resident", rid, {"phone": "13900000001"})
    staff_patch(app, rid, phone="13711112222")
    a.sync()
    staff = app.test_client()
    login(staff, "staff_a")
    [item] = staff.get("/api/sync/conflicts").get_json()["items"]
    assert (item["field"], item["kept"], item["device_value"]) == \
        ("phone", "13711112222", "13900000001")
    doctor = app.test_client()
    login(doctor, "doctor_a")
    assert doctor.get("/api/sync/conflicts").status_code == 403
    r = staff.post(f"/api/sync/conflicts/{item['id']}/resolve",
                   json={"use_device_value": True, "note": "电话核实"})
    assert r.status_code == 200, r.get_json()
    assert staff.get("/api/sync/conflicts").get_json()["items"] == []
    again = staff.post(f"/api/sync/conflicts/{item['id']}/resolve",
                       json={"use_device_value": False})
    assert again.status_code == 409
    a.sync()
    assert a.get("resident", rid)[1]["phone"] == "13900000001"


def test_purged_tombstones_send_old_devices_back_to_a_fresh_pull(app, town, phone):
    import datetime as dt

    from sync.maintenance import purge_tombstones

    a, a2 = phone(name="a"), phone(name="a2")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    a2.sync()
    a.void(rec)
    a.sync()
    with app.app_context():
        assert purge_tombstones(db.session, horizon_days=180) == 0  # too recent
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=181)
        assert purge_tombstones(db.session, horizon_days=180, now=later) == 1
        db.session.commit()
        assert db.session.scalar(select(SyncCounter.purged_through)) > a2.cursor
    a2.sync()  # told to re-initialise; the voided record is gone all the same
    assert a2.last_response is not None and rec not in a2.all("record")
    assert len(a2.all("resident")) == 1


def test_voiding_twice_from_two_phones_is_a_duplicate_not_an_error(app, town, phone):
    a, a2 = phone(name="a"), phone(name="a2")
    rec = a.create("record", record_body(town, "hypertension_followup"))
    a.sync()
    a2.sync()
    a.void(rec)
    a2.void(rec)
    a.sync()
    a2.sync()
    assert a2.pending() == []
    assert [r["status"] for r in a2.results().values()][-1] == "duplicate"


def test_a_visit_made_offline_before_the_resident_moved_is_kept(app, town, phone):
    from core.models import ResidenceEvent

    rid = str(town["resident_1"])
    a = phone("doctor_a", "a")
    b = phone("doctor_b", "b")
    seen_before_move = a.create("record", record_body(town, service_date="2026-10-15"))
    staff_patch(app, rid, village_id=town["village_2"], household_id=None)
    a.sync()
    assert a.pending() == [], a.pending()
    assert seen_before_move not in a.all("record")  # gone with the resident
    b.sync()
    assert seen_before_move in b.all("record")  # the history travels with them
    with app.app_context():
        record = db.session.get(ServiceRecord, __import__("uuid").UUID(seen_before_move))
        assert record.village_id == town["village_1"]  # counted where it was done
        assert record.doctor_id == town["doctor_a"]
        # A visit dated after the move is not doctor_a's to record.
        event = db.session.scalars(select(ResidenceEvent)).one()
        event.occurred_on = __import__("datetime").date(2026, 10, 1)
        db.session.commit()
    late = a.create("record", record_body(town, service_date="2026-10-15"))
    a.sync()
    [pending] = a.pending()
    assert pending["id"] == late and pending["status"] == "rejected"
