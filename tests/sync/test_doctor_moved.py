"""A doctor moved to other villages (issue 19.1): at the next sync each of their phones
drops the residents of the villages they left and receives those of the villages they
gained, history included; another doctor's phone is not started again."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Device, User, Village
from server.extensions import db
from server.services import setup


def move(app, username: str, village_ids: list[int]) -> None:
    """What the accounts page does (tests/township/test_setup_pages.py drives the page)."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin_a"))
        user = db.session.scalar(select(User).where(User.username == username))
        villages = [db.session.get(Village, v) for v in village_ids]
        assert setup.assign_villages(db.session, admin, user, villages)
        db.session.commit()


def test_moved_doctor_phone_gets_new_village_and_loses_old(app, town, phone):
    a = phone("doctor_a", "a")
    b = phone("doctor_b", "b")
    assert set(a.all("resident")) == {str(town["resident_1"])}
    b_cursor = b.cursor

    move(app, "doctor_a", [town["village_2"]])
    a.sync()
    assert set(a.all("resident")) == {str(town["resident_2"])}
    assert set(a.all("household")) == {str(town["household_2"])}
    assert a.last_response["reference"]["user"]["village_ids"] == [town["village_2"]]

    b.sync()  # doctor_b was not moved: an ordinary pull, no fresh copy
    assert b.cursor >= b_cursor > 0
    assert set(b.all("resident")) == {str(town["resident_2"])}


def test_added_village_arrives_whole_and_the_mark_clears(app, town, phone):
    a = phone("doctor_a", "a")
    move(app, "doctor_a", [town["village_1"], town["village_2"]])
    a.sync()
    assert set(a.all("resident")) == {str(town["resident_1"]), str(town["resident_2"])}
    with app.app_context():
        assert not db.session.scalar(select(Device.scope_reset_pending))
    a.sync()
    assert a.last_response["reset"] is False


def test_a_push_on_the_first_sync_after_the_move_does_not_skip_the_reset(app, town, phone):
    a = phone("doctor_a", "a")
    move(app, "doctor_a", [town["village_2"]])
    # Registered in the new village before the phone heard of the move: accepted, and the
    # phone's only news, which would otherwise end the exchange without a pull.
    new = a.create("resident", {"village_id": town["village_2"], "name": "新居民",
                                "sex": "female", "birth_date": "1960-02-02"})
    a.sync()
    assert set(a.all("resident")) == {str(town["resident_2"]), new}
