"""Cards on phones: codes arrive with the resident, a reissue retires the old code, and a
blank card linked at the door (a resident `update` with `card_code`) syncs; two phones
linking the same card offline cannot both win."""
from __future__ import annotations

import json

import pytest
from conftest import login
from sqlalchemy import select

from core.models import ResidentCard
from server.extensions import db


@pytest.fixture
def staff(app, town):
    c = app.test_client()
    login(c, "staff_a")
    return c


def blank_cards(staff, n: int) -> list[dict]:
    r = staff.post("/api/cards/blank", json={"count": n})
    assert r.status_code == 201
    return r.get_json()["cards"]


def only_result(client) -> dict:
    [result] = list(client.results().values())
    return result


def test_reissue_reaches_the_phone_and_the_old_code_is_gone(app, town, phone, staff):
    rid = str(town["resident_1"])
    a = phone()
    old = staff.post(f"/api/residents/{rid}/card", json={}).get_json()
    a.sync()
    assert a.get("resident", rid)[1]["card_code"] == old["code"]
    new = staff.post(f"/api/residents/{rid}/card", json={"reason": "lost"}).get_json()
    a.sync()
    data = a.get("resident", rid)[1]
    assert (data["card_code"], data["card_fallback"]) == (new["code"], new["fallback"])
    holders = [r for r in a.all("resident").values() if r[1].get("card_code") == old["code"]]
    assert holders == []
    assert old["code"] in data["cards_revoked"]


def test_linking_a_blank_card_at_the_door(app, town, phone, staff):
    rid = str(town["resident_1"])
    [card] = blank_cards(staff, 1)
    a = phone()
    a.update("resident", rid, {"card_code": card["code"]})
    a.sync()
    result = only_result(a)
    assert result["status"] == "accepted", result
    data = a.get("resident", rid)[1]
    assert (data["card_code"], data["card_fallback"]) == (card["code"], card["fallback"])
    with app.app_context():
        row = db.session.get(ResidentCard, card["id"])
        assert (row.status, str(row.resident_id)) == ("active", rid)
        assert row.issued_device_id is not None
    other_phone = phone(name="other")  # another device of the village receives the link
    assert other_phone.get("resident", rid)[1]["card_code"] == card["code"]


def test_linking_a_new_card_retires_the_residents_old_one(app, town, phone, staff):
    rid = str(town["resident_1"])
    old = staff.post(f"/api/residents/{rid}/card", json={}).get_json()
    [card] = blank_cards(staff, 1)
    a = phone()
    a.update("resident", rid, {"card_code": card["code"]})
    a.sync()
    assert only_result(a)["status"] == "accepted"
    with app.app_context():
        statuses = dict(db.session.execute(select(ResidentCard.code, ResidentCard.status)).all())
    assert statuses == {old["code"]: "revoked", card["code"]: "active"}


def test_two_phones_link_the_same_blank_card_offline(app, town, phone, staff):
    """doctor_a links it to 张三丰, doctor_b to 李四, both offline: the first sync wins and
    the second is rejected with a reason the doctor can read; no code has two holders."""
    [card] = blank_cards(staff, 1)
    a, b = phone("doctor_a", "a"), phone("doctor_b", "b")
    a.update("resident", str(town["resident_1"]), {"card_code": card["code"]})
    b.update("resident", str(town["resident_2"]), {"card_code": card["code"]})
    a.sync()
    b.sync()
    assert only_result(a)["status"] == "accepted"
    [pending] = b.pending()
    assert pending["status"] == "rejected"
    [error] = json.loads(pending["errors"])["card_code"]
    assert error["code"] == "card_taken" and "已绑定给其他居民" in error["message"]
    with app.app_context():
        holders = db.session.scalars(select(ResidentCard.resident_id)
                                     .where(ResidentCard.code == card["code"])).all()
    assert [str(h) for h in holders] == [str(town["resident_1"])]


@pytest.mark.parametrize("code,error", [
    ("C1" + "0" * 20, "card_unknown"),  # well-formed, never made
    ("C1" + "0" * 19, "card_format"),  # not one of our codes at all
    ("https://example.com/pay", "card_format"),
])
def test_unknown_or_foreign_codes_are_rejected(app, town, phone, code, error):
    a = phone()
    a.update("resident", str(town["resident_1"]), {"card_code": code})
    a.sync()
    [pending] = a.pending()
    assert pending["status"] == "rejected"
    assert json.loads(pending["errors"])["card_code"][0]["code"] == error


def test_cards_of_another_township_or_revoked_cannot_be_linked(app, town, phone, staff):
    staff_b = app.test_client()
    login(staff_b, "staff_b")
    [foreign] = staff_b.post("/api/cards/blank", json={"count": 1}).get_json()["cards"]
    [spoiled] = blank_cards(staff, 1)
    staff.post(f"/api/cards/{spoiled['id']}/revoke", json={"reason": "damaged"})
    a = phone()
    a.update("resident", str(town["resident_1"]), {"card_code": foreign["code"]})
    a.update("resident", str(town["resident_1"]), {"card_code": spoiled["code"]})
    a.sync()
    codes = [json.loads(p["errors"])["card_code"][0]["code"] for p in a.pending()]
    assert codes == ["card_unknown", "card_revoked"]


def test_a_doctor_cannot_link_a_card_to_another_villages_resident(app, town, phone, staff):
    [card] = blank_cards(staff, 1)
    a = phone()  # a tampered phone: its villages do not hold 李四, so queue the op by hand
    a._queue("resident", "update", str(town["resident_2"]), 1, {"card_code": card["code"]})
    a.sync()
    [pending] = a.pending()
    assert pending["status"] == "rejected"
    with app.app_context():
        assert db.session.get(ResidentCard, card["id"]).status == "blank"


def test_a_new_resident_registered_with_a_blank_card(app, town, phone, staff):
    [card] = blank_cards(staff, 1)
    a = phone()
    rid = a.create("resident", {"village_id": town["village_1"], "name": "赵六", "sex": "male",
                                "birth_date": "1960-02-02", "card_code": card["code"]})
    a.sync()
    assert only_result(a)["status"] == "accepted"
    assert a.get("resident", rid)[1]["card_fallback"] == card["fallback"]
