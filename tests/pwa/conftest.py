"""Browser fixtures (the live server and the Playwright driver are in tests/conftest.py): the
machine's own Chromium (Debian's package) driven by Playwright with a persistent profile,
so a test can close the browser and open it again like a phone that was switched off."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
PHONE = {"width": 360, "height": 640}
PIN = "246810"


def pytest_configure(config):
    """Register the marker of the tests that drive Chromium."""
    config.addinivalue_line("markers", "browser: drives the machine's Chromium")


def pytest_collection_modifyitems(config, items):
    """Without Chromium the browser tests cannot run: say so rather than pass in silence."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} missing: run scripts/browser-deps.sh")
    for item in items:
        if "tests/pwa/" in str(item.fspath).replace(os.sep, "/") and "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def phone(playwright_driver, tmp_path):
    """A factory for a phone browser on one persistent profile: `with phone() as page:`.
    Leaving the block closes the browser (all its processes), as a phone switched off."""
    profile = tmp_path / "profile"
    opened = []

    @contextmanager
    def open_phone(offline: bool = False, video: str | None = None, viewport: dict | None = None):
        # `video`: Chromium's fake camera plays this file (QR scanning tests); `viewport`:
        # another phone's screen (PHONE otherwise).
        camera = [] if video is None else [
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + camera,
            viewport=viewport or PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow",
            permissions=["camera"] if video else [])
        opened.append(context)
        context.set_default_timeout(15000)
        if offline:
            context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        try:
            yield page
        finally:
            context.close()

    yield open_phone
    for context in opened:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - already closed is fine
            pass
