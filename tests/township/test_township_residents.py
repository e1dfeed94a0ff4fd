"""The township's resident register page: search by POST, and moving a resident to another
village (docs/adr/0039-township-resident-moves.md)."""
from __future__ import annotations

import datetime as dt

import pytest
from test_township_pages import page_login, token

from core.clock import today_local
from core.models import AdminChange, ResidenceEvent, Resident
from server.extensions import db


def post(client, path: str, **form):
    """A form POST carrying the page's CSRF token."""
    return client.post(path, data={"csrf_token": token(client, "/township/residents"), **form})


def resident(app, rid) -> Resident:
    with app.app_context():
        r = db.session.get(Resident, rid)
        db.session.expunge(r)
        return r


def move(client, town, **form):
    rid = town["resident_1"]
    fields = {"village_id": town["village_2"], "household_id": str(town["household_2"]),
              "moved_on": "2026-01-15", "version": "1", **form}
    return post(client, f"/township/residents/{rid}/move", **fields)


def test_search_is_a_post_and_lists_the_township_only(client, town):
    page_login(client, "staff_a")
    assert client.get("/township/residents").status_code == 200
    html = post(client, "/township/residents/search", q="张").get_data(as_text=True)
    assert "张三丰" in html and "龙泉村" in html and "找到 1 人" in html
    assert "511921195003070018" not in html and "511921********0018" in html
    html = post(client, "/township/residents/search", q="5119211950").get_data(as_text=True)
    assert "张三丰" in html
    html = post(client, "/township/residents/search", q="王").get_data(as_text=True)
    assert "王五" not in html and "找到 0 人" in html  # township B's resident


def test_doctors_and_strangers_cannot_enter(client, app, town):
    assert client.get("/township/residents").status_code == 302  # to the login form
    page_login(client, "doctor_a")
    assert client.get("/township/residents").status_code == 403


def test_the_move_form_offers_the_chosen_village_s_households(client, town):
    page_login(client, "staff_a")
    url = f"/township/residents/{town['resident_1']}"
    html = client.get(url).get_data(as_text=True)
    assert "石板村" in html and "石板村2组5号" not in html  # first step: the village
    html = client.get(f"{url}?to={town['village_2']}").get_data(as_text=True)
    assert str(town["household_2"]) in html and "石板村2组5号" in html
    assert str(town["household_1"]) not in html.split('name="household_id"')[1]
    for to in (town["village_1"], town["village_3"], "abc", "9" * 20):
        html = client.get(f"{url}?to={to}").get_data(as_text=True)
        assert 'name="household_id"' not in html  # its own, another township's, nonsense
    assert client.get(f"/township/residents/{town['resident_3']}").status_code == 404
    assert client.get("/township/residents/not-a-uuid").status_code == 404


def test_a_move_goes_to_the_new_village_s_phones_and_is_logged(client, app, town, phone):
    old, new = phone("doctor_a", "old"), phone("doctor_b", "new")
    rid = str(town["resident_1"])
    assert old.get("resident", rid) is not None and new.get("resident", rid) is None
    page_login(client, "staff_a")
    r = move(client, town)
    assert r.status_code == 303
    assert "已转到石板村" in client.get(r.headers["Location"]).get_data(as_text=True)
    moved = resident(app, town["resident_1"])
    assert (moved.village_id, moved.household_id) == (town["village_2"], town["household_2"])
    assert moved.moved_in_on == dt.date(2026, 1, 15) and moved.version == 2
    with app.app_context():
        event = db.session.scalars(db.select(ResidenceEvent).filter_by(
            resident_id=town["resident_1"], kind="transferred")).one()
        assert (event.from_village_id, event.to_village_id) == (town["village_1"],
                                                                town["village_2"])
        assert event.occurred_on == dt.date(2026, 1, 15)
        change = db.session.scalars(db.select(AdminChange).filter_by(action="transfer")).one()
        assert change.subject == f"resident:{rid}"
        assert change.before["village_id"] == town["village_1"]
        assert change.after["village_id"] == town["village_2"]
    old.sync()
    new.sync()
    assert old.get("resident", rid) is None
    assert new.get("resident", rid)[1]["household_id"] == str(town["household_2"])


def test_a_move_without_a_household(client, app, town):
    page_login(client, "staff_a")
    assert move(client, town, household_id="").status_code == 303
    moved = resident(app, town["resident_1"])
    assert (moved.village_id, moved.household_id) == (town["village_2"], None)


@pytest.mark.parametrize(("form", "message"), [
    ({"version": "0"}, "档案刚被修改过"),
    ({"version": "abc"}, "档案刚被修改过"),
    ({"household_id": "household_1"}, "所选家庭不在迁入的村"),
    ({"household_id": "not-a-uuid"}, "所选家庭不在迁入的村"),
    ({"village_id": "village_1"}, "该居民已在这个村"),
    ({"village_id": "village_3"}, "请选择迁入的村"),
    ({"village_id": ""}, "请选择迁入的村"),
    ({"moved_on": "2999-01-01"}, "迁入日期应在出生日期和今天之间"),
    ({"moved_on": "1949-12-31"}, "迁入日期应在出生日期和今天之间"),
    ({"moved_on": "15/01/2026"}, "迁入日期应在出生日期和今天之间"),
])
def test_a_bad_move_is_refused_in_chinese_and_changes_nothing(client, app, town, form,
                                                              message):
    page_login(client, "staff_a")
    form = {k: str(town[v]) if v in town else v for k, v in form.items()}
    r = move(client, town, **form)
    assert r.status_code == 303
    assert message in client.get(r.headers["Location"]).get_data(as_text=True)
    still = resident(app, town["resident_1"])
    assert (still.village_id, still.household_id, still.version) == (
        town["village_1"], town["household_1"], 1)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AdminChange.id))) == 0


def test_only_a_registered_resident_moves(client, app, town):
    with app.app_context():
        r = db.session.get(Resident, town["resident_1"])
        r.status, r.died_on = "deceased", today_local()
        db.session.commit()
    page_login(client, "staff_a")
    html = client.get(f"/township/residents/{town['resident_1']}").get_data(as_text=True)
    assert "只有在册居民可以转村" in html and 'name="to"' not in html
    r = move(client, town)
    assert "只有在册居民可以转村" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert resident(app, town["resident_1"]).village_id == town["village_1"]


def test_every_kind_of_move_has_a_name(client, app, town):
    """The moves table names each kind of event in words, never by its key."""
    with app.app_context():
        for kind in ("moved_in", "moved_out", "deceased", "lost", "active", "transferred"):
            db.session.add(ResidenceEvent(resident_id=town["resident_1"], kind=kind,
                                          occurred_on=dt.date(2025, 1, 1),
                                          to_village_id=town["village_1"],
                                          recorded_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)))
        db.session.commit()
    page_login(client, "staff_a")
    for lang in ("zh", "en"):
        html = client.get(f"/township/residents/{town['resident_1']}?lang={lang}").get_data(
            as_text=True)
        assert "res_event_" not in html, lang


def test_english(client, town):
    page_login(client, "staff_a")
    html = client.get(f"/township/residents/{town['resident_1']}?lang=en").get_data(
        as_text=True)
    assert "Move to another village of the township" in html and "转到本镇" not in html


def set_status(client, town, **form):
    rid = town["resident_1"]
    return post(client, f"/township/residents/{rid}/status",
                **{"status": "deceased", "on": "2026-03-02", "version": "1", **form})


def test_a_death_recorded_by_the_township_reaches_the_phone(client, app, town, phone):
    doctor = phone("doctor_a")
    page_login(client, "staff_a")
    r = set_status(client, town)
    assert "已登记：死亡" in client.get(r.headers["Location"]).get_data(as_text=True)
    dead = resident(app, town["resident_1"])
    assert (dead.status, dead.died_on, dead.version) == ("deceased", dt.date(2026, 3, 2), 2)
    with app.app_context():
        event = db.session.scalars(db.select(ResidenceEvent).filter_by(
            resident_id=town["resident_1"], kind="deceased")).one()
        assert event.occurred_on == dt.date(2026, 3, 2)
        change = db.session.scalars(db.select(AdminChange).filter_by(action="status")).one()
        assert change.before["status"] == "active" and change.after["died_on"] == "2026-03-02"
    doctor.sync()
    _, data = doctor.get("resident", str(town["resident_1"]))
    assert (data["status"], data["died_on"]) == ("deceased", "2026-03-02")
    # A mistake undone: back on the register, the date cleared.
    r = set_status(client, town, status="active", on="", version="2")
    assert "已登记：恢复在册" in client.get(r.headers["Location"]).get_data(as_text=True)
    back = resident(app, town["resident_1"])
    assert (back.status, back.died_on, back.version) == ("active", None, 3)


def test_moved_out_and_lost(client, app, town):
    page_login(client, "staff_a")
    set_status(client, town, status="moved_out", on="2026-02-01")
    gone = resident(app, town["resident_1"])
    assert (gone.status, gone.moved_out_on, gone.died_on) == ("moved_out", dt.date(2026, 2, 1),
                                                               None)
    set_status(client, town, status="active", on="", version="2")
    set_status(client, town, status="lost", on="", version="3")
    lost = resident(app, town["resident_1"])
    assert (lost.status, lost.moved_out_on) == ("lost", None)


@pytest.mark.parametrize(("form", "message"), [
    ({"status": "alive"}, "请选择要登记的变动"),
    ({"status": "active"}, "请选择要登记的变动"),  # already on the register
    ({"on": ""}, "日期应在出生日期和今天之间"),
    ({"on": "2999-01-01"}, "日期应在出生日期和今天之间"),
    ({"on": "1949-01-01"}, "日期应在出生日期和今天之间"),
    ({"version": "7"}, "档案刚被修改过"),
])
def test_a_bad_status_change_is_refused_and_changes_nothing(client, app, town, form,
                                                            message):
    page_login(client, "staff_a")
    r = set_status(client, town, **form)
    assert message in client.get(r.headers["Location"]).get_data(as_text=True)
    still = resident(app, town["resident_1"])
    assert (still.status, still.died_on, still.version) == ("active", None, 1)
