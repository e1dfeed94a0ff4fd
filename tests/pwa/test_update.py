"""A new version of the app rolls out on the next online open, atomically, and an update
never touches unsynced work (it lives in IndexedDB, not in the service worker's cache)."""
from __future__ import annotations

import pytest

from core.models import ServiceRecord
from server.extensions import db
from tests.pwa.helpers import first_login, poll, save, unlock, unsynced, wait_all_synced

pytestmark = pytest.mark.browser

CACHES = "caches.keys().then(k => k.filter(n => n.startsWith('cunyi-app-')))"


def test_new_version_rolls_out_and_keeps_the_outbox(app, town, live_server, phone,
                                                    monkeypatch):
    """Old version + unsynced record → new version on the server → next open runs it."""
    with phone() as page:
        first_login(page, live_server, "doctor_a")
        (old_cache,) = poll(page, f"() => {CACHES}", lambda k: len(k) == 1)
        page.context.set_offline(True)
        page.click("a[data-tab=new]")
        page.click("#new-education")
        page.click("[data-field=activity_type] >> text=宣传栏")
        page.fill("input[name=topic]", "冬季预防流感")
        page.fill("input[name=place]", "村卫生室宣传栏")
        save(page)
        assert unsynced(page) == 1

    monkeypatch.setitem(app.config, "PWA_VERSION_SALT", "next-release")
    with phone() as page:
        # Opening online: the old version starts, finds the new one, installs it whole,
        # and hands over before anything is typed (the page reloads once, into the new one).
        page.goto(live_server + "/app/")
        (new_cache,) = poll(page, f"() => {CACHES}", lambda k: len(k) == 1 and k != [old_cache])
        page.wait_for_selector("#unlock-pin")
        version = new_cache.removeprefix("cunyi-app-")
        served = page.evaluate("() => fetch('./version.json').then(r => r.json())")
        assert served["version"] == version
        script = page.evaluate("() => navigator.serviceWorker.controller.scriptURL")
        assert script.endswith("/app/sw.js")
        # Every cached file is of the new version: none left over from the old one.
        versions = page.evaluate("""async (name) => {
            const cache = await caches.open(name);
            const keys = await cache.keys();
            const tags = await Promise.all(keys.map(async (k) =>
                (await cache.match(k)).headers.get('X-App-Version')));
            return [...new Set(tags)];
        }""", new_cache)
        assert versions == [version]
        unlock(page, live_server)  # the outbox survived the update and now goes up
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        record = db.session.scalar(db.select(ServiceRecord).where(
            ServiceRecord.kind == "education_activity"))
        assert record is not None and record.doctor_id == town["doctor_a"]
