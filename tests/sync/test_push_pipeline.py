"""The push pipeline on the server (docs/adr/0037-push-pipeline.md): records staged before
the lock but checked under it, and the cycle collector paused during an exchange. The
push-only requests and lanes are in test_push_lanes.py, `own_seqs` in test_own_seqs.py."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from records_factory import record_body
from sqlalchemy import event, func, select

import sync.push as push_module
from core.models import RecordEntry, Resident, ServiceRecord, SyncChange, User
from server.extensions import db
from server.services import people


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
