"""Scope comes first in a push (issue 16.2): an op about another village's resident,
household or record is `rejected` (`out_of_scope`) carrying none of the target's data,
stores no change and no conflict, and reads the same as an op about an id that does not
exist."""
from __future__ import annotations

import uuid

from conftest import login
from device_push import enrol, op, push, stored_counts, without_ids
from records_factory import record_body

from core import changelog
from core.models import Household, Resident, User
from server.extensions import db
from server.services import people

# What doctor_a's village-1 resident and household hold, none of which a doctor of
# village 2 may learn.
SECRETS = ("张三丰", "511921195003070018", "13800138000", "龙泉村1组1号", "张三")


def _assert_out_of_scope(result: dict, text: str) -> None:
    assert result["status"] == "rejected", result
    assert [e["code"] for e in result["errors"]["id"]] == ["out_of_scope"], result
    assert set(result) == {"op_id", "id", "status", "errors"}, result
    for secret in SECRETS:
        assert secret not in text


def test_an_edit_of_another_villages_resident_or_household_is_out_of_scope(app, town):
    token = enrol(app, "doctor_b")
    before = stored_counts(app)
    ops = [op("resident", "update", town["resident_1"], {}),
           op("household", "update", town["household_1"], {}),
           op("resident", "create", town["resident_1"], {
               "village_id": town["village_2"], "name": "张三丰", "sex": "male",
               "birth_date": "1950-03-07"}),
           op("household", "create", town["household_1"], {"village_id": town["village_2"]})]
    body, text = push(app, token, ops)
    for result in body["results"]:
        _assert_out_of_scope(result, text)
    after = stored_counts(app)
    assert (after["changes"], after["conflicts"]) == (before["changes"], before["conflicts"])


def test_a_stale_edit_of_another_village_stores_no_conflict_and_changes_nothing(app, town):
    owner = app.test_client()
    login(owner, "doctor_a")
    r = owner.patch(f"/api/residents/{town['resident_1']}",
                    json={"version": 1, "phone": "13800138001"})
    assert r.status_code == 200
    with app.app_context():  # the household is at version 2 too, so an edit of 1 is stale
        writer = changelog.Writer(db.session)
        people.update_household(db.session, db.session.get(User, town["staff_a"]),
                                town["household_1"], {"phone": "13800138002"}, writer)
        writer.finish()
        db.session.commit()
    token = enrol(app, "doctor_b")
    before = stored_counts(app)
    ops = [op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
           op("household", "update", town["household_1"], {"phone": "13900000000"})]
    body, text = push(app, token, ops)
    for result in body["results"]:
        _assert_out_of_scope(result, text.replace("13800138000", ""))
        assert "13800138001" not in text and "13800138002" not in text
    after = stored_counts(app)
    assert (after["changes"], after["conflicts"]) == (before["changes"], before["conflicts"])
    with app.app_context():
        assert db.session.get(Resident, town["resident_1"]).phone == "13800138001"
        assert db.session.get(Household, town["household_1"]).phone == "13800138002"
    staff = app.test_client()
    login(staff, "staff_a")
    assert staff.get("/api/sync/conflicts").get_json()["items"] == []


def test_an_unknown_id_and_another_villages_id_get_the_same_answer(app, town):
    author = enrol(app, "doctor_a", "author")
    activity = record_body(town, "education_activity")
    followup = record_body(town)
    act_id, rec_id = str(uuid.uuid4()), str(uuid.uuid4())
    body, _ = push(app, author, [op("record", "create", act_id, activity),
                                 op("record", "create", rec_id, followup)])
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]

    token = enrol(app, "doctor_b")
    hers = record_body(town, resident_id=str(town["resident_2"]))
    pairs = [
        ("resident", "update", town["resident_1"], {"phone": "13900000000"}),
        ("household", "update", town["household_1"], {"head_name": "冒名"}),
        ("record", "update", rec_id, {**followup, "sbp": 170}),
        ("record", "delete", rec_id, {}),
        ("record", "update", act_id, {**activity, "village_id": None, "topic": "改"}),
        ("record", "delete", act_id, {}),
    ]
    for entity, action, target, data in pairs:
        known, _ = push(app, token, [op(entity, action, target, data)])
        unknown, _ = push(app, token, [op(entity, action, uuid.uuid4(), data)])
        assert without_ids(known["results"][0]) == without_ids(unknown["results"][0]), \
            (entity, action)
        assert known["results"][0]["errors"]["id"][0]["code"] == "out_of_scope"
    # A create re-using the id of another village's record learns nothing of its content:
    # neither `duplicate` (same content) nor `id_taken` (other content).
    for data in (followup, hers):
        body, _ = push(app, token, [op("record", "create", rec_id, data)])
        assert body["results"][0]["status"] == "rejected"
        assert body["results"][0]["errors"]["id"][0]["code"] == "out_of_scope"


def test_a_card_cannot_be_linked_to_another_villages_resident(app, town):
    token = enrol(app, "doctor_b")
    before = stored_counts(app)
    body, text = push(app, token, [op("resident", "update", town["resident_1"],
                                      {"card_code": "QF-000001"})])
    _assert_out_of_scope(body["results"][0], text)
    assert stored_counts(app)["changes"] == before["changes"]


def test_own_village_edits_still_apply(app, town):
    token = enrol(app, "doctor_a")
    body, _ = push(app, token, [
        op("resident", "update", town["resident_1"], {"phone": "13900000000"}),
        op("record", "create", uuid.uuid4(), record_body(town, "education_activity")),
    ])
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
