"""Residents and households over HTTP: registration, validation, editing, masking."""
from __future__ import annotations

import pytest
from conftest import login, new_id
from sqlalchemy import func, select

from core.models import Resident
from server.extensions import db
from server.validation.idcard import check_char


def nid(first17: str) -> str:
    return first17 + check_char(first17)


def resident_body(town, **change):
    body = {"id": new_id(), "village_id": town["village_1"],
            "household_id": str(town["household_1"]), "name": "张小凤", "sex": "female",
            "birth_date": "1988-08-08", "national_id": nid("51192119880808002"),
            "phone": "13912345678", "relationship_to_head": "子女"}
    body.update(change)
    return {k: v for k, v in body.items() if v is not ...}


def _residents(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Resident.id)))


def test_register_resident_assigns_a_record_number(app, client, town):
    login(client, "doctor_a")
    r = client.post("/api/residents", json=resident_body(town))
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["record_no"].startswith("511921" + "101" + "001")
    assert len(got["record_no"]) == 17
    assert got["version"] == 1


CASES = [
    ({"national_id": "511921198808080021"}, "national_id", "national_id_checksum"),
    ({"national_id": "5119211988080800"}, "national_id", "national_id_format"),
    ({"national_id": nid("51192119880809002")}, "national_id", "national_id_birth_mismatch"),
    ({"national_id": nid("51192119880808001")}, "national_id", "national_id_sex_mismatch"),
    ({"birth_date": "2999-01-01"}, "birth_date", "date_in_future"),
    ({"name": "张😀😀"}, "name", "name_chars"),
    ({"name": "<script>alert(1)</script>"}, "name", "name_chars"),
    ({"name": "x" * 100_000}, "name", "length"),
    ({"name": ""}, "name", "length"),
    ({"name": ...}, "name", "required"),
    ({"sex": "x"}, "sex", "choice"),
    ({"phone": "12345"}, "phone", "phone_format"),
    ({"phone": "13912345678'; DROP TABLE residents;--"}, "phone", "length"),
    ({"village_id": "1"}, "village_id", "type"),
    ({"status": "deceased"}, "died_on", "required"),
    ({"status": "deceased", "died_on": "1980-01-01"}, "died_on", "before_birth"),
    ({"extra_field": True}, "extra_field", "unknown_field"),
    ({"conditions": [{"condition": "flu", "managed_since": "2020-01-01"}]}, "conditions", None),
]


@pytest.mark.parametrize(("change", "field", "code"), CASES,
                         ids=[f"{c[1]}-{c[2]}" for c in CASES])
def test_bad_resident_is_refused_and_nothing_stored(app, client, town, change, field, code):
    login(client, "doctor_a")
    before = _residents(app)
    r = client.post("/api/residents", json=resident_body(town, **change))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert field in errors
    if code:
        assert any(e["code"] == code for e in errors[field]), errors[field]
    assert _residents(app) == before


def test_minority_and_foreign_names_are_accepted(app, client, town):
    login(client, "doctor_a")
    for name in ("阿依古丽·买买提", "Ma Lin", "欧阳娜娜"):
        r = client.post("/api/residents", json=resident_body(town, name=name, national_id=None))
        assert r.status_code == 201, r.get_json()


def test_infant_without_id_number_is_accepted(app, client, town):
    login(client, "doctor_a")
    body = resident_body(town, national_id=None, birth_date="2026-10-01", name="张宝宝")
    assert client.post("/api/residents", json=body).status_code == 201


def test_duplicate_national_id_is_refused_without_saying_whose(app, client, town):
    login(client, "doctor_b")  # the holder, resident_1, is in doctor_a's village
    body = resident_body(town, village_id=town["village_2"], household_id=None,
                         national_id="511921195003070018", sex="male", birth_date="1950-03-07")
    r = client.post("/api/residents", json=body)
    assert r.status_code == 409
    assert r.get_json()["errors"]["national_id"][0]["code"] == "national_id_taken"
    assert "张三丰" not in r.get_data(as_text=True)


def test_household_in_other_village_is_refused(app, client, town):
    login(client, "staff_a")  # staff may see both villages, but a household has one village
    r = client.post("/api/residents", json=resident_body(town, village_id=town["village_2"]))
    assert r.status_code == 422
    assert r.get_json()["errors"]["household_id"][0]["code"] == "other_village"


def test_a_move_keeps_resident_and_household_in_one_village(app, client, town):
    """Moving to village 2 while keeping village 1's household, or joining a household of
    another village, is refused and changes nothing; with village 2's household it moves."""
    login(client, "staff_a")
    url = f"/api/residents/{town['resident_1']}"
    for change in ({"village_id": town["village_2"]},
                   {"household_id": str(town["household_2"])}):
        r = client.patch(url, json={"version": 1, **change})
        assert r.status_code == 422, change
        assert r.get_json()["errors"]["household_id"][0]["code"] == "other_village"
    assert client.get(url).get_json()["village_id"] == town["village_1"]
    r = client.patch(url, json={"version": 1, "village_id": town["village_2"],
                                "household_id": str(town["household_2"])})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["village_id"] == town["village_2"]


def test_edit_with_current_version_then_stale_version(app, client, town):
    login(client, "doctor_a")
    url = f"/api/residents/{town['resident_1']}"
    r = client.patch(url, json={"version": 1, "phone": "13700000000"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 2
    r = client.patch(url, json={"version": 1, "phone": "13600000000"})
    assert r.status_code == 409
    assert client.get(url).get_json()["phone"] == "13700000000"


def test_edit_is_validated_as_a_whole_record(app, client, town):
    login(client, "doctor_a")
    url = f"/api/residents/{town['resident_1']}"
    r = client.patch(url, json={"version": 1, "birth_date": "1951-01-01"})
    assert r.status_code == 422
    assert r.get_json()["errors"]["national_id"][0]["code"] == "national_id_birth_mismatch"
    r = client.patch(url, json={"phone": "13700000000"})
    assert r.status_code == 422 and "version" in r.get_json()["errors"]


def test_moving_out_and_dying_keep_dated_events(app, client, town):
    from core.models import ResidenceEvent

    login(client, "doctor_a")
    url = f"/api/residents/{town['resident_1']}"
    r = client.patch(url, json={"version": 1, "status": "deceased", "died_on": "2026-06-30"})
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        events = db.session.scalars(select(ResidenceEvent)).all()
        assert [(e.kind, e.occurred_on.isoformat()) for e in events] == [
            ("deceased", "2026-06-30")]


def test_lists_mask_id_and_phone_but_the_record_does_not(app, client, town):
    login(client, "doctor_a")
    items = client.get("/api/residents").get_json()["items"]
    assert [i["name"] for i in items] == ["张三丰"]
    assert items[0]["national_id"] == "511921********0018"
    assert items[0]["phone"] == "138****8000"
    one = client.get(f"/api/residents/{town['resident_1']}").get_json()
    assert one["national_id"] == "511921195003070018"


def test_search_by_name_prefix_id_and_phone(app, client, town):
    login(client, "staff_a")
    for q in ("张三", "5119211950", "138001"):
        names = [i["name"] for i in client.post("/api/residents/search", json={"q": q})
                 .get_json()["items"]]
        assert names == ["张三丰"], q
    # LIKE wildcards typed by a user match literally.
    assert client.post("/api/residents/search", json={"q": "%"}).get_json()["total"] == 0
    assert client.post("/api/residents/search", json={"q": ""}).status_code == 422
