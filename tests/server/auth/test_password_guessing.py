"""Issue 16 re-attack findings M1 and M4: every password check is limited like the login
(a stolen phone's token cannot guess its owner's password), and an outsider guessing from
a few addresses cannot lock a person out of their own (server/auth/guard.py)."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, login

WRONG = "not-the-password"


def _from(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(app, username, password, address):
    return _from(app.test_client(), address).post(
        "/api/auth/login", json={"username": username, "password": password})


def _token(app, username):
    browser = app.test_client()
    login(browser, username)
    return browser.post("/api/devices", json={"label": "x", "password": PASSWORD}).get_json()[
        "token"]


def test_guesses_from_one_address_do_not_lock_the_person_out_elsewhere(app, town):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(app, "admin_a", WRONG, "203.0.113.9").status_code == 401
    assert _login(app, "admin_a", PASSWORD, "203.0.113.9").status_code == 429
    assert _login(app, "admin_a", PASSWORD, "198.51.100.20").status_code == 200


def test_guesses_spread_over_many_addresses_lock_the_name_at_its_cap(app, town, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_NAME", 8)
    for n in range(8):
        assert _login(app, "staff_a", WRONG, f"203.0.113.{n // 2 + 1}").status_code == 401
    r = _login(app, "staff_a", PASSWORD, "198.51.100.20")
    assert r.status_code == 429 and r.get_json()["code"] == "account_locked"
    # An unknown name is capped the same way: the cap tells nothing about who exists.
    for n in range(8):
        _login(app, "nobody_here", WRONG, f"203.0.113.{n // 2 + 1}")
    assert _login(app, "nobody_here", WRONG, "198.51.100.20").get_json() == r.get_json()


def test_an_admin_reset_lifts_the_lock_from_every_address(app, town):
    for address in ("203.0.113.1", "203.0.113.2"):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            _login(app, "doctor_a", WRONG, address)
    admin = app.test_client()
    login(admin, "admin_a")
    one_time = admin.post(f"/api/users/{town['doctor_a']}/reset-password").get_json()[
        "one_time_password"]
    assert _login(app, "doctor_a", one_time, "203.0.113.1").status_code == 200
    assert _login(app, "doctor_a", one_time, "203.0.113.2").status_code == 200


def test_a_stolen_token_cannot_guess_the_password_through_a_password_change(app, town):
    token = _token(app, "doctor_a")
    phone = _from(app.test_client(), "203.0.113.7")
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        r = phone.post("/api/auth/password", headers=auth,
                       json={"current_password": WRONG, "new_password": "Thief-chose-this-1"})
        assert r.status_code == 403
    r = phone.post("/api/auth/password", headers=auth,
                   json={"current_password": PASSWORD, "new_password": "Thief-chose-this-1"})
    assert r.status_code == 429
    login(app.test_client(), "doctor_a")  # unchanged, and its owner elsewhere still gets in


def test_enrolment_guesses_are_counted_too(app, town):
    browser = _from(app.test_client(), "203.0.113.8")
    login(browser, "doctor_b")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):  # the login's check cleared its own
        assert browser.post("/api/devices", json={"password": WRONG}).status_code == 403
    assert browser.post("/api/devices", json={"password": WRONG}).status_code == 403
    r = browser.post("/api/devices", json={"password": PASSWORD})
    assert r.status_code == 429 and "token" not in r.get_json()


def test_the_township_password_page_is_counted_too(app, town):
    staff = _from(app.test_client(), "203.0.113.9")
    login(staff, "staff_a")
    page = staff.get("/township/password").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "new_password": "Township-new-22",
            "confirm_password": "Township-new-22"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert staff.post("/township/password",
                          data={**form, "current_password": WRONG}).status_code == 422
    r = staff.post("/township/password", data={**form, "current_password": PASSWORD})
    assert r.status_code == 422 and "尝试次数过多" in r.get_data(as_text=True)


@pytest.mark.parametrize("password", [PASSWORD, WRONG])
def test_a_deactivated_account_answers_like_a_wrong_password(app, town, password):
    admin = app.test_client()
    login(admin, "admin_a")
    admin.patch(f"/api/users/{town['doctor_b']}", json={"active": False})
    r = _login(app, "doctor_b", password, "198.51.100.30")
    assert r.status_code == 401 and r.get_json()["code"] == "login_failed"
