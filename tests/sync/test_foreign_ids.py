"""Ids a client names that are not the caller's (issue 16.5 re-attack, M2, M3, L2, L3).

A household, a listed resident or an op id that names nothing, or names something of
another village, is that op's `rejected` (REST: a 422 in the one error shape), never a
500 that sinks the rest of the batch for ever; a random id and another village's id get
the same answer. A push element that is not an object is that element's `rejected`."""
from __future__ import annotations

import json
import uuid

from conftest import login
from device_push import enrol, op, push, without_ids
from records_factory import record_body

from core.models import Household, Resident, ServiceRecord
from server.extensions import db


def _codes(result: dict, field: str) -> list[str]:
    assert result["status"] == "rejected", result
    return [e["code"] for e in result["errors"].get(field, [])]


def _good_edit(town: dict) -> dict:
    """An op that must be applied whatever its neighbours in the batch do."""
    return op("household", "update", town["household_1"], {"phone": "13700000001"})


def _household_applied(app, town: dict) -> bool:
    with app.app_context():
        phone = db.session.get(Household, town["household_1"]).phone
        db.session.remove()
    return phone == "13700000001"


def test_a_resident_edit_naming_no_household_or_another_villages_is_rejected(app, town):
    token = enrol(app, "doctor_a")
    ops = [_good_edit(town),
           op("resident", "update", town["resident_1"], {"household_id": str(uuid.uuid4())}),
           op("resident", "update", town["resident_1"],
              {"household_id": str(town["household_2"])})]
    body, _ = push(app, token, ops)
    good, random_id, elsewhere = body["results"]
    assert good["status"] == "accepted", good
    assert _codes(random_id, "household_id") == ["unknown_household"]
    assert without_ids(random_id) == without_ids(elsewhere)  # no oracle
    assert _household_applied(app, town)
    again, _ = push(app, token, ops)  # the resend gets the same answers, not a 500
    assert again["results"][1:] == body["results"][1:]
    with app.app_context():
        assert db.session.get(Resident, town["resident_1"]).household_id == town["household_1"]


def test_a_new_resident_in_no_household_is_rejected(app, town):
    token = enrol(app, "doctor_a")
    new = {"village_id": town["village_1"], "name": "赵六", "sex": "male",
           "birth_date": "1990-01-01"}
    ops = [op("resident", "create", uuid.uuid4(), {**new, "household_id": str(uuid.uuid4())}),
           op("resident", "create", uuid.uuid4(),
              {**new, "household_id": str(town["household_2"])}), _good_edit(town)]
    body, _ = push(app, token, ops)
    random_id, elsewhere, good = body["results"]
    assert _codes(random_id, "household_id") == ["unknown_household"]
    assert without_ids(random_id) == without_ids(elsewhere)
    assert good["status"] == "accepted"


def test_a_record_naming_no_household_or_another_villages_is_rejected(app, town):
    token = enrol(app, "doctor_a")
    ops = [op("record", "create", uuid.uuid4(),
              record_body(town, household_id=str(uuid.uuid4()))),
           op("record", "create", uuid.uuid4(),
              record_body(town, household_id=str(town["household_2"]))),
           op("record", "create", uuid.uuid4(), record_body(town)),
           op("record", "create", uuid.uuid4(),
              record_body(town, household_id=str(town["household_1"]))),
           _good_edit(town)]
    body, _ = push(app, token, ops)
    random_id, elsewhere, plain, own_household, edit = body["results"]
    assert _codes(random_id, "household_id") == ["unknown_household"]
    assert without_ids(random_id) == without_ids(elsewhere)
    assert [plain["status"], own_household["status"], edit["status"]] == ["accepted"] * 3
    again, _ = push(app, token, ops)
    assert again["results"] == body["results"]  # the stored answers, no 500
    with app.app_context():
        assert db.session.get(ServiceRecord, uuid.UUID(ops[0]["id"])) is None


def test_listed_residents_must_be_the_callers(app, town):
    token = enrol(app, "doctor_a")
    elsewhere, nobody = str(town["resident_2"]), str(uuid.uuid4())
    mine = str(town["resident_1"])
    ops = []
    for kind, field in (("education_activity", "attendee_ids"),
                        ("household_visit", "members_seen")):
        for listed in ([mine, elsewhere], [nobody], [mine]):
            ops.append(op("record", "create", uuid.uuid4(),
                          record_body(town, kind, **{field: listed})))
    body, _ = push(app, token, ops)
    results = body["results"]
    for i, field in ((0, "attendee_ids"), (3, "members_seen")):
        assert _codes(results[i], field) == ["unknown_resident"]
        assert without_ids(results[i]) == without_ids(results[i + 1])
        assert results[i + 2]["status"] == "accepted", results[i + 2]


def test_rest_refuses_a_household_or_resident_that_is_not_the_callers(app, town):
    client = app.test_client()
    login(client, "doctor_a")
    answers = []
    for household in (str(uuid.uuid4()), str(town["household_2"])):
        r = client.patch(f"/api/residents/{town['resident_1']}",
                         json={"version": 1, "household_id": household})
        answers.append((r.status_code, r.get_json()))
        r = client.post("/api/records", json=record_body(
            town, id=str(uuid.uuid4()), household_id=household))
        answers.append((r.status_code, r.get_json()))
    for status, problem in answers:
        assert status == 422, problem
        assert {"code", "status", "message", "errors"} <= problem.keys()
        assert [e["code"] for e in problem["errors"]["household_id"]] == ["unknown_household"]
    assert answers[0] == answers[2] and answers[1] == answers[3]
    r = client.post("/api/records", json=record_body(
        town, "education_activity", id=str(uuid.uuid4()),
        attendee_ids=[str(town["resident_2"])]))
    assert r.status_code == 422
    assert r.get_json()["errors"]["attendee_ids"][0]["code"] == "unknown_resident"


def _raw_push(app, token: str, ops: list) -> tuple[int, bytes]:
    """A push whose body is written here (json.dumps escapes a lone surrogate as
    `\\ud800`, as a phone's JSON.stringify does)."""
    body = json.dumps({"protocol": 1, "cursor": 0, "pull_limit": 0, "push": ops})
    r = app.test_client().post("/api/sync", data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    return r.status_code, r.get_data()


def test_a_lone_surrogate_in_an_ops_ids_is_that_ops_rejected(app, town):
    token = enrol(app, "doctor_a")
    for field in ("op_id", "id"):
        bad = op("resident", "update", town["resident_1"], {"phone": "13700000002"})
        bad[field] = "\ud800" + bad[field]
        ops = [_good_edit(town), bad]
        status, raw = _raw_push(app, token, ops)
        assert status == 200, raw[:300]
        text = raw.decode("utf-8")  # strict: the bytes are UTF-8
        assert "\\ud800" not in text
        result = json.loads(text)["results"][1]
        assert result["status"] == "rejected"
        assert _codes(result, field) in (["invalid_char"], ["invalid"], ["type"])
        assert result[field] in (None, "\ufffd" + ops[1][field][1:])
        assert _household_applied(app, town)
        again = _raw_push(app, token, ops)
        assert again[0] == 200 and json.loads(again[1])["results"][1] == result
    with app.app_context():
        assert db.session.get(Resident, town["resident_1"]).phone == "13800138000"


def test_a_push_element_that_is_not_an_object_is_that_elements_rejected(app, town):
    token = enrol(app, "doctor_a")
    ops = ["op", 5, None, [1, 2], _good_edit(town), True]
    status, raw = _raw_push(app, token, ops)
    assert status == 200, raw[:300]
    results = json.loads(raw)["results"]
    assert len(results) == len(ops)  # one per element, in order: its place is its index
    for i in (0, 1, 2, 3, 5):
        assert results[i]["status"] == "rejected", results[i]
        assert results[i]["op_id"] is None and results[i]["id"] is None
        assert results[i]["errors"]
    assert results[4]["status"] == "accepted"
    assert _household_applied(app, town)


def test_a_doctor_id_that_names_nobody_is_that_records_rejected(app, town):
    staff = app.test_client()
    login(staff, "staff_a")
    ops = [op("record", "create", uuid.uuid4(), record_body(town, doctor_id=doctor_id))
           for doctor_id in (2**31, 2**70, town["doctor_c"], town["doctor_a"])]
    body, _ = push(app, None, ops, cookie_client=staff)
    results = body["results"]
    for result in (results[0], results[2]):  # nobody; another township's doctor
        assert _codes(result, "doctor_id") == ["unknown_doctor"]
    assert _codes(results[1], "doctor_id")  # past 64 bits: the schema's own refusal
    assert without_ids(results[0]) == without_ids(results[2])
    assert results[3]["status"] == "accepted", results[3]
