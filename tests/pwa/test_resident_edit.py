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

from server.extensions import db
from server.models import Resident
from tests.conftest import login
from tests.pwa.helpers import first_login, save, unlock, unsynced, wait_all_synced

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 390, "height": 844}
NEW_PHONE = "13900000003"
TOWNSHIP_PHONE = "13711112222"
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
