"""Who sees what, tested through HTTP: doctors their villages, staff their township."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, login, new_id
from records_factory import valid_record


def test_anonymous_gets_401_everywhere(client, town):
    for url in ("/api/me", "/api/residents", f"/api/residents/{town['resident_1']}",
                "/api/records", "/api/villages"):
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.get_json()["code"] == "unauthorized"
    assert client.post("/api/records", json={}).status_code == 401


def test_doctor_sees_only_own_villages(client, town):
    login(client, "doctor_a")
    assert [v["id"] for v in client.get("/api/villages").get_json()] == [town["village_1"]]
    names = {i["name"] for i in client.get("/api/residents").get_json()["items"]}
    assert names == {"张三丰"}
    for rid in ("resident_2", "resident_3"):
        assert client.get(f"/api/residents/{town[rid]}").status_code == 404
    assert client.get(f"/api/households/{town['household_2']}").status_code == 404
    r = client.get("/api/residents", query_string={"village_id": town["village_2"]})
    assert r.status_code == 404


def test_doctor_cannot_write_into_another_village(client, town):
    login(client, "doctor_a")
    body = valid_record("hypertension_followup", town)
    body["resident_id"] = str(town["resident_2"])
    assert client.post("/api/records", json=body).status_code == 404
    body = valid_record("education_activity", town)
    body["village_id"] = town["village_2"]
    assert client.post("/api/records", json=body).status_code == 403
    r = client.post("/api/residents", json={
        "id": new_id(), "village_id": town["village_2"], "name": "赵六", "sex": "male",
        "birth_date": "1990-01-01"})
    assert r.status_code == 403
    r = client.patch(f"/api/residents/{town['resident_2']}", json={"version": 1, "phone": None})
    assert r.status_code == 404


def test_doctor_cannot_read_another_villages_record(client, town):
    login(client, "doctor_b")
    body = valid_record("hypertension_followup", town)
    body["resident_id"] = str(town["resident_2"])
    assert client.post("/api/records", json=body).status_code == 201
    client.post("/api/auth/logout")
    login(client, "doctor_a")
    assert client.get(f"/api/records/{body['id']}").status_code == 404
    assert client.get("/api/records").get_json()["items"] == []


def test_doctor_cannot_record_as_someone_else(client, town):
    login(client, "doctor_a")
    body = valid_record("hypertension_followup", town)
    body["doctor_id"] = town["doctor_b"]
    assert client.post("/api/records", json=body).status_code == 403


def test_staff_sees_township_not_the_next_one(client, town):
    login(client, "staff_a")
    ids = {v["id"] for v in client.get("/api/villages").get_json()}
    assert ids == {town["village_1"], town["village_2"]}
    assert client.get(f"/api/residents/{town['resident_2']}").status_code == 200
    assert client.get(f"/api/residents/{town['resident_3']}").status_code == 404
    client.post("/api/auth/logout")
    login(client, "staff_b")
    assert client.get(f"/api/residents/{town['resident_1']}").status_code == 404
    names = {i["name"] for i in client.get("/api/residents").get_json()["items"]}
    assert names == {"王五"}


def test_staff_records_for_a_doctor_of_their_township_only(client, town):
    login(client, "staff_a")
    body = valid_record("hypertension_followup", town)
    body["doctor_id"] = town["doctor_a"]
    assert client.post("/api/records", json=body).status_code == 201
    body = valid_record("hypertension_followup", town)
    body["doctor_id"] = town["doctor_c"]
    r = client.post("/api/records", json=body)
    assert r.status_code == 422
    assert r.get_json()["errors"]["doctor_id"][0]["code"] == "unknown_doctor"


def test_wrong_password_then_lockout(client, town):
    for _ in range(5):
        r = client.post("/api/auth/login", json={"username": "doctor_a", "password": "nope"})
        assert r.status_code == 401
        assert r.get_json()["code"] == "login_failed"
    r = client.post("/api/auth/login", json={"username": "doctor_a", "password": PASSWORD})
    assert r.status_code == 429
    assert r.get_json()["code"] == "account_locked"


def test_unknown_user_and_wrong_password_look_the_same(client, town):
    a = client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    b = client.post("/api/auth/login", json={"username": "doctor_a", "password": "x"})
    assert a.status_code == b.status_code == 401
    assert a.get_json() == b.get_json()


def test_session_cookie_is_http_only(client, town):
    r = client.post("/api/auth/login", json={"username": "doctor_a", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def device(client, town):
    login(client, "doctor_a")
    r = client.post("/api/devices", json={"label": "红米 9A", "password": PASSWORD})
    assert r.status_code == 201
    client.post("/api/auth/logout")
    return r.get_json()


def test_device_token_works_until_revoked(app, client, town, device):
    headers = {"Authorization": f"Bearer {device['token']}"}
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["username"] == "doctor_a"

    admin = app.test_client()
    login(admin, "admin_a")
    listed = admin.get("/api/devices").get_json()
    assert [d["label"] for d in listed] == ["红米 9A"]
    assert listed[0]["last_seen_at"] is not None
    assert admin.post(f"/api/devices/{device['device_id']}/revoke").status_code == 200

    r = client.get("/api/me", headers=headers)
    assert r.status_code == 401
    assert r.get_json()["code"] == "device_revoked"
    assert "停用" in r.get_json()["message"]
    r = client.post("/api/records", json=valid_record("hypertension_followup", town),
                    headers=headers)
    assert r.status_code == 401


def test_only_admin_of_the_same_township_revokes(app, client, town, device):
    login(client, "staff_a")
    assert client.post(f"/api/devices/{device['device_id']}/revoke").status_code == 403
    other = app.test_client()
    login(other, "doctor_c")
    assert other.get("/api/devices").status_code == 403


def test_device_records_carry_the_device(client, town, device):
    headers = {"Authorization": f"Bearer {device['token']}"}
    body = valid_record("hypertension_followup", town)
    assert client.post("/api/records", json=body, headers=headers).status_code == 201
    got = client.get(f"/api/records/{body['id']}", headers=headers).get_json()
    assert got["device_id"] == device["device_id"]


def test_garbage_token_is_refused(client, town):
    r = client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"


def test_many_failures_from_one_address_are_slowed_across_accounts(app, town):
    app.config["LOGIN_MAX_FAILURES_PER_SOURCE"] = 6
    try:
        client = app.test_client()
        for i in range(6):  # spread over accounts: no single account reaches its lockout
            r = client.post("/api/auth/login",
                            json={"username": ["doctor_a", "doctor_b", "staff_a"][i % 3],
                                  "password": "guess"})
            assert r.status_code == 401
        r = client.post("/api/auth/login", json={"username": "doctor_c", "password": PASSWORD})
        assert r.status_code == 429 and r.get_json()["code"] == "too_many_attempts"
        other = app.test_client()  # another address is not held back
        r = other.post("/api/auth/login", json={"username": "doctor_c", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert r.status_code == 200
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_SOURCE"] = 20
