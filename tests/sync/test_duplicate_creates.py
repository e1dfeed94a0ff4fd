"""A second create of an id already in the push or on the server (issue 17.1): `duplicate`
with the same content, `rejected` (`id_taken`) with other content, never a 500 that the
phone would meet again on every retry."""
from __future__ import annotations

import uuid

from device_push import enrol, op, push
from records_factory import record_body
from sqlalchemy import func, select

from core.models import Household, Resident, ServiceRecord
from server.extensions import db


def _count(app, model, entity_id) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model)
                              .where(model.id == entity_id))
        db.session.remove()
    return n


def _statuses(body: dict) -> list[str]:
    return [r["status"] for r in body["results"]]


def test_a_record_created_twice_around_an_edit_is_a_duplicate(app, town):
    """A double-tapped save, then an edit, then the next sync: the second create comes
    after the edit made the push insert the first."""
    token = enrol(app, "doctor_a")
    rec = uuid.uuid4()
    ops = [op("record", "create", rec, record_body(town)),
           op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
           op("record", "create", rec, record_body(town))]
    body, _ = push(app, token, ops)
    assert _statuses(body) == ["accepted", "accepted", "duplicate"]
    assert body["results"][2]["version"] == 1
    again, _ = push(app, token, ops)  # a retry gets the same answers
    assert again["results"] == body["results"]
    assert _count(app, ServiceRecord, rec) == 1


def test_a_record_created_twice_with_other_content_is_rejected(app, town):
    token = enrol(app, "doctor_a")
    rec = uuid.uuid4()
    ops = [op("record", "create", rec, record_body(town)),
           op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
           op("record", "create", rec, record_body(town, sbp=170))]
    body, _ = push(app, token, ops)
    assert _statuses(body) == ["accepted", "accepted", "rejected"]
    assert body["results"][2]["errors"]["id"][0]["code"] == "id_taken"
    assert _count(app, ServiceRecord, rec) == 1


def test_a_record_corrected_in_the_same_push_then_created_again(app, town):
    """Created, corrected by its author and sent as a create again, all in one push; then
    once more in the next push, from the server's copy."""
    token = enrol(app, "doctor_a")
    rec = uuid.uuid4()
    body, _ = push(app, token, [
        op("record", "create", rec, record_body(town)),
        op("record", "update", rec, record_body(town, sbp=172), base_version=1),
        op("record", "create", rec, record_body(town, sbp=172)),
        op("record", "create", rec, record_body(town)),
    ])
    assert _statuses(body) == ["accepted", "accepted", "duplicate", "rejected"]
    assert body["results"][2]["version"] == 2
    body, _ = push(app, token, [
        op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
        op("record", "create", rec, record_body(town, sbp=172)),
        op("record", "create", rec, record_body(town, sbp=171)),
    ])
    assert _statuses(body) == ["accepted", "duplicate", "rejected"]
    assert _count(app, ServiceRecord, rec) == 1


def test_residents_and_households_created_twice_around_an_edit(app, town):
    token = enrol(app, "doctor_a")
    hh, res = uuid.uuid4(), uuid.uuid4()
    household = {"village_id": town["village_1"], "address": "龙泉村3组8号", "head_name": "赵六"}
    resident = {"village_id": town["village_1"], "household_id": str(hh), "name": "赵六",
                "sex": "male", "birth_date": "1961-04-02"}
    ops = [op("household", "create", hh, household),
           op("resident", "create", res, resident),
           op("record", "create", uuid.uuid4(), record_body(town)),
           op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
           op("household", "create", hh, household),
           op("resident", "create", res, resident)]
    body, _ = push(app, token, ops)
    assert _statuses(body) == ["accepted", "accepted", "accepted", "accepted", "duplicate",
                               "duplicate"]
    again, _ = push(app, token, ops)
    assert again["results"] == body["results"]
    assert _count(app, Household, hh) == 1 and _count(app, Resident, res) == 1
