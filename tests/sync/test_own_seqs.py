"""`own_seqs`: a push-only answer tells the seqs of the device's own accepted ops, so the
cursor may move over them, and only over them (docs/sync-protocol.md)."""
from __future__ import annotations

import uuid

from records_factory import record_body

from sync.client import SyncClient


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
