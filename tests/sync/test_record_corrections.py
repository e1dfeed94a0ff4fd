"""Record corrections through `/api/sync` with device tokens (issue 17.4, 17.5, 17.7):
an education activity is corrected by its author like any record; a correction made on
an older version is merged per field or kept as a conflict for review, never a silent
overwrite; a stale voiding is refused; a create's `data.id` must be the op's; an accepted
record's result tells the phone the server's own fields."""
from __future__ import annotations

import uuid

from conftest import login
from device_push import enrol, op, push, stored_counts
from records_factory import record_body


def _codes(result: dict, field: str) -> list[str]:
    return [e["code"] for e in result.get("errors", {}).get(field, [])]


def _stored(app, record_id) -> dict:
    reader = app.test_client()
    login(reader, "doctor_a")
    r = reader.get(f"/api/records/{record_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _created(app, town, token, kind="hypertension_followup", **change) -> tuple[str, dict]:
    rid, body = str(uuid.uuid4()), record_body(town, kind, **change)
    [result] = push(app, token, [op("record", "create", rid, body)])[0]["results"]
    assert result["status"] == "accepted", result
    return rid, body


def test_an_education_activity_is_corrected_by_its_author(app, town):
    """17.4: accepted with its village, and with `village_id` left out (the stored one
    is kept); moved to a village that is not the author's, refused on `village_id`."""
    phone = enrol(app, "doctor_a")
    rid, body = _created(app, town, phone, "education_activity")
    [fixed] = push(app, phone, [op("record", "update", rid, {**body, "topic": "糖尿病防治"},
                                   base_version=1)])[0]["results"]
    assert (fixed["status"], fixed["version"]) == ("accepted", 2), fixed
    without = {k: v for k, v in body.items() if k != "village_id"}
    without.update(topic="糖尿病防治", audience_count=40)
    [kept] = push(app, phone, [op("record", "update", rid, without,
                                  base_version=2)])[0]["results"]
    assert (kept["status"], kept["version"]) == ("accepted", 3), kept
    stored = _stored(app, rid)
    assert (stored["topic"], stored["audience_count"], stored["village_id"]) == \
        ("糖尿病防治", 40, town["village_1"])
    elsewhere = {**body, "village_id": town["village_2"]}
    [away] = push(app, phone, [op("record", "update", rid, elsewhere, base_version=3)]
                  )[0]["results"]
    assert away["status"] == "rejected" and _codes(away, "village_id") == ["out_of_scope"], away
    assert _stored(app, rid)["village_id"] == town["village_1"]


def test_a_stale_correction_from_the_second_phone_is_merged_per_field(app, town):
    """17.5: phone A corrects systolic 150 → 160; phone B, still on version 1, corrects
    only the notes (its systolic is the old 150). The notes are applied, 160 stands."""
    a, b = enrol(app, "doctor_a", "a"), enrol(app, "doctor_a", "b")
    rid, body = _created(app, town, a)
    [first] = push(app, a, [op("record", "update", rid, {**body, "sbp": 160},
                               base_version=1)])[0]["results"]
    assert (first["status"], first["version"]) == ("accepted", 2)
    [stale] = push(app, b, [op("record", "update", rid, {**body, "notes": "复测"},
                               base_version=1)])[0]["results"]
    assert (stale["status"], stale["version"]) == ("merged", 3), stale
    assert isinstance(stale["seq"], int) and "conflicts" not in stale
    assert (stale["data"]["sbp"], stale["data"]["notes"]) == (160, "复测")
    stored = _stored(app, rid)
    assert (stored["sbp"], stored["notes"], stored["version"]) == (160, "复测", 3)


def test_the_same_field_changed_on_both_phones_is_a_conflict_for_review(app, town):
    """17.5: both phones changed the systolic: the first committed (160) stands, the
    other (170) is the op's `conflicts` entry and an entry of the township's review list
    tied to the op; the other field it changed is applied."""
    a, b = enrol(app, "doctor_a", "a"), enrol(app, "doctor_a", "b")
    rid, body = _created(app, town, a)
    push(app, a, [op("record", "update", rid, {**body, "sbp": 160}, base_version=1)])
    late = op("record", "update", rid, {**body, "sbp": 170, "heart_rate": 80}, base_version=1)
    [result] = push(app, b, [late])[0]["results"]
    assert (result["status"], result["version"]) == ("conflict", 3), result
    assert result["conflicts"] == [{"field": "sbp", "kept": 160, "yours": 170}]
    assert (result["data"]["sbp"], result["data"]["heart_rate"]) == (160, 80)
    assert (_stored(app, rid)["sbp"], _stored(app, rid)["heart_rate"]) == (160, 80)
    staff = app.test_client()
    login(staff, "staff_a")
    [entry] = staff.get("/api/sync/conflicts").get_json()["items"]
    assert (entry["entity"], entry["entity_id"], entry["field"], entry["kept"],
            entry["device_value"], entry["op_id"], entry["seq"], entry["base_version"]) == \
        ("record", rid, "sbp", 160, 170, late["op_id"], result["seq"], 1)
    page = staff.get("/township/conflicts")
    assert page.status_code == 200 and "170" in page.get_data(as_text=True)
    # Only the conflicting field changed: nothing applied, no new version, seq null.
    only = op("record", "update", rid, {**body, "sbp": 175}, base_version=1)
    [result] = push(app, b, [only])[0]["results"]
    assert (result["status"], result["version"], result["seq"]) == ("conflict", 3, None)
    assert _stored(app, rid)["sbp"] == 160
    assert len(staff.get("/api/sync/conflicts").get_json()["items"]) == 2


def test_a_stale_voiding_is_refused_and_the_own_phones_chain_is_not_stale(app, town):
    """A voiding made on version 1 of a record another phone corrected meanwhile is
    refused (`corrected_since`) and voids nothing; a phone's own corrections sent one
    after another on the version it last heard of are applied in turn, as sent."""
    a, b = enrol(app, "doctor_a", "a"), enrol(app, "doctor_a", "b")
    rid, body = _created(app, town, a)
    push(app, a, [op("record", "update", rid, {**body, "sbp": 160}, base_version=1)])
    before = stored_counts(app)
    [void] = push(app, b, [op("record", "delete", rid, {}, base_version=1)])[0]["results"]
    assert void["status"] == "rejected" and _codes(void, "base_version") == ["corrected_since"]
    assert stored_counts(app)["changes"] == before["changes"]
    assert _stored(app, rid)["version"] == 2
    # Phone A's own chain: two corrections and a voiding, all made on what it last heard.
    results = push(app, a, [op("record", "update", rid, {**body, "sbp": 165}, base_version=1),
                            op("record", "update", rid, {**body, "sbp": 166}, base_version=1)]
                   )[0]["results"]
    assert [(r["status"], r["version"]) for r in results] == [("accepted", 3), ("accepted", 4)]
    assert _stored(app, rid)["sbp"] == 166
    [future] = push(app, a, [op("record", "update", rid, body, base_version=9)])[0]["results"]
    assert _codes(future, "base_version") == ["unknown_base"], future
    [void] = push(app, a, [op("record", "delete", rid, {}, base_version=2)])[0]["results"]
    assert (void["status"], void["version"]) == ("accepted", 5), void


def test_a_creates_data_id_must_be_the_ops(app, town):
    """17.7: `data.id` may be left out; present, it must name the op's id (any spelling),
    else the op is `rejected` on `id` and nothing is stored under either id."""
    phone = enrol(app, "doctor_a")
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    [wrong] = push(app, phone, [op("record", "create", rid, {**record_body(town), "id": other})]
                   )[0]["results"]
    assert wrong["status"] == "rejected" and _codes(wrong, "id") == ["id_mismatch"], wrong
    reader = app.test_client()
    login(reader, "doctor_a")
    assert reader.get(f"/api/records/{rid}").status_code == 404
    assert reader.get(f"/api/records/{other}").status_code == 404
    [same] = push(app, phone, [op("record", "create", rid,
                                  {**record_body(town), "id": rid.upper()})])[0]["results"]
    assert same["status"] == "accepted", same
    [fix] = push(app, phone, [op("record", "update", rid, {**record_body(town), "id": other},
                                 base_version=1)])[0]["results"]
    assert _codes(fix, "id") == ["id_mismatch"], fix


def test_an_accepted_records_result_carries_the_servers_own_fields(app, town):
    """17.7: the phone learns the record's village, doctor and creation time from its
    accepted create and correction (its own changes never come back in a pull), and a
    replay answers the same."""
    phone = enrol(app, "doctor_a")
    rid, body = str(uuid.uuid4()), {k: v for k, v in record_body(town).items()
                                    if k != "village_id"}
    create = op("record", "create", rid, body)
    first, _ = push(app, phone, [create])
    [result] = first["results"]
    stored = _stored(app, rid)
    expected = {"village_id": town["village_1"], "doctor_id": town["doctor_a"],
                "created_at": stored["created_at"]}
    assert result["server_fields"] == expected, result
    assert push(app, phone, [create])[0]["results"] == first["results"]
    [fixed] = push(app, phone, [op("record", "update", rid, {**body, "sbp": 151},
                                   base_version=1)])[0]["results"]
    assert fixed["server_fields"] == expected, fixed
