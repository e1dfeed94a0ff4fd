"""The township issues, reissues, revokes and prints cards; lookups never cross scope."""
from __future__ import annotations

import pytest
from conftest import login
from sqlalchemy import select

from core.models import ResidentCard, SyncChange
from server.cards import codes
from server.extensions import db


def signed_in(app, username: str):
    c = app.test_client()
    login(c, username)
    return c


def issue(staff, resident_id, reason="lost") -> dict:
    r = staff.post(f"/api/residents/{resident_id}/card", json={"reason": reason})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def lookup(client, code: str) -> dict:
    r = client.post("/api/cards/lookup", json={"code": code})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_issue_gives_an_opaque_code_and_the_resident_carries_it(app, town):
    staff = signed_in(app, "staff_a")
    card = issue(staff, town["resident_1"])
    assert codes.is_qr_code(card["code"]) and codes.fallback_ok(card["fallback"])
    assert card["status"] == "active"
    for personal in ("张三丰", "511921195003070018", "13800138000", "hypertension"):
        assert personal not in card["code"]
    resident = staff.get(f"/api/residents/{town['resident_1']}").get_json()
    assert (resident["card_code"], resident["card_fallback"]) == (card["code"], card["fallback"])
    assert resident["version"] == 2  # a new version, published to phones
    doctor = signed_in(app, "doctor_a")
    assert lookup(doctor, card["code"]) == {"status": "active", "card_id": card["id"],
                                            "resident_id": str(town["resident_1"])}
    typed = codes.format_fallback(card["fallback"]).lower()
    assert lookup(doctor, typed)["resident_id"] == str(town["resident_1"])


def test_reissue_makes_the_old_code_stop_working(app, town):
    staff = signed_in(app, "staff_a")
    old = issue(staff, town["resident_1"])
    new = issue(staff, town["resident_1"], reason="lost")
    doctor = signed_in(app, "doctor_a")
    assert lookup(doctor, old["code"]) == {"status": "revoked"}
    assert lookup(doctor, old["fallback"]) == {"status": "revoked"}
    assert lookup(doctor, new["code"])["status"] == "active"
    resident = doctor.get(f"/api/residents/{town['resident_1']}").get_json()
    assert resident["card_code"] == new["code"]
    assert old["code"] in resident["cards_revoked"] and old["fallback"] in resident["cards_revoked"]
    history = staff.get(f"/api/residents/{town['resident_1']}/cards").get_json()
    assert [(c["status"], c["revoke_reason"]) for c in history] == \
        [("active", None), ("revoked", "lost")]


def test_revoke_without_reissue_leaves_the_resident_without_a_card(app, town):
    staff = signed_in(app, "staff_a")
    card = issue(staff, town["resident_1"])
    r = staff.post(f"/api/cards/{card['id']}/revoke", json={"reason": "lost"})
    assert r.status_code == 200 and r.get_json()["status"] == "revoked"
    resident = staff.get(f"/api/residents/{town['resident_1']}").get_json()
    assert resident["card_code"] is None and resident["version"] == 3
    with app.app_context():
        payloads = db.session.scalars(select(SyncChange.payload).where(
            SyncChange.entity_id == town["resident_1"]).order_by(SyncChange.seq)).all()
        assert card["code"] in payloads[1] and '"card_code":null' in payloads[-1]


def test_lookup_never_crosses_scope(app, town):
    staff_a, staff_b = signed_in(app, "staff_a"), signed_in(app, "staff_b")
    village_2_card = issue(staff_a, town["resident_2"])
    other_township_card = issue(staff_b, town["resident_3"])
    doctor_a = signed_in(app, "doctor_a")
    assert lookup(doctor_a, village_2_card["code"]) == {"status": "other_village"}
    assert lookup(doctor_a, other_township_card["code"]) == {"status": "unknown"}
    assert lookup(doctor_a, "C1" + "0" * 20) == {"status": "unknown"}
    fallback = village_2_card["fallback"]
    typo = fallback[:3] + ("1" if fallback[3] != "1" else "2") + fallback[4:]
    assert lookup(doctor_a, typo) == {"status": "bad_check"}
    assert lookup(signed_in(app, "doctor_b"), village_2_card["code"])["status"] == "active"


@pytest.mark.parametrize("path,body", [
    ("/api/residents/{r1}/card", {}),
    ("/api/cards/blank", {"count": 3}),
    ("/api/villages/{v1}/cards", {}),
])
def test_doctors_cannot_issue(app, town, path, body):
    doctor = signed_in(app, "doctor_a")
    r = doctor.post(path.format(r1=town["resident_1"], v1=town["village_1"]), json=body)
    assert r.status_code == 403


@pytest.mark.parametrize("body,field", [
    ({"count": 0}, "count"), ({"count": 501}, "count"), ({"count": "3"}, "count"),
    ({"count": 3, "extra": 1}, "extra"), ({}, "count"),
])
def test_blank_batch_bad_input(app, town, body, field):
    r = signed_in(app, "staff_a").post("/api/cards/blank", json=body)
    assert r.status_code == 422 and field in r.get_json()["errors"]


def test_staff_cannot_reach_another_townships_resident_or_card(app, town):
    staff_a, staff_b = signed_in(app, "staff_a"), signed_in(app, "staff_b")
    assert staff_a.post(f"/api/residents/{town['resident_3']}/card", json={}).status_code == 404
    card = issue(staff_b, town["resident_3"])
    assert staff_a.get(f"/api/cards/{card['id']}.png").status_code == 404
    assert staff_a.post(f"/api/cards/{card['id']}/revoke",
                        json={"reason": "lost"}).status_code == 404


def test_issue_missing_then_blank_batch(app, town):
    staff = signed_in(app, "staff_a")
    r = staff.post(f"/api/villages/{town['village_1']}/cards", json={})
    assert r.get_json() == {"issued": 1}
    assert staff.post(f"/api/villages/{town['village_1']}/cards", json={}).get_json() == \
        {"issued": 0}
    r = staff.post("/api/cards/blank", json={"count": 12})
    assert r.status_code == 201
    batch = r.get_json()
    assert len(batch["cards"]) == 12 and {c["status"] for c in batch["cards"]} == {"blank"}
    assert lookup(signed_in(app, "doctor_a"), batch["cards"][0]["code"]) == {"status": "blank"}
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ResidentCard.id))) == 13
