"""A household's `responsible_doctor_id` names an active village doctor serving the
household's village (issue 16.5): anything else is a field error, a 422 on the REST API
and that op's `rejected` in a push (the rest applied), never an IntegrityError 500."""
from __future__ import annotations

import uuid

import pytest
from conftest import PASSWORD, login

from core.models import Household, User
from server.extensions import db


def _enrol(app, username: str) -> str:
    """A device token for `username` (enrolment takes the account's password)."""
    browser = app.test_client()
    login(browser, username)
    r = browser.post("/api/devices", json={"label": "phone", "password": PASSWORD})
    assert r.status_code in (200, 201), r.get_json()
    return r.get_json()["token"]


def _bad_doctors(app, town) -> dict[str, int]:
    with app.app_context():
        retired = User(username="retired", password_hash="x", full_name="退休村医",
                       role="doctor", township_id=town["township_a"], active=False,
                       villages=[db.session.get(User, town["doctor_a"]).villages[0]])
        db.session.add(retired)
        db.session.commit()
        out = {"no such user": 987654, "past a 32-bit id": 2**31, "past 64 bits": 2**63,
               "doctor of another village": town["doctor_b"], "staff": town["staff_a"],
               "inactive doctor": retired.id, "other township": town["doctor_c"]}
        db.session.remove()
    return out


def _field_codes(body: dict) -> list[str]:
    return [e["code"] for e in body["errors"]["responsible_doctor_id"]]


def test_rest_refuses_a_responsible_doctor_who_does_not_serve_the_village(app, town):
    doctor = app.test_client()
    login(doctor, "doctor_a")
    for label, bad in _bad_doctors(app, town).items():
        r = doctor.post("/api/households", json={"village_id": town["village_1"],
                                                 "responsible_doctor_id": bad})
        assert r.status_code == 422, (label, r.get_data(as_text=True)[:300])
        body = r.get_json()
        assert body["code"] == "validation_failed" and body["status"] == 422
        assert _field_codes(body) == ["not_village_doctor"], label
    r = doctor.post("/api/households", json={"village_id": town["village_1"],
                                             "responsible_doctor_id": town["doctor_a"]})
    assert r.status_code == 201
    assert r.get_json()["responsible_doctor_id"] == town["doctor_a"]


@pytest.mark.parametrize("action", ["create", "update"])
def test_sync_rejects_that_op_and_applies_the_rest(app, town, action):
    token = _enrol(app, "doctor_a")
    bad = _bad_doctors(app, town)
    counter = iter(range(1, 100))

    def op(entity, act, entity_id, data, base_version):
        return {"op_id": str(uuid.uuid4()), "device_counter": next(counter), "entity": entity,
                "action": act, "id": str(entity_id), "base_version": base_version,
                "data": data}

    ops, targets = [], []
    for value in bad.values():
        if action == "create":
            target = uuid.uuid4()
            ops.append(op("household", "create", target,
                          {"village_id": town["village_1"], "responsible_doctor_id": value}, 0))
        else:
            target = town["household_1"]
            ops.append(op("household", "update", target, {"responsible_doctor_id": value}, 1))
        targets.append(target)
    ops.append(op("resident", "update", town["resident_1"], {"phone": "13900000000"}, 1))
    r = app.test_client().post("/api/sync", json={"protocol": 1, "cursor": 0, "pull_limit": 0,
                                                  "push": ops},
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    results = r.get_json()["results"]
    for result in results[:-1]:
        assert result["status"] == "rejected", result
        assert _field_codes(result) == ["not_village_doctor"], result
    assert results[-1]["status"] == "accepted"
    with app.app_context():
        if action == "create":
            assert all(db.session.get(Household, t) is None for t in targets)
        else:
            household = db.session.get(Household, town["household_1"])
            assert household.responsible_doctor_id is None and household.version == 1
        db.session.remove()
