"""The push pipeline (docs/adr/0037-push-pipeline.md): push-only requests, batches of new
records in flight side by side, and records staged before the lock but checked under it."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import uuid

import pytest
from conftest import PASSWORD
from records_factory import record_body
from sqlalchemy import event, func, select
from transport import FlaskTransport

import sync.client as client_module
import sync.push as push_module
from core.models import RecordEntry, Resident, ServiceRecord, SyncChange, User
from server.extensions import db
from server.services import people
from sync.client import SyncClient


class ForkingTransport(FlaskTransport):
    """The Flask test client, able to open a second lane; counts requests in flight. The
    first push-only request waits (up to 10 s) for a second one to arrive beside it, so
    that two in flight is certain when the client does send side by side."""

    def __init__(self, app, shared=None):
        super().__init__(app)
        self.app = app
        self.shared = shared or {"in_flight": 0, "most": 0, "lock": threading.Lock(),
                                 "bodies": [], "pair": threading.Barrier(2), "paired": False,
                                 "exchanges": []}

    def fork(self):
        return ForkingTransport(self.app, self.shared)

    def close(self):
        pass

    def post(self, path, body, headers):
        s = self.shared
        with s["lock"]:
            s["in_flight"] += 1
            s["most"] = max(s["most"], s["in_flight"])
            parsed = json.loads(gzip.decompress(body)) if path == "/api/sync" else None
            if parsed is not None:
                s["bodies"].append(parsed)
            wait = parsed is not None and parsed["pull_limit"] == 0 and not s["paired"]
        if wait:
            s["pair"].wait(timeout=10)
            s["paired"] = True
        try:
            status, response_headers, data = super().post(path, body, headers)
        finally:
            with s["lock"]:
                s["in_flight"] -= 1
        if parsed is not None:
            with s["lock"]:
                s["exchanges"].append((body, headers, json.loads(
                    gzip.decompress(data) if response_headers.get("content-encoding")
                    == "gzip" else data)))
        return status, response_headers, data


def _phone(app, tmp_path, name="lanes"):
    phone = SyncClient(str(tmp_path / f"{name}.sqlite"), ForkingTransport(app))
    phone.enrol("doctor_a", PASSWORD, label=name)
    phone.sync()
    return phone


def _server_counts(app, ids):
    with app.app_context():
        records = db.session.scalar(select(func.count(ServiceRecord.id))
                                    .where(ServiceRecord.id.in_(ids)))
        changes = db.session.scalar(select(func.count(SyncChange.seq))
                                    .where(SyncChange.entity_id.in_(ids)))
    return records, changes


def test_a_push_only_request_applies_the_push_and_pulls_nothing(app, town, phone):
    a = phone()
    b = phone(name="b")
    b.create("record", record_body(town, sbp=131))
    b.sync()  # something new on the server that `a` has not pulled
    cursor = a.cursor
    rid = a.create("record", record_body(town, sbp=132))
    ops = a._next_ops()
    response = a._post_json("/api/sync", a.build_request(ops, pull_limit=0), auth=True,
                            gzip_body=True)
    assert [r["status"] for r in response["results"]] == ["accepted"]
    assert response["changes"] == [] and response["reference"] is None
    assert response["cursor"] == cursor and response["more"] is False
    # b's record came between a's cursor and a's push: a learns its own seq, but its
    # cursor cannot skip b's change.
    assert response["own_seqs"] == [cursor + 1, cursor + 2]
    a._apply_push_only(response)
    assert a.cursor == cursor and a.pending() == []
    a.sync()  # the ordinary exchange then brings b's record, not a's own
    assert a.get("record", rid) is not None
    assert len(a.all("record")) == 2


def test_a_backlog_goes_up_in_two_lanes_and_lands_exactly_once(app, town, tmp_path,
                                                               monkeypatch):
    monkeypatch.setattr(client_module, "PUSH_BATCH", 10)
    a = _phone(app, tmp_path)
    first = [a.create("record", record_body(town, sbp=100 + i)) for i in range(35)]
    # A new resident ends the run of new records: its records must not overtake it.
    rid = a.create("resident", {"village_id": town["village_1"], "name": "新居民",
                                "sex": "female", "birth_date": "1960-02-02"})
    after = [a.create("record", record_body(town, resident_id=rid, sbp=140 + i))
             for i in range(25)]
    stats = a.sync()
    assert stats["pushed"] == 61 and stats["rejected"] == 0, a.pending()
    assert a.pending() == []
    assert a.transport.shared["most"] == 2  # two batches were in flight at once
    assert _server_counts(app, [uuid.UUID(i) for i in first + after]) == (60, 60)
    statuses = {r["status"] for r in a.results().values()}
    assert statuses == {"accepted"}
    # Push-only requests carried the runs; the resident went in an ordinary exchange
    # that waited for them, and nothing was sent before the resident was acknowledged.
    bodies = a.transport.shared["bodies"]
    resident_at = next(i for i, b in enumerate(bodies)
                       if any(op["entity"] == "resident" for op in b["push"]))
    assert bodies[resident_at]["pull_limit"] > 0
    # The side-by-side batches (30 records; the last 5 are a short tail that goes with
    # the resident) told their own seqs, which joined up: the pull starts after them.
    side = [b for b in bodies[:resident_at] if b["pull_limit"] == 0]
    assert sum(len(b["push"]) for b in side) == 30
    assert bodies[resident_at]["cursor"] == side[0]["cursor"] + 30
    sent_before = {op["id"] for b in bodies[:resident_at] for op in b["push"]}
    assert sent_before.isdisjoint(after)
    # Replaying every request changes nothing and answers the same, op by op.
    for body, headers, response in a.transport.shared["exchanges"]:
        r = a.transport.client.post("/api/sync", data=body, headers=headers)
        assert r.status_code == 200
        replayed = json.loads(gzip.decompress(r.get_data()) if r.headers.get(
            "Content-Encoding") == "gzip" else r.get_data())
        assert replayed["results"] == response["results"]
    assert _server_counts(app, [uuid.UUID(i) for i in first + after]) == (60, 60)


def test_a_failed_lane_loses_nothing(app, town, tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "PUSH_BATCH", 10)
    a = _phone(app, tmp_path, "failing")
    ids = [a.create("record", record_body(town, sbp=100 + i)) for i in range(40)]
    real_post = FlaskTransport.post
    calls = {"n": 0}

    def flaky(self, path, body, headers):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch's response is lost after it was applied
            real_post(self, path, body, headers)
            raise client_module.SyncError("network: response lost")
        return real_post(self, path, body, headers)

    monkeypatch.setattr(FlaskTransport, "post", flaky)
    with pytest.raises(client_module.SyncError):
        a.sync()
    assert 0 < len(a.pending()) < 40  # what was acknowledged is gone, the rest is kept
    monkeypatch.setattr(FlaskTransport, "post", real_post)
    a.sync()
    assert a.pending() == []
    assert _server_counts(app, [uuid.UUID(i) for i in ids]) == (40, 40)


def test_a_staged_record_is_checked_again_under_the_lock(app, town, phone, monkeypatch):
    """The township moves the resident away between staging and the lock (as a commit of
    another request would, through the sync log): the staged row (for the old village)
    must not be used; the record is decided the ordinary way."""
    a = phone()
    real_stage = push_module.stage
    seen = {}

    def stage_then_move(session, user, device_id, checked, now, *clock):
        read = real_stage(session, user, device_id, checked, now, *clock)
        seen["staged"] = sum(c.staged is not None for c in checked)
        staff = session.get(User, town["staff_a"])
        resident = session.get(Resident, town["resident_1"])
        people.update_resident(session, staff, resident.id, {
            "village_id": town["village_2"], "household_id": town["household_2"],
            "moved_in_on": dt.date(2026, 1, 1)}, resident.version)
        return read

    monkeypatch.setattr(push_module, "stage", stage_then_move)
    a.create("record", record_body(town, sbp=150, service_date="2026-06-01"))
    stats = a.sync()
    assert seen["staged"] == 1
    assert stats["rejected"] == 1
    [op] = a.pending()
    assert op["status"] == "rejected" and "resident_id" in json.loads(op["errors"])
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 0


def _resident_reads(app) -> list[str]:
    """Every SELECT of the residents table the app's engine runs, from now on."""
    reads: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM residents" in statement:
            reads.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
    return reads


def test_subjects_unchanged_since_staging_are_not_read_again(app, town, phone):
    """Nothing was logged between staging and the lock: the residents staging read are
    used as read, one query in all; after a change of a resident is logged in between,
    they are read again under the lock."""
    a = phone()
    for i in range(3):
        a.create("record", record_body(town, sbp=130 + i))
    reads = _resident_reads(app)
    assert a.sync()["pushed"] == 3
    assert len(reads) == 1


def test_subjects_are_read_again_after_a_resident_change_is_logged(app, town, phone,
                                                                 monkeypatch):
    a = phone()
    real_stage = push_module.stage

    def stage_then_edit(session, user, device_id, checked, now, *clock):
        read = real_stage(session, user, device_id, checked, now, *clock)
        resident = session.get(Resident, town["resident_2"])  # another village's resident
        people.update_resident(session, session.get(User, town["staff_a"]), resident.id,
                               {"phone": "13900000002"}, resident.version)
        return read

    monkeypatch.setattr(push_module, "stage", stage_then_edit)
    a.create("record", record_body(town, sbp=131))
    reads = _resident_reads(app)
    assert a.sync()["pushed"] == 1
    assert len([r for r in reads if " IN " in r.upper()]) == 2  # staging, and under the lock


def test_staged_and_ordinary_records_make_the_same_rows(app, town, phone, monkeypatch):
    """A record staged ahead and one prepared under the lock store the same row and the
    same change payload (apart from ids and times)."""
    a = phone()
    staged_id = a.create("record", record_body(town, sbp=121))
    a.sync()
    monkeypatch.setattr(push_module, "stage", lambda *args: None)
    plain_id = a.create("record", record_body(town, sbp=121))
    a.sync()
    with app.app_context():
        rows = {str(cid): json.loads(p) for cid, p in db.session.execute(
            select(SyncChange.entity_id, SyncChange.payload)
            .where(SyncChange.entity_id.in_([uuid.UUID(staged_id), uuid.UUID(plain_id)])))}
    volatile = ("id", "created_at", "updated_at", "device_created_at")
    assert {k: v for k, v in rows[staged_id].items() if k not in volatile} == \
        {k: v for k, v in rows[plain_id].items() if k not in volatile}
    assert set(rows[staged_id]) == set(rows[plain_id])
    # Both have their entry time (docs/adr/0050), on the same basis: the phone's claim.
    with app.app_context():
        entries = {str(rid): basis for rid, basis in db.session.execute(
            select(RecordEntry.record_id, RecordEntry.basis)
            .where(RecordEntry.record_id.in_([uuid.UUID(staged_id), uuid.UUID(plain_id)])))}
    assert entries == {staged_id: "phone", plain_id: "phone"}


def test_the_cycle_collector_is_off_during_an_exchange_and_back_after(app, town, phone,
                                                                      monkeypatch):
    import gc

    import server.api.sync as api

    seen = []
    real = api.handle_sync

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("the server failed mid-exchange")
        return real(*args, **kwargs)

    a = phone()
    monkeypatch.setattr(api, "handle_sync", watched)
    a.create("record", record_body(town))
    assert gc.isenabled()
    a.sync()
    assert seen == [False] and gc.isenabled()
    a.create("record", record_body(town, sbp=150))
    with pytest.raises(Exception):  # noqa: B017 - the 500, however the client words it
        a.sync()
    assert seen == [False, False] and gc.isenabled()  # back on after a failure too
    gc.disable()  # whoever turned it off before the request keeps it off
    try:
        a.sync()
        assert seen[-1] is False and not gc.isenabled()
    finally:
        gc.enable()
    assert a.pending() == []


def _push_only(a, ops):
    return a._post_json("/api/sync", a.build_request(ops, pull_limit=0), auth=True,
                        gzip_body=True)


def test_own_seqs_move_the_cursor_over_the_devices_own_changes_only(app, town, phone):
    a = phone()
    cursor = a.cursor
    for i in range(3):
        a.create("record", record_body(town, sbp=120 + i))
    response = _push_only(a, a._next_ops())
    assert response["own_seqs"] == [cursor, cursor + 3]
    assert response["cursor"] == cursor  # the push-only answer itself is unchanged
    a._apply_push_only(response)
    assert a.cursor == cursor + 3
    # The same batch again: answered as before, but nothing logged, nothing to skip.
    again = a._decode(*a.transport.post(*a.transport.log[-1]))
    assert [r["status"] for r in again["results"]] == ["accepted"] * 3
    assert again["own_seqs"] is None
    # An ordinary exchange carries no own_seqs: its cursor says it all.
    a.create("record", record_body(town, sbp=150))
    a.sync()
    assert "own_seqs" not in a.last_response
    assert a.cursor == cursor + 4


def test_own_seqs_is_null_when_the_push_logged_anything_but_own_accepted_ops(app, town,
                                                                           phone):
    from test_merge_and_moves import staff_patch

    rid = str(town["resident_1"])
    a = phone()
    cursor = a.cursor
    a.update("resident", rid, {"allergies": "青霉素"})
    staff_patch(app, rid, phone="13711112222")  # a merge, then: not as the phone sent it
    a.create("record", record_body(town, sbp=133))
    response = _push_only(a, a._next_ops())
    assert [r["status"] for r in response["results"]] == ["merged", "accepted"]
    assert response["own_seqs"] is None
    a._apply_push_only(response)
    assert a.cursor == cursor
    a.sync()  # the pull brings the staff's change and the merged version
    assert a.get("resident", rid)[1]["phone"] == "13711112222"


def test_a_rejected_op_does_not_stand_in_the_way(app, town, phone):
    a = phone()
    cursor = a.cursor
    a.create("record", record_body(town, sbp=121))
    a.create("record", record_body(town, sbp=120, dbp=130))  # DBP above SBP: rejected
    response = _push_only(a, a._next_ops())
    assert [r["status"] for r in response["results"]] == ["accepted", "rejected"]
    assert response["own_seqs"] == [cursor, cursor + 1]


def test_own_seqs_arriving_out_of_order_join_up_from_the_cursor(tmp_path):
    phone = SyncClient(str(tmp_path / "order.sqlite"), transport=None)
    phone._set_meta("cursor", 100)
    own: list = []

    def answer(after, through):
        phone._apply_push_only({"results": [], "own_seqs": [after, through]}, None, own)
        return phone.cursor

    assert answer(110, 120) == 100  # the second batch answered first: a gap at 100..110
    assert answer(130, 140) == 100
    assert answer(100, 110) == 120  # the gap closes: on to 120, not over 120..130
    assert own == [(130, 140)]
    assert answer(125, 130) == 120  # someone else's change sits at 121..125
    phone._apply_push_only({"results": [], "own_seqs": None}, None, own)
    assert phone.cursor == 120


@pytest.mark.parametrize("first_out", ["first_in", "second_in"])
def test_overlapping_exchanges_never_leave_the_collector_off(first_out):
    import gc

    from server.api.sync import cycle_collector_paused

    a, b = cycle_collector_paused(), cycle_collector_paused()
    a.__enter__()
    b.__enter__()  # a second thread's exchange, begun while the first runs
    assert not gc.isenabled()
    ends = (a, b) if first_out == "first_in" else (b, a)
    ends[0].__exit__(None, None, None)
    ends[1].__exit__(None, None, None)
    assert gc.isenabled()


def test_own_seqs_is_null_when_the_push_evicts_a_record_from_the_device(app, town, phone):
    """A visit made before the resident moved away is kept, logged in the new village and
    evicted from the old one: a change the device does not hold as sent."""
    from test_merge_and_moves import staff_patch

    a = phone()
    cursor = a.cursor
    rec = a.create("record", record_body(town, service_date="2026-10-15"))
    staff_patch(app, str(town["resident_1"]), village_id=town["village_2"], household_id=None)
    response = _push_only(a, a._next_ops())
    assert [r["status"] for r in response["results"]] == ["accepted"]
    assert response["own_seqs"] is None
    a._apply_push_only(response)
    assert a.cursor == cursor
    a.sync()
    assert rec not in a.all("record")  # the eviction arrived: nothing was skipped


def test_own_seqs_is_null_without_a_device(app, town):
    from conftest import login

    staff = app.test_client()
    login(staff, "staff_a")
    op = {"op_id": str(uuid.uuid4()), "device_counter": 1, "entity": "record",
          "action": "create", "id": str(uuid.uuid4()), "base_version": 0,
          "device_time": None, "data": record_body(town, doctor_id=town["doctor_a"])}
    r = staff.post("/api/sync", json={"protocol": 1, "device_time": None, "cursor": 0,
                                      "reference_version": "", "pull_limit": 0, "push": [op]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [x["status"] for x in body["results"]] == ["accepted"]
    assert body["own_seqs"] is None
