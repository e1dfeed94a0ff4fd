"""No endpoint lets a doctor reach another village, or staff another township."""
from __future__ import annotations

from conftest import FAST_HASH, PASSWORD, login
from records_factory import valid_record

from core.models import ROLE_ADMIN, User
from server.extensions import db
from server.services.passwords import hash_password


def _admin_b(app, town) -> None:
    with app.app_context():
        db.session.add(User(username="admin_b", role=ROLE_ADMIN, full_name="admin_b",
                            township_id=town["township_b"],
                            password_hash=hash_password(PASSWORD, FAST_HASH)))
        db.session.commit()


def test_every_read_by_id_is_scoped(app, town):
    owner = app.test_client()
    login(owner, "doctor_a")
    record = valid_record("hypertension_followup", town)
    assert owner.post("/api/records", json=record).status_code == 201
    enrol = {"label": "a", "password": PASSWORD}
    device = owner.post("/api/devices", json=enrol).get_json()["device_id"]
    urls = [f"/api/residents/{town['resident_1']}", f"/api/households/{town['household_1']}",
            f"/api/records/{record['id']}"]
    for username in ("doctor_b", "doctor_c", "staff_b"):
        other = app.test_client()
        login(other, username)
        for url in urls:
            assert other.get(url).status_code == 404, (username, url)
        r = other.post("/api/residents/search", json={"q": "张"})
        assert "张三丰" not in r.get_data(as_text=True), username
        assert record["id"] not in other.get("/api/records?limit=500").get_data(as_text=True)
    _admin_b(app, town)
    admin_b = app.test_client()
    login(admin_b, "admin_b")
    assert admin_b.get(f"/api/audit/{town['resident_1']}").status_code == 404
    assert admin_b.post(f"/api/devices/{device}/revoke").status_code == 404
    assert device not in admin_b.get("/api/devices").get_data(as_text=True)


def test_every_write_is_scoped(app, town):
    doctor_b = app.test_client()
    login(doctor_b, "doctor_b")
    rid = town["resident_1"]
    assert doctor_b.patch(f"/api/residents/{rid}",
                          json={"version": 1, "phone": "13700000000"}).status_code == 404
    body = valid_record("household_visit", town)  # doctor_a's household
    assert doctor_b.post("/api/records", json=body).status_code == 404
    r = doctor_b.post("/api/households", json={"village_id": town["village_1"]})
    assert r.status_code == 403
    token = doctor_b.post("/api/devices", json={"password": PASSWORD}).get_json()["token"]
    op = {"op_id": "00000000-0000-4000-8000-000000000001", "device_counter": 1,
          "entity": "resident", "action": "update", "id": str(rid), "base_version": 1,
          "data": {"phone": "13700000000"}}
    r = doctor_b.post("/api/sync", json={"protocol": 1, "cursor": 0, "push": [op]},
                      headers={"Authorization": f"Bearer {token}"})
    assert r.get_json()["results"][0]["status"] == "rejected"
    owner = app.test_client()
    login(owner, "doctor_a")
    assert owner.get(f"/api/residents/{rid}").get_json()["phone"] == "13800138000"
