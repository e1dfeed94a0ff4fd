"""Push-only requests and a backlog of new records pushed as batches in flight side by
side (docs/adr/0037-push-pipeline.md; the client's side: sync/client_lanes.py)."""
from __future__ import annotations

import gzip
import json
import threading
import uuid

import pytest
from conftest import PASSWORD
from records_factory import record_body
from sqlalchemy import func, select
from transport import FlaskTransport

import sync.client as client_module
from core.models import ServiceRecord, SyncChange
from server.extensions import db
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
