"""The set-up pages over HTTP (issue 19.1): the first-run page needs the instance's token
and closes once a township exists; only the admin sets villages, accounts and the
schedule; a province's change to the schedule is marked, logged and reaches the phones."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from test_township_pages import page_login, token

from core.models import AdminChange, Township, User, VaccineScheduleDose
from server.extensions import db
from server.services.setup import adopt_schedule, first_run_token

FIRST_RUN = {"county_code": "532999", "county_name": "青山县", "township_code": "101",
             "township_name": "石门乡", "username": "yangfan", "full_name": "杨帆",
             "password": "Qingshan-2026", "confirm": "Qingshan-2026"}


def first_run(client, app, page="/township/first-run", **changes):
    form = {**FIRST_RUN, "token": first_run_token(app.config["SECRET_KEY"]), **changes,
            "csrf_token": token(client, page)}
    return client.post("/township/first-run", data=form)


def townships(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Township.id)))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"token": "0" * 20}, "token", "设置码不正确"),
    ({"token": ""}, "token", "设置码不正确"),
    ({"county_code": "53"}, "county_code", "须为 6 位数字"),
    ({"township_name": ""}, "township_name", "请填写"),
    ({"password": "12345678", "confirm": "12345678"}, "password", "密码太常见"),
    ({"confirm": "Qingshan-2027"}, "confirm", "两次输入的新密码不一致"),
    ({"username": "杨 帆"}, "username", "只能用字母"),
])
def test_first_run_refuses_bad_input_and_stores_nothing(client, app, changes, field, message):
    r = first_run(client, app, **changes)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(rf'id="e-{field}">[^<]*{message}', html), html[-2000:]
    assert townships(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_first_run_makes_the_township_and_its_admin_then_closes(client, app):
    r = first_run(client, app)
    assert r.status_code == 302 and r.headers["Location"].endswith("/township/setup")
    assert client.get("/township/setup").status_code == 200  # logged in as the new admin
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert (admin.username, admin.role, admin.must_change_password) == \
            ("yangfan", "township_admin", False)
        assert admin.township.health_center_name == "石门乡卫生院"
        assert db.session.scalar(select(func.count(VaccineScheduleDose.id))) == 22
    other = type(client)(app, client.response_wrapper)
    assert other.get("/township/first-run").headers["Location"].endswith("/township/login")
    r = first_run(other, app, "/township/login", township_code="102", username="intruder")
    assert r.status_code == 302 and r.headers["Location"].endswith("/township/login")
    assert townships(app) == 1


def test_only_the_admin_sets_up(client, app, town):
    page_login(client, "staff_a")
    for path in ("/township/setup", "/township/setup/villages", "/township/setup/people"):
        assert client.get(path).status_code == 403, path
    csrf = token(client, "/township/settings")
    assert client.post(f"/township/accounts/{town['doctor_a']}/villages",
                       data={"csrf_token": csrf, "village": town["village_2"]}).status_code == 403
    assert client.post("/township/setup/villages",
                       data={"csrf_token": csrf, "code": "009", "name": "新村"}).status_code == 403


def test_admin_cannot_move_another_townships_doctor(client, town):
    page_login(client, "admin_a")
    csrf = token(client, "/township/accounts")
    r = client.post(f"/township/accounts/{town['doctor_c']}/villages",
                    data={"csrf_token": csrf, "village": town["village_1"]})
    assert r.status_code == 404


def test_a_province_changes_a_dose_and_phones_receive_it(client, app, town, phone):
    with app.app_context():
        adopt_schedule(db.session)
        db.session.commit()
        hepb3 = db.session.scalar(select(VaccineScheduleDose).where(
            VaccineScheduleDose.vaccine == "HepB", VaccineScheduleDose.dose_no == 3))
    a = phone("doctor_a", "a")
    page_login(client, "admin_a")
    csrf = token(client, "/township/setup/schedule")
    form = {f"{f}.{d.id}": str(getattr(d, f)) for d in _doses(app)
            for f in ("due_age_months", "timely_within_months")}
    bad = client.post("/township/setup/schedule",
                      data={**form, f"due_age_months.{hepb3.id}": "七", "csrf_token": csrf})
    assert bad.status_code == 422
    r = client.post("/township/setup/schedule",
                    data={**form, f"due_age_months.{hepb3.id}": "7", "csrf_token": csrf})
    assert r.status_code == 302
    with app.app_context():
        changed = db.session.get(VaccineScheduleDose, hepb3.id)
        assert (changed.due_age_months, changed.edition) == (7, "province")
        assert {d.edition for d in _doses(app) if d.id != hepb3.id} == {"2021"}
        log = db.session.scalar(select(AdminChange).where(AdminChange.subject == "schedule:HepB:3"))
        assert (log.before, log.after) == ({"due_age_months": 6}, {"due_age_months": 7})
    a.sync()
    dose = [d for d in a.last_response["reference"]["vaccine_schedule"]
            if (d["vaccine"], d["dose_no"]) == ("HepB", 3)]
    assert dose[0]["due_age_months"] == 7


def _doses(app) -> list[VaccineScheduleDose]:
    with app.app_context():
        rows = db.session.scalars(select(VaccineScheduleDose)).all()
        db.session.expunge_all()
        return rows
