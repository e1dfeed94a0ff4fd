"""The lock screen tells the truth (issue 20, item 6): a phone reopened offline with ten
unsynced records shows "10 not synced" before the PIN is typed, not "all synced"; the count
stays right after locking again, and drops to nothing only once the server has the records.
The outbox is sealed, so the count comes from its readable states (ADR 0067)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.models import ServiceRecord
from server.extensions import db
from tests.pwa.helpers import first_login, poll, save, unlock, unsynced, wait_all_synced

pytestmark = pytest.mark.browser

RECORDS = 10
SCREEN = {"width": 360, "height": 740}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def record_activity(page, n: int) -> None:
    """One education activity in the village (no resident needed), saved offline."""
    page.click("a[data-tab=new]")
    page.click("#new-education")
    page.click("[data-field=activity_type] >> text=讲座")
    page.fill("input[name=topic]", f"高血压的自我管理 第{n}讲")
    page.fill("input[name=place]", "村委会")
    page.fill("input[name=audience_count]", "12")
    save(page)


def locked_status(page) -> tuple[int, str]:
    """Wait for the unlock screen; the status bar's count and its words there."""
    page.wait_for_selector("#unlock-pin")
    # The count is read from IndexedDB as the lock screen opens: wait for a number.
    poll(page, "() => document.querySelector('#unsynced')?.dataset.count", timeout_s=10)
    return unsynced(page), page.inner_text("#unsynced")


def test_count_is_right_while_locked(app, town, live_server, phone):
    """Ten records saved offline: the lock screen says ten, before and after unlocking."""
    with phone(viewport=SCREEN) as page:
        first_login(page, live_server, "doctor_a")

    with phone(offline=True, viewport=SCREEN) as page:
        unlock(page, live_server)
        for n in range(RECORDS):
            record_activity(page, n + 1)
        assert unsynced(page) == RECORDS

    with phone(offline=True, viewport=SCREEN) as page:  # reloaded offline: locked
        page.goto(live_server + "/app/")
        count, words = locked_status(page)
        assert count == RECORDS
        assert words == f"未同步 {RECORDS} 条"
        assert "已全部同步" not in page.inner_text("header.status")
        assert "尚未同步" not in page.inner_text("#last-sync")  # the last sync is known too
        page.screenshot(path=str(SHOTS / "phone-lock-screen-unsynced.png"))
        page.fill("#unlock-pin", "246810")
        page.wait_for_selector("body[data-ready=home]")
        assert unsynced(page) == RECORDS

        page.click("a[data-tab=me]")
        page.click("#lock")  # locked again by hand: the count survives the key's loss
        count, words = locked_status(page)
        assert (count, words) == (RECORDS, f"未同步 {RECORDS} 条")
        assert page.errors == []

    with phone(viewport=SCREEN) as page:  # signal again: unlock, sync, lock
        unlock(page, live_server)
        wait_all_synced(page)
        page.click("a[data-tab=me]")
        page.click("#lock")
        count, words = locked_status(page)
        assert (count, words) == (0, "已全部同步")
        assert page.errors == []

    with app.app_context():
        kinds = db.session.scalars(db.select(ServiceRecord.kind).where(
            ServiceRecord.doctor_id == town["doctor_a"])).all()
        assert kinds.count("education_activity") == RECORDS
