"""Steps the browser tests share: first login, unlock, waiting for the app."""
from __future__ import annotations

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


def wait_service_worker(page) -> None:
    """Wait until the service worker controls the page and its cache is complete."""
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)


def unlock(page, base: str, pin: str = PIN) -> None:
    """Open the app and unlock it with the PIN."""
    page.goto(base + "/app/")
    page.fill("#unlock-pin", pin)  # six digits unlock at once
    page.wait_for_selector("body[data-ready=home]")


def unsynced(page) -> int:
    """The unsynced count the status bar shows."""
    return int(page.get_attribute("#unsynced", "data-count"))
