"""A phone whose clock is wrong is told so on screen, and its records still count by server
time (docs/adr/0003-server-time.md)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.pwa.helpers import first_login

pytestmark = pytest.mark.browser


def test_wrong_phone_clock_is_shown(app, town, live_server, phone):
    with phone() as page:
        first_login(page, live_server, "doctor_a")
        assert page.locator("#clock-warning").count() == 0
        # The phone's clock runs three hours fast (the server's is right).
        page.clock.set_system_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=3))
        page.click("#sync-button")
        page.wait_for_selector("#clock-warning", timeout=20000)
        text = page.inner_text("#clock-warning")
        assert "手机时间不准" in text and "180" in text
