"""Steps the browser tests share: first login, unlock, waiting for the app."""
from __future__ import annotations

import time

from tests.conftest import PASSWORD
from tests.pwa.conftest import PIN


def first_login(page, base: str, username: str, password: str = PASSWORD, pin: str = PIN) -> None:
    """Online: log in, enrol the phone, set the PIN, wait for the download and home."""
    page.goto(base + "/app/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login")
    page.fill("#pin1", pin)
    page.fill("#pin2", pin)
    page.click("#set-pin")
    page.wait_for_selector("body[data-ready=home]")
    wait_service_worker(page)


def poll(page, script: str, ok=bool, timeout_s: float = 30):
    """Evaluate `script`, a function (awaiting its promise), until `ok(value)`.

    Not page.wait_for_function: the app's content security policy forbids the eval it
    needs, and the tests keep that policy on."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = page.evaluate(script)
        except Exception:  # noqa: BLE001 - the page may be reloading (a new version)
            value = None
        if value is not None and ok(value):
            return value
        assert time.monotonic() < deadline, f"timed out on {script}; last value {value!r}"
        page.wait_for_timeout(100)


def wait_service_worker(page) -> None:
    """Wait until the service worker controls the page with its cache complete."""
    # `ready` never settles while no worker activates, and page.evaluate has no timeout of
    # its own: a one-second race keeps poll's deadline in force.
    poll(page, "() => Promise.race([navigator.serviceWorker.ready.then(r => "
               "Boolean(r.active && navigator.serviceWorker.controller)), "
               "new Promise(ok => setTimeout(() => ok(false), 1000))])")


def unlock(page, base: str, pin: str = PIN) -> None:
    """Open the app and unlock it with the PIN."""
    page.goto(base + "/app/")
    page.fill("#unlock-pin", pin)  # six digits unlock at once
    page.wait_for_selector("body[data-ready=home]")


def unsynced(page) -> int:
    """The unsynced count the status bar shows."""
    return int(page.get_attribute("#unsynced", "data-count"))


def save(page) -> None:
    """Tap save and wait for the app to move on from the form (saved locally)."""
    before = page.evaluate("() => location.hash")
    page.click("#save")
    try:
        poll(page, "() => location.hash", lambda h: h != before, timeout_s=5)
    except AssertionError:
        problems = page.eval_on_selector_all(".err", "els => els.map(e => e.textContent)")
        raise AssertionError(f"form not saved: {[p for p in problems if p]}") from None


def wait_all_synced(page, timeout_ms: int = 20000) -> None:
    """Wait until the status bar says nothing is left to sync."""
    page.wait_for_selector("#unsynced[data-count='0']", timeout=timeout_ms)
