"""A phone that pushes on the request that begins a fresh copy (cursor 0: a new phone, or
the pull after a reset) stores the results, then lets the copy replace its data
(docs/sync-protocol.md, "Response"; found by bench/field_chaos.py).

A record it made for a resident who has since moved away is accepted, goes to the new
village and is evicted from the phone's; the eviction is logged before the copy begins,
and a copy carries no tombstones. Kept from its result, it stayed on the phone for ever."""
from __future__ import annotations

from conftest import login
from records_factory import record_body


def _move(app, resident_id, village_id) -> None:
    staff = app.test_client()
    login(staff, "staff_a")
    current = staff.get(f"/api/residents/{resident_id}").get_json()
    r = staff.patch(f"/api/residents/{resident_id}", json={
        "version": current["version"], "village_id": village_id, "household_id": None})
    assert r.status_code == 200, r.get_json()


def test_a_new_phone_ends_holding_what_a_fresh_copy_holds(app, town, phone):
    new = phone("doctor_a", "new", synced=False)  # an outbox, cursor 0
    moved_away = new.create("record", record_body(town))
    _move(app, town["resident_1"], town["village_2"])
    new.sync()
    assert new.pending() == []  # accepted: done before the move reached the phone
    fresh = phone("doctor_a", "fresh")
    assert moved_away not in fresh.all("record")
    assert set(new.all("record")) == set(fresh.all("record"))
    assert set(new.all("resident")) == set(fresh.all("resident"))
