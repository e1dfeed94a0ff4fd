"""A record made offline for a resident who has since moved, seen by a doctor who serves
both the old and the new village (found by bench/field_chaos.py).

The record goes to the new village's devices and is evicted from the old village's. A
device that serves both villages receives both changes; it must end up holding the
record, as a fresh copy for it does. Logged as upsert-then-evict, a device pulling both
applied the eviction last and lost the record for good."""
from __future__ import annotations

import uuid

from conftest import login
from device_push import enrol, op, push
from records_factory import record_body

from core.models import User, Village
from server.extensions import db


def _pull(app, token: str, cursor: int) -> tuple[list[dict], int]:
    """Every change after `cursor`, paged to the end, through /api/sync; and the cursor."""
    client, changes = app.test_client(), []
    fresh = None
    while True:
        body = {"protocol": 1, "cursor": cursor, "pull_limit": 1000, "push": []}
        if fresh is not None:
            body["fresh_copy"] = fresh
        r = client.post("/api/sync", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        page = r.get_json()
        changes += page["changes"]
        cursor, fresh = page["cursor"], page.get("fresh_copy")
        if not page["more"]:
            return changes, cursor


def _living(changes: list[dict]) -> set[str]:
    held: set[str] = set()
    for change in changes:
        if change["op"] == "upsert":
            held.add(change["id"])
        else:
            held.discard(change["id"])
    return held


def test_a_doctor_of_both_villages_keeps_the_record_of_a_moved_resident(app, town):
    with app.app_context():  # doctor_b serves village 2 and now village 1 too
        doctor_b = db.session.get(User, town["doctor_b"])
        doctor_b.villages.append(db.session.get(Village, town["village_1"]))
        db.session.commit()
    both = enrol(app, "doctor_b", "both-villages")
    _changes, cursor = _pull(app, both, 0)
    staff = app.test_client()
    login(staff, "staff_a")
    rid = town["resident_1"]
    current = staff.get(f"/api/residents/{rid}").get_json()
    moved = staff.patch(f"/api/residents/{rid}", json={
        "version": current["version"], "village_id": town["village_2"], "household_id": None})
    assert moved.status_code == 200, moved.get_json()

    rec = str(uuid.uuid4())  # made on doctor_a's phone before it heard of the move
    body, _ = push(app, enrol(app, "doctor_a"), [op("record", "create", rec,
                                                    record_body(town))])
    assert body["results"][0]["status"] == "accepted"

    changes, _ = _pull(app, both, cursor)
    fresh, _ = _pull(app, enrol(app, "doctor_b", "fresh"), 0)
    assert rec in _living(fresh)  # the server's view: the record lives in village 2
    assert rec in _living(changes), [c for c in changes if c["id"] == rec]
