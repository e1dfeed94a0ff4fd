"""A resident the township moves to another village leaves the old doctor's phone with a
notice naming them, and arrives on the new doctor's with one (docs/adr/0039-township-
resident-moves.md); many at once (a change of the doctor's villages) make one notice
with their number. The first download names nobody."""
from __future__ import annotations

import datetime as dt

import pytest

from core.changelog import backfill
from core.models import Resident
from server.extensions import db
from tests.conftest import login
from tests.pwa.helpers import first_login, poll
from tests.pwa.test_resident_edit import VIEWPORT, open_profile, screenshots

pytestmark = pytest.mark.browser

NOTICES = ("async () => { const s = await import(location.origin + '/app/js/store.js'); "
           "return s.data.notices.map(n => ({kind: n.kind, name: n.name || null, "
           "count: n.count || null})); }")


def move(app, resident_id, to_village, household=None) -> None:
    """Township staff move a resident through the API, as the register page does."""
    staff = app.test_client()
    login(staff, "staff_a")
    current = staff.get(f"/api/residents/{resident_id}").get_json()
    r = staff.patch(f"/api/residents/{resident_id}", json={
        "version": current["version"], "village_id": to_village,
        "household_id": str(household) if household else None})
    assert r.status_code == 200, r.get_json()


def six_more(app, town) -> list:
    """Six more residents in village 1, to be moved together."""
    with app.app_context():
        for n, name in enumerate("一二三四五六"):
            db.session.add(Resident(village_id=town["village_1"], name="刘" + name,
                                    sex="female", birth_date=dt.date(1990, 1, 1 + n)))
        db.session.flush()
        backfill(db.session)
        db.session.commit()
        return db.session.scalars(db.select(Resident.id).where(
            Resident.name.like("刘%"))).all()


def test_a_moved_resident_leaves_the_phone_with_a_notice(app, town, live_server, phone,
                                                         tmp_path):
    others = six_more(app, town)
    out = screenshots(tmp_path)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        assert page.evaluate(NOTICES) == []  # the first download names nobody
        open_profile(page, "zsf", "张三丰")

        move(app, town["resident_1"], town["village_2"], town["household_2"])
        page.click("#sync-button")
        poll(page, NOTICES, lambda ns: len(ns) == 1)
        page.click("a[data-tab=sync]")
        item = page.wait_for_selector("#notices .notice[data-kind=moved_away]")
        assert "张三丰" in item.inner_text() and "已由乡镇卫生院转到其他村" in item.inner_text()
        page.wait_for_selector(".toast", state="detached")
        page.screenshot(path=str(out / "27-moved-away-notice.png"))
        page.click("a[data-tab=search]")
        page.fill("#search-input", "zsf")
        page.wait_for_timeout(300)
        assert "张三丰" not in page.inner_text("#search-results")

        for rid in others:
            move(app, rid, town["village_2"])
        page.click("#sync-button")
        notices = poll(page, NOTICES, lambda ns: len(ns) == 2)
        assert notices[1] == {"kind": "moved_away_many", "name": None, "count": 6}
        page.click("a[data-tab=sync]")
        assert "6 位居民已由乡镇卫生院转到您不负责的村" in page.inner_text("#notices")
        assert page.errors == []


def test_a_resident_moved_in_arrives_with_a_notice(app, town, live_server, phone):
    others = six_more(app, town)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_b")  # village 2
        assert page.evaluate(NOTICES) == []
        move(app, town["resident_1"], town["village_2"], town["household_2"])
        page.click("#sync-button")
        poll(page, NOTICES, lambda ns: len(ns) == 1)
        page.click("a[data-tab=sync]")
        item = page.wait_for_selector("#notices .notice[data-kind=arrived]")
        assert "张三丰" in item.inner_text() and "新到您负责的村" in item.inner_text()
        item.query_selector("a").click()  # the notice opens the resident
        page.wait_for_selector(".profile")
        assert "张三丰" in page.inner_text(".profile")

        for rid in others:
            move(app, rid, town["village_2"])
        page.click("#sync-button")
        notices = poll(page, NOTICES, lambda ns: len(ns) == 2)
        assert notices[1] == {"kind": "arrived_many", "name": None, "count": 6}
        assert page.errors == []
