"""Receipts belong to the device that sent the op (issue 16.4): a replay from that device
gets its stored answer, an `op_id` another device (or a push without a device) used is
`rejected` (`op_id_taken`) with no data and changes nothing, and a device that takes an
op_id first cannot make another device's op answer with its result."""
from __future__ import annotations

import uuid

from conftest import login
from device_push import enrol, op, push, stored_counts
from records_factory import record_body
from sqlalchemy import func, select

from server.extensions import db
from server.models import ServiceRecord

SECRETS = ("张三丰", "511921195003070018", "13800138000")


def _assert_taken(result: dict, text: str) -> None:
    assert result["status"] == "rejected", result
    assert [e["code"] for e in result["errors"]["op_id"]] == ["op_id_taken"], result
    assert set(result) == {"op_id", "id", "status", "errors"}, result
    for secret in SECRETS:
        assert secret not in text


def _records(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(ServiceRecord))
        db.session.remove()
    return n


def test_another_devices_op_id_gets_no_stored_answer(app, town):
    phone_a = enrol(app, "doctor_a", "a")
    resident_edit = op("resident", "update", town["resident_1"], {})  # duplicate: full record
    record = op("record", "create", uuid.uuid4(), record_body(town))  # receipt = change row
    first, text = push(app, phone_a, [resident_edit, record])
    assert [r["status"] for r in first["results"]] == ["duplicate", "accepted"]
    assert "张三丰" in text

    # The same device gets exactly its stored answers again.
    again, _ = push(app, phone_a, [resident_edit, record])
    assert again["results"] == first["results"]

    before, records = stored_counts(app), _records(app)
    for username in ("doctor_b", "doctor_a"):  # another doctor, and the same doctor's 2nd phone
        token = enrol(app, username, "other")
        for stolen in (resident_edit, record):
            body, text = push(app, token, [{**stolen, "id": str(uuid.uuid4()),
                                            "entity": "resident", "action": "update",
                                            "base_version": 1, "data": {}}])
            _assert_taken(body["results"][0], text)
            body, text = push(app, token, [stolen])
            _assert_taken(body["results"][0], text)
    assert stored_counts(app) == before and _records(app) == records
    # ...and the owner's replay still answers as the first time.
    again, _ = push(app, phone_a, [resident_edit, record])
    assert again["results"] == first["results"]


def test_a_push_without_a_device_cannot_replay_a_devices_op(app, town):
    phone_a = enrol(app, "doctor_a", "a")
    edit = op("resident", "update", town["resident_1"], {})
    push(app, phone_a, [edit])
    staff = app.test_client()
    login(staff, "staff_a")
    body, text = push(app, None, [edit], cookie_client=staff)
    _assert_taken(body["results"][0], text)


def test_a_device_that_takes_an_op_id_first_does_not_answer_for_the_other(app, town):
    """Device B (doctor_b) sends op_id X before device A (doctor_a) does. A's op is
    refused with `op_id_taken` and not applied: op_ids are random UUIDs made on the phone,
    so only someone who saw A's op before it reached the server can do this
    (docs/adr/0045-device-bound-receipts.md). A never receives B's answer, and B's
    replays keep getting B's own."""
    x = str(uuid.uuid4())
    phone_b = enrol(app, "doctor_b", "b")
    b_op = op("resident", "update", town["resident_2"], {"phone": "13911112222"}, op_id=x)
    b_first, _ = push(app, phone_b, [b_op])
    assert b_first["results"][0]["status"] == "accepted"

    phone_a = enrol(app, "doctor_a", "a")
    before = stored_counts(app)
    body, text = push(app, phone_a, [op("resident", "update", town["resident_1"],
                                        {"phone": "13900000000"}, op_id=x)])
    _assert_taken(body["results"][0], text)
    assert "13911112222" not in text
    assert stored_counts(app) == before
    owner = app.test_client()
    login(owner, "doctor_a")
    assert owner.get(f"/api/residents/{town['resident_1']}").get_json()["phone"] == \
        "13800138000"
    b_again, _ = push(app, phone_b, [b_op])
    assert b_again["results"] == b_first["results"]
