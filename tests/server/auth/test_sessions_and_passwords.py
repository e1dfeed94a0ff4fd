"""Issue 16.1, 16.3 and 16.9 at the HTTP level: sessions end on the server (logout, password
change, role change, deactivation, idleness, age), enrolment needs the password, and
passwords are changed by their owner and reset by the admin with a one-time password."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD, login

from core.models import User
from server.auth import sessions
from server.extensions import db

NEW_PASSWORD = "Longer-pass-2026"


def _client(app):
    return app.test_client()


def _logged_in(app, username):
    c = _client(app)
    login(c, username)
    return c


def _enrol(client, password=PASSWORD, label="红米"):
    return client.post("/api/devices", json={"label": label, "password": password})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _status(client, path="/api/me"):
    return client.get(path).status_code


def test_logout_ends_every_browser_session_of_the_person(app, town):
    first, second = _logged_in(app, "staff_a"), _logged_in(app, "staff_a")
    other = _logged_in(app, "admin_a")
    assert first.post("/api/auth/logout").status_code == 200
    assert _status(first) == 401 and _status(second) == 401
    assert second.get("/township/").status_code == 302  # the pages too
    assert _status(other) == 200  # someone else's session is theirs


def test_a_township_page_logout_ends_the_api_session_too(app, town):
    staff = _logged_in(app, "staff_a")
    page = staff.get("/township/password").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert staff.post("/township/logout", data={"csrf_token": token}).status_code == 302
    assert _status(staff) == 401


def test_a_password_change_ends_other_sessions_but_not_this_one_nor_phones(app, town):
    phone, elsewhere = _logged_in(app, "doctor_a"), _logged_in(app, "doctor_a")
    token = _enrol(phone).get_json()["token"]
    r = phone.post("/api/auth/password", json={"current_password": PASSWORD,
                                               "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.get_json()
    assert _status(phone) == 200  # a fresh session for the browser that changed it
    assert _status(elsewhere) == 401
    assert _client(app).get("/api/me", headers=_bearer(token)).status_code == 200
    old = _client(app).post("/api/auth/login", json={"username": "doctor_a",
                                                      "password": PASSWORD})
    assert old.status_code == 401
    login(_client(app), "doctor_a", NEW_PASSWORD)


def test_the_phone_changes_its_owners_password_with_its_token(app, town):
    browser = _logged_in(app, "doctor_a")
    token = _enrol(browser).get_json()["token"]
    phone = _client(app)
    r = phone.post("/api/auth/password", headers=_bearer(token),
                   json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200
    assert _status(browser) == 401
    assert phone.get("/api/me", headers=_bearer(token)).status_code == 200


@pytest.mark.parametrize("current,new,status,field", [
    ("wrong-password", NEW_PASSWORD, 403, "current_password"),
    (PASSWORD, "short1", 422, "new_password"),
    (PASSWORD, "12345678", 422, "new_password"),
    (PASSWORD, "demo1234", 422, "new_password"),
    (PASSWORD, "aaaaaaaaaaaa", 422, "new_password"),
    (PASSWORD, "my-doctor_a-pass", 422, "new_password"),
    (PASSWORD, PASSWORD, 422, "new_password"),
])
def test_a_bad_password_change_is_refused_and_changes_nothing(app, town, current, new, status,
                                                              field):
    c = _logged_in(app, "doctor_a")
    r = c.post("/api/auth/password", json={"current_password": current, "new_password": new})
    assert r.status_code == status
    assert field in r.get_json()["errors"]
    assert _status(c) == 200
    login(_client(app), "doctor_a", PASSWORD)


def test_a_role_change_ends_sessions_and_phones(app, town):
    doctor = _logged_in(app, "doctor_b")
    token = _enrol(doctor).get_json()["token"]
    admin = _logged_in(app, "admin_a")
    r = admin.patch(f"/api/users/{town['doctor_b']}", json={"role": "township_staff"})
    assert r.status_code == 200, r.get_json()
    assert _status(doctor) == 401
    assert _client(app).get("/api/me", headers=_bearer(token)).status_code == 401


def test_deactivation_ends_sessions_and_phones_and_reactivation_needs_a_new_login(app, town):
    doctor = _logged_in(app, "doctor_b")
    token = _enrol(doctor).get_json()["token"]
    admin = _logged_in(app, "admin_a")
    assert admin.patch(f"/api/users/{town['doctor_b']}",
                       json={"active": False}).status_code == 200
    assert _status(doctor) == 401
    assert _client(app).get("/api/me", headers=_bearer(token)).status_code == 401
    assert admin.patch(f"/api/users/{town['doctor_b']}", json={"active": True}).status_code == 200
    assert _status(doctor) == 401  # the old cookie stays dead
    login(_client(app), "doctor_b")


def test_a_change_made_outside_the_api_ends_sessions_too(app, town):
    """The stamp covers any path: here, a role set directly in the database."""
    staff = _logged_in(app, "staff_a")
    with app.app_context():
        db.session.get(User, town["staff_a"]).role = "township_admin"
        db.session.commit()
    assert _status(staff) == 401


def test_only_an_admin_of_the_township_manages_accounts(app, town):
    staff = _logged_in(app, "staff_a")
    assert staff.patch(f"/api/users/{town['doctor_a']}", json={"active": False}).status_code == 403
    assert staff.post(f"/api/users/{town['doctor_a']}/reset-password").status_code == 403
    admin = _logged_in(app, "admin_a")
    assert admin.patch(f"/api/users/{town['doctor_c']}", json={"active": False}).status_code == 404
    assert admin.patch(f"/api/users/{town['admin_a']}", json={"active": False}).status_code == 422
    assert admin.patch(f"/api/users/{town['doctor_a']}", json={"role": "root"}).status_code == 422
    assert _status(_logged_in(app, "doctor_a")) == 200


def _move_clock(monkeypatch, delta: dt.timedelta):
    real = sessions.now_utc
    monkeypatch.setattr(sessions, "now_utc", lambda: real() + delta)


def test_a_session_ends_after_an_idle_hour(app, town, monkeypatch):
    c = _logged_in(app, "staff_a")
    _move_clock(monkeypatch, dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 5))
    assert _status(c) == 200
    _move_clock(monkeypatch, dt.timedelta(minutes=2 * app.config["SESSION_IDLE_MINUTES"]))
    assert _status(c) == 401
    monkeypatch.undo()
    assert _status(c) == 401  # ended, not just asleep


def test_a_session_in_use_still_ends_at_its_absolute_age(app, town, monkeypatch):
    c = _logged_in(app, "staff_a")
    step = dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] // 2)
    used = dt.timedelta()
    while used + step < dt.timedelta(hours=app.config["SESSION_MAX_HOURS"]):
        used += step
        monkeypatch.setattr(sessions, "now_utc", lambda u=used: dt.datetime.now(dt.UTC) + u)
        assert _status(c) == 200
    monkeypatch.setattr(sessions, "now_utc",
                        lambda: dt.datetime.now(dt.UTC) + used + step)
    assert _status(c) == 401


def test_the_default_expiry_is_an_hour_idle_and_twelve_hours_in_all():
    from server.config import Config

    assert Config.SESSION_IDLE_MINUTES == 60 and Config.SESSION_MAX_HOURS == 12


# -- enrolment (16.3) -------------------------------------------------------------------


def test_a_device_token_cannot_mint_another_device(app, town):
    browser = _logged_in(app, "doctor_a")
    token = _enrol(browser).get_json()["token"]
    r = _client(app).post("/api/devices", headers=_bearer(token),
                          json={"label": "minted", "password": PASSWORD})
    assert r.status_code == 403 and "token" not in r.get_json()


@pytest.mark.parametrize("body,status", [
    ({"label": "x"}, 422),
    ({"label": "x", "password": "wrong-one"}, 403),
    ({"label": "x", "password": ""}, 422),
])
def test_enrolment_needs_the_password_again(app, town, body, status):
    browser = _logged_in(app, "doctor_a")
    r = browser.post("/api/devices", json=body)
    assert r.status_code == status and "token" not in (r.get_json() or {})
    with app.app_context():
        from core.models import Device

        assert db.session.scalar(db.select(db.func.count(Device.id))) == 0


def test_the_admin_sees_each_doctors_phones_and_revokes_one_from_the_page(app, town):
    doctor = _logged_in(app, "doctor_a")
    first = _enrol(doctor, label="红米 9A").get_json()
    second = _enrol(doctor, label="荣耀 Play").get_json()
    phone = _client(app)
    phone.post("/api/sync", headers=_bearer(first["token"]),
               json={"protocol": 1, "ops": [], "cursor": 0})
    admin = _logged_in(app, "admin_a")
    page = admin.get("/township/accounts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "红米 9A" in html and "荣耀 Play" in html
    listed = admin.get("/api/users").get_json()
    mine = next(u for u in listed if u["id"] == town["doctor_a"])
    assert {d["label"] for d in mine["devices"]} == {"红米 9A", "荣耀 Play"}
    assert all(d["enrolled_at"] for d in mine["devices"])
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = admin.post(f"/township/devices/{first['device_id']}/revoke", data={"csrf_token": token})
    assert r.status_code == 302
    assert phone.get("/api/me", headers=_bearer(first["token"])).status_code == 401
    assert phone.get("/api/me", headers=_bearer(second["token"])).status_code == 200
    assert _logged_in(app, "staff_a").get("/township/accounts").status_code == 403


# -- passwords (16.9) -------------------------------------------------------------------


def test_an_admin_reset_gives_a_one_time_password_that_must_be_changed(app, town):
    doctor = _logged_in(app, "doctor_a")
    admin = _logged_in(app, "admin_a")
    r = admin.post(f"/api/users/{town['doctor_a']}/reset-password")
    one_time = r.get_json()["one_time_password"]
    assert r.status_code == 200 and len(one_time) >= 10
    assert _status(doctor) == 401  # the reset ended the old session
    fresh = _client(app)
    me = login(fresh, "doctor_a", one_time)
    assert me["must_change_password"] is True
    assert fresh.get("/api/residents").status_code == 403
    assert fresh.get("/api/residents").get_json()["code"] == "password_change_required"
    assert _enrol(fresh, one_time).status_code == 403
    r = fresh.post("/api/auth/password", json={"current_password": one_time,
                                               "new_password": NEW_PASSWORD})
    assert r.status_code == 200 and r.get_json()["must_change_password"] is False
    assert fresh.get("/api/residents").status_code == 200
    assert _client(app).post("/api/auth/login", json={
        "username": "doctor_a", "password": one_time}).status_code == 401


def test_the_township_pages_send_a_one_time_password_to_the_change_page(app, town):
    admin = _logged_in(app, "admin_a")
    one_time = admin.post(f"/api/users/{town['staff_a']}/reset-password").get_json()[
        "one_time_password"]
    staff = _client(app)
    staff.get("/township/login")
    form = staff.get("/township/login").get_data(as_text=True)
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    r = staff.post("/township/login", data={"username": "staff_a", "password": one_time,
                                            "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/township/password")
    assert staff.get("/township/").headers["Location"].endswith("/township/password")
    page = staff.get("/township/password").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    bad = staff.post("/township/password", data={
        "csrf_token": token, "current_password": one_time, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD + "x"})
    assert bad.status_code == 422 and "两次输入的新密码不一致" in bad.get_data(as_text=True)
    ok = staff.post("/township/password", data={
        "csrf_token": token, "current_password": one_time, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert ok.status_code == 302
    assert staff.get("/township/").status_code == 200


def test_the_admin_resets_from_the_accounts_page_and_sees_the_password_once(app, town):
    admin = _logged_in(app, "admin_a")
    html = admin.get("/township/accounts").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = admin.post(f"/township/accounts/{town['doctor_b']}/reset-password",
                   data={"csrf_token": token})
    assert r.status_code == 302 and "password" not in r.headers["Location"].split("?")[-1]
    shown = admin.get(r.headers["Location"]).get_data(as_text=True)
    one_time = shown.split('letter-spacing:.1em">')[1].split("<")[0]
    assert login(_client(app), "doctor_b", one_time)["must_change_password"] is True
    assert one_time not in admin.get(r.headers["Location"]).get_data(as_text=True)


def test_only_a_demo_instance_says_so_on_its_login_page(app, town):
    c = _client(app)
    assert "演示系统" not in c.get("/township/login").get_data(as_text=True)
    assert c.get("/api/auth/instance").get_json() == {"demo": False}
    with app.app_context():
        from core.models import Township

        db.session.get(Township, town["township_a"]).is_demo = True
        db.session.commit()
    assert "演示系统" in c.get("/township/login").get_data(as_text=True)
    assert c.get("/api/auth/instance").get_json() == {"demo": True}


@pytest.mark.parametrize("password,made", [("demo1234", False), ("12345678", False),
                                           ("Clinic-Longquan-7", True)])
def test_a_real_account_never_gets_a_demo_or_guessable_password(app, town, password, made):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "doctor_new", "village_doctor", "--full-name",
                                 "新村医", "--township-id", str(town["township_a"]),
                                 "--password", password])
    assert (result.exit_code == 0) is made, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="doctor_new"))
        assert (user is not None) is made


def test_the_purge_api_is_off_unless_the_operator_turns_it_on(app, town):
    admin = _logged_in(app, "admin_a")
    assert admin.post("/api/sync/purge", json={"horizon_days": 0}).status_code == 404
    app.config["SYNC_PURGE_API"] = True
    try:
        assert _logged_in(app, "staff_a").post("/api/sync/purge",
                                              json={"horizon_days": 0}).status_code == 403
        assert admin.post("/api/sync/purge", json={"horizon_days": -1}).status_code == 422
        r = admin.post("/api/sync/purge", json={"horizon_days": 0})
        assert r.status_code == 200 and set(r.get_json()) == {"purged", "purged_through"}
    finally:
        app.config["SYNC_PURGE_API"] = False


def test_an_admin_reset_lifts_a_lockout(app, town):
    c = _client(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        c.post("/api/auth/login", json={"username": "doctor_a", "password": "wrong-guess"})
    locked = c.post("/api/auth/login", json={"username": "doctor_a", "password": PASSWORD})
    assert locked.status_code == 429
    one_time = _logged_in(app, "admin_a").post(
        f"/api/users/{town['doctor_a']}/reset-password").get_json()["one_time_password"]
    assert login(_client(app), "doctor_a", one_time)["must_change_password"] is True
