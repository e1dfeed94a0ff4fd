"""Correcting a resident's details on the phone, in the machine's real Chromium at 390×844:
offline, across a switch-off, synced when the signal is back with only the changed fields
and the version the edit was made on; and an edit that meets a township change on the same
field, shown to the doctor in words. Screenshots go to PWA_SCREENSHOTS_DIR when set
(docs/screenshots), else to a temporary folder."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from core.changelog import backfill
from core.models import Household, Resident
from server.extensions import db
from tests.conftest import login
from tests.pwa.helpers import first_login, save, unlock, unsynced, wait_all_synced

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 390, "height": 844}
NEW_PHONE = "13900000003"
TOWNSHIP_PHONE = "13711112222"
FREE_ID = "511921195003070034"  # 1950-03-07, male, valid check digit
OUTBOX = ("async () => { const s = await import(location.origin + '/app/js/store.js'); "
          "return [...s.data.outbox.values()].map(o => ({entity: o.entity, action: o.action, "
          "base_version: o.base_version, data: o.data})); }")


def screenshots(tmp_path) -> Path:
    """Where the screenshots go."""
    out = Path(os.environ.get("PWA_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def open_profile(page, initials: str, name: str) -> None:
    """Find a resident by pinyin initials and open the profile."""
    page.click("a[data-tab=search]")
    page.fill("#search-input", initials)
    page.click(f"#search-results >> text={name}")
    page.wait_for_selector(".profile")


def test_edit_resident_offline_then_sync(app, town, live_server, phone, tmp_path):
    """Edit offline → a validation error keeps what was typed → saved → switch-off → sync."""
    out = screenshots(tmp_path)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")

    with phone(offline=True, viewport=VIEWPORT) as page:
        unlock(page, live_server)
        open_profile(page, "zsf", "张三丰")
        page.click("#edit-resident")
        page.wait_for_selector("input[name=phone]")
        assert page.input_value("input[name=phone]") == "13800138000"  # starts from the record
        page.fill("input[name=phone]", NEW_PHONE)
        page.click("[data-field=conditions] >> text=2型糖尿病")
        page.fill("input[name='managed_since-diabetes']", "2025-06-01")
        page.fill("input[name=national_id]", "511921195003070019")  # wrong check digit
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(out / "23-edit-resident.png"))
        page.eval_on_selector("[data-field=conditions]", "el => el.scrollIntoView()")
        page.screenshot(path=str(out / "23-edit-resident-conditions.png"))
        page.click("#save")
        assert "校验位" in page.inner_text("[data-field=national_id] .err")
        assert page.input_value("input[name=phone]") == NEW_PHONE  # nothing typed is lost
        assert page.input_value("input[name='managed_since-diabetes']") == "2025-06-01"
        page.screenshot(path=str(out / "24-edit-resident-error.png"))
        page.fill("input[name=national_id]", "511921195003070018")  # back to the right one
        save(page)
        page.wait_for_selector(".profile")
        assert NEW_PHONE in page.inner_text(".profile")  # the local copy changed at once
        assert "2型糖尿病" in page.inner_text(".profile")
        assert unsynced(page) == 1
        [op] = page.evaluate(OUTBOX)
        assert (op["entity"], op["action"], op["base_version"]) == ("resident", "update", 1)
        assert set(op["data"]) == {"phone", "conditions"}  # only what changed
        assert op["data"]["phone"] == NEW_PHONE
        assert page.errors == []

    with phone(offline=True, viewport=VIEWPORT) as page:  # switched off and on, no signal
        unlock(page, live_server)
        assert unsynced(page) == 1
        open_profile(page, "zsf", "张三丰")
        assert NEW_PHONE in page.inner_text(".profile")
        page.context.set_offline(False)  # signal again: the online event starts a sync
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        resident = db.session.get(Resident, town["resident_1"])
        assert resident.phone == NEW_PHONE and resident.version == 2
        since = {c.condition: c.managed_since for c in resident.conditions if c.ended_on is None}
        assert since == {"hypertension": dt.date(2020, 1, 1), "diabetes": dt.date(2025, 6, 1)}


def test_conflict_with_a_township_change_is_shown_in_words(app, town, live_server, phone,
                                                            tmp_path):
    """The township changed the phone first: the doctor reads which value stayed, in words."""
    out = screenshots(tmp_path)
    rid = str(town["resident_1"])
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        open_profile(page, "zsf", "张三丰")
        page.click("#edit-resident")
        page.fill("input[name=phone]", NEW_PHONE)
        page.click("details.more summary")
        page.fill("input[name=ethnicity]", "汉族")
        page.click("[data-field=blood_type] >> text=B型")
        save(page)
        [op] = page.evaluate(OUTBOX)
        assert op["data"] == {"phone": NEW_PHONE, "ethnicity": "汉族", "blood_type": "B"}

        staff = app.test_client()
        login(staff, "staff_a")
        r = staff.patch(f"/api/residents/{rid}", json={"version": 1, "phone": TOWNSHIP_PHONE,
                                                            "blood_type": "A"})
        assert r.status_code == 200, r.get_json()

        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        page.click("a[data-tab=sync]")
        line = page.wait_for_selector("#notices .conflict[data-field=phone]")
        assert line.inner_text() == f"电话：保留 {TOWNSHIP_PHONE}，您的 {NEW_PHONE} 未采用"
        assert page.inner_text("#notices .conflict[data-field=blood_type]") == \
            "血型：保留 A型，您的 B型 未采用"  # choices by their labels
        page.wait_for_selector(".toast", state="detached")
        page.screenshot(path=str(out / "25-conflict-notice.png"))
        open_profile(page, "zsf", "张三丰")
        assert TOWNSHIP_PHONE in page.inner_text(".profile")  # the kept value, on the phone too
        assert "未采用" in page.inner_text("#entity-notices")

        page.click("a[data-tab=me]")
        page.click("#lang-en")  # reloads in English: unlock again
        unlock(page, live_server)
        page.click("a[data-tab=sync]")
        line = page.wait_for_selector("#notices .conflict[data-field=phone]")
        assert line.inner_text() == (f"Phone: kept {TOWNSHIP_PHONE}; yours, {NEW_PHONE}, "
                                     "was not used")
        assert page.inner_text("#notices .conflict[data-field=blood_type]") == \
            "Blood type: kept A; yours, B, was not used"
        page.screenshot(path=str(out / "26-conflict-notice-english.png"))
        assert page.errors == []

    with app.app_context():
        resident = db.session.get(Resident, town["resident_1"])
        # The field only the phone changed was applied; the contested one kept the township's.
        assert (resident.phone, resident.ethnicity, resident.version) == (TOWNSHIP_PHONE, "汉族", 3)


def test_household_edit_and_an_edit_of_a_resident_never_sent(app, town, live_server, phone):
    """A household's address corrected offline goes as an update; a resident registered
    offline and corrected before any sync goes as one create with the correction in it."""
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        open_profile(page, "zsf", "张三丰")
        page.click(".profile a[href^='#/household/']")
        page.click("#edit-household")
        assert page.input_value("input[name=address]") == "龙泉村1组1号"
        page.fill("input[name=address]", "龙泉村1组1号（老街口）")
        page.fill("input[name=phone]", "0838-1234567")
        save(page)
        assert "老街口" in page.inner_text("main")
        page.click("text=+ 新增家庭成员")
        page.fill("input[name=name]", "张小明")
        page.fill("input[name=birth_date]", "2001-02-03")
        page.click("[data-field=sex] >> text=男")
        save(page)
        page.click("#edit-resident")
        page.fill("input[name=phone]", "13600136000")
        save(page)
        ops = page.evaluate(OUTBOX)
        assert [(o["entity"], o["action"]) for o in ops] == [("household", "update"),
                                                               ("resident", "create")]
        assert ops[0]["data"] == {"address": "龙泉村1组1号（老街口）", "phone": "0838-1234567"}
        assert ops[0]["base_version"] == 1
        assert ops[1]["data"]["phone"] == "13600136000" and ops[1]["base_version"] == 0
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        household = db.session.get(Household, town["household_1"])
        assert (household.address, household.phone, household.version) == (
            "龙泉村1组1号（老街口）", "0838-1234567", 2)
        child = db.session.scalar(db.select(Resident).where(Resident.name == "张小明"))
        assert (child.phone, child.version) == ("13600136000", 1)


def test_rejected_edit_is_corrected_and_resent(app, town, live_server, phone):
    """The server refuses an ID number another resident holds; the doctor sees why on the
    edit form, corrects it, and the corrected edit goes on the version it was made on."""
    taken = "511921195003070018"  # 张三丰's
    with app.app_context():  # 李四's village is not doctor_a's: give doctor_a a neighbour
        neighbour = Resident(household_id=town["household_1"], village_id=town["village_1"],
                             name="张四", sex="male", birth_date=dt.date(1950, 3, 7))
        db.session.add(neighbour)
        db.session.flush()
        backfill(db.session)
        db.session.commit()
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        open_profile(page, "zs", "张四")
        page.click("#edit-resident")
        page.fill("input[name=national_id]", taken)
        page.fill("input[name=phone]", "13500135000")
        save(page)
        page.context.set_offline(False)
        page.click("#sync-button")
        page.wait_for_selector("#unsynced.bad")
        page.click("#unsynced")
        page.click(".op.rejected .fix")
        page.wait_for_selector("#rejection")
        assert "该身份证号已有档案" in page.inner_text("[data-field=national_id] .err")
        assert page.input_value("input[name=phone]") == "13500135000"  # the edit is still there
        page.fill("input[name=national_id]", FREE_ID)
        page.context.set_offline(True)  # so the op can be read before it goes
        save(page)
        [op] = page.evaluate(OUTBOX)
        assert op["action"] == "update" and op["base_version"] == 1
        assert op["data"] == {"national_id": FREE_ID, "phone": "13500135000"}
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        resident = db.session.scalar(db.select(Resident).where(Resident.name == "张四"))
        assert (resident.national_id, resident.phone, resident.version) == (
            FREE_ID, "13500135000", 2)
