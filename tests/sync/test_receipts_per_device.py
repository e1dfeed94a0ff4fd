"""Receipts belong to the account that sent the op (issue 16.4, ADR 0053 superseding 0045):
a replay from any device of that account, a phone enrolled anew after its token was revoked
included, gets the stored answer; an `op_id` another account (or a push without a device)
used is `rejected` (`op_id_taken`) with no data and changes nothing; and an account that
takes an op_id first cannot make another account's op answer with its result."""
from __future__ import annotations

import uuid

from conftest import login
from device_push import enrol, op, push, stored_counts
from records_factory import record_body
from sqlalchemy import func, select

from core.models import ServiceRecord, User
from server.extensions import db
from server.services import accounts

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


def _first_answers(app, town) -> tuple[str, list[dict], dict]:
    """doctor_a's phone pushes a resident edit (answered `duplicate` with the whole
    resident, kept as a receipt) and a new record (its change row is its receipt)."""
    phone_a = enrol(app, "doctor_a", "a")
    resident_edit = op("resident", "update", town["resident_1"], {})
    record = op("record", "create", uuid.uuid4(), record_body(town))
    first, text = push(app, phone_a, [resident_edit, record])
    assert [r["status"] for r in first["results"]] == ["duplicate", "accepted"]
    assert "张三丰" in text
    return phone_a, [resident_edit, record], first


def test_another_accounts_op_id_gets_no_stored_answer(app, town):
    phone_a, ops, first = _first_answers(app, town)
    again, _ = push(app, phone_a, ops)  # the same device: exactly its stored answers
    assert again["results"] == first["results"]

    before, records = stored_counts(app), _records(app)
    token = enrol(app, "doctor_b", "other")
    for stolen in ops:
        body, text = push(app, token, [{**stolen, "id": str(uuid.uuid4()), "entity": "resident",
                                        "action": "update", "base_version": 1, "data": {}}])
        _assert_taken(body["results"][0], text)
        body, text = push(app, token, [stolen])
        _assert_taken(body["results"][0], text)
    assert stored_counts(app) == before and _records(app) == records
    again, _ = push(app, phone_a, ops)  # ...and the owner's replay still answers as first
    assert again["results"] == first["results"]


def test_the_same_accounts_other_phone_gets_the_stored_answer(app, town):
    """The author's second phone re-sending the first phone's ops (a copied outbox) gets
    the first answers, and nothing is applied twice."""
    _phone_a, ops, first = _first_answers(app, town)
    before, records = stored_counts(app), _records(app)
    second = enrol(app, "doctor_a", "second")
    body, _ = push(app, second, ops)
    assert body["results"] == first["results"]
    assert stored_counts(app) == before and _records(app) == records


def test_a_phone_enrolled_anew_after_a_revoke_gets_its_lost_answers(app, town):
    """Issue 17 / ADR 0045's open case: the phone's token is revoked (by the admin, or a
    role change), the phone is enrolled again, and it re-sends the ops whose response it
    lost. They had landed: it gets their first answers, not `op_id_taken`."""
    phone_a, ops, first = _first_answers(app, town)
    with app.app_context():
        admin = db.session.get(User, town["admin_a"])
        assert accounts.revoke_devices(db.session, admin,
                                       db.session.get(User, town["doctor_a"])) == 1
        db.session.commit()
        db.session.remove()
    refused = app.test_client().post("/api/sync", json={"protocol": 1, "cursor": 0, "push": []},
                                     headers={"Authorization": f"Bearer {phone_a}"})
    assert refused.status_code == 401
    before, records = stored_counts(app), _records(app)
    anew = enrol(app, "doctor_a", "again")
    body, _ = push(app, anew, ops)
    assert body["results"] == first["results"]
    assert stored_counts(app) == before and _records(app) == records


def test_a_push_without_a_device_cannot_replay_a_devices_op(app, town):
    """A push made on a login session has no device, so no stored answer, even its own
    account's (ADR 0053): every op_id already on the server is `op_id_taken` for it."""
    phone_a = enrol(app, "doctor_a", "a")
    edit = op("resident", "update", town["resident_1"], {})
    push(app, phone_a, [edit])
    for username in ("staff_a", "doctor_a"):
        session = app.test_client()
        login(session, username)
        body, text = push(app, None, [edit], cookie_client=session)
        _assert_taken(body["results"][0], text)


def test_an_account_that_takes_an_op_id_first_does_not_answer_for_the_other(app, town):
    """Device B (doctor_b) sends op_id X before device A (doctor_a) does. A's op is
    refused with `op_id_taken` and not applied: op_ids are random UUIDs made on the phone,
    so only someone who saw A's op before it reached the server can do this
    (docs/adr/0053-account-bound-receipts.md). A never receives B's answer, and B's
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
