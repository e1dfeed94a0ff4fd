"""Moving a resident to another village in Debian's Chromium at phone size (390 px): the
search, the two-step form and the result, nothing wider than the screen. Runs wherever
Chromium is; screenshots go to TOWNSHIP_SCREENSHOTS_DIR when it is set:

    TOWNSHIP_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/township/test_township_residents_screen.py
"""
from __future__ import annotations

import os
import pathlib

import pytest
from conftest import PASSWORD

from core.models import Resident
from server.extensions import db
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS

OUT = os.environ.get("TOWNSHIP_SCREENSHOTS_DIR")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium")
PHONE = {"width": 390, "height": 844}


def test_moving_a_resident_on_a_phone(live_server, playwright_driver, app, town):
    def shot(page, name: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        if OUT:
            pathlib.Path(OUT).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(pathlib.Path(OUT) / f"township-{name}-phone.png"),
                            full_page=True)

    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS)
    try:
        ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
        page = ctx.new_page()
        page.goto(f"{live_server}/township/login")
        page.fill("input[name=username]", "staff_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button")
        page.goto(f"{live_server}/township/residents")
        page.fill("input[name=q]", "张")
        page.click("main form button")
        assert "找到 1 人" in page.inner_text("main")
        shot(page, "residents-search")
        page.click("text=张三丰")
        page.select_option("select[name=to]", label="石板村")
        page.click("text=下一步")
        page.select_option("select[name=household_id]", label="石板村2组5号 · 户主 李四")
        shot(page, "resident-move")
        page.click("text=确认转村")
        assert "已转到石板村" in page.inner_text(".flash")
        assert "石板村" in page.inner_text(".card")
        shot(page, "resident-moved")
    finally:
        browser.close()
    with app.app_context():
        assert db.session.get(Resident, town["resident_1"]).village_id == town["village_2"]
