"""The phone app after old tombstones were purged (issue 17.2, docs/adr/0049-reset-once.md):
its first download pages through without a reset, and when it has fallen behind the purge
it is reset once and pages through again, in real Chromium against the real server."""
from __future__ import annotations

import pytest

from sync.client import SyncClient
from tests.conftest import PASSWORD
from tests.pwa.helpers import first_login, poll, wait_service_worker
from tests.tombstones import age_tombstones, author, live_records, purge
from tests.transport import FlaskTransport

pytestmark = pytest.mark.browser

HELD = ("async () => { const s = await import(location.origin + '/app/js/store.js'); "
        "return {records: [...s.data.record.keys()].sort(), cursor: s.data.state.cursor, "
        "fresh: s.data.state.fresh_copy ?? null, at: s.data.state.last_sync_at}; }")


def test_the_phone_pages_past_a_purge_and_is_reset_once_when_behind(app, town, live_server,
                                                                      phone, tmp_path):
    author_phone = SyncClient(str(tmp_path / "author.sqlite"), FlaskTransport(app))
    author_phone.enrol("doctor_a", PASSWORD, label="author")
    author(author_phone, town, 1100, voids=3)  # more than one page (1,000) of the app's
    age_tombstones(app)
    assert purge(app) > 0
    answers: list[bool] = []

    def note(response) -> None:
        if response.url.endswith("/api/sync") and response.status == 200:
            answers.append(response.json()["reset"])

    with phone() as page:
        page.on("response", note)
        first_login(page, live_server, "doctor_a")
        live = sorted(live_records(app, town["village_1"]))
        held = poll(page, HELD, lambda h: h["records"] == live)
        assert held["fresh"] is None
        assert answers == [False, False]  # two pages, no reset
        wait_service_worker(page)

        # Left behind: more records are made and voided, and the purge passes the phone.
        author(author_phone, town, 20, voids=2)
        age_tombstones(app)
        assert purge(app) > held["cursor"]
        answers.clear()
        page.click("#sync-button")
        live = sorted(live_records(app, town["village_1"]))
        held = poll(page, HELD, lambda h: h["records"] == live and h["at"] != held["at"]
                    and h["fresh"] is None)
        assert answers.count(True) == 1 and len(answers) == 3  # reset, then two pages
        assert page.errors == []
