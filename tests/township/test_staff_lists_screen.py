"""The staff lists and a resident's service history in Debian's Chromium at desktop
(1280 px) and phone (390 px) size: nothing wider than the screen, the pager and the
filters reachable. Screenshots go to TOWNSHIP_SCREENSHOTS_DIR when it is set:

    TOWNSHIP_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/township/test_staff_lists_screen.py
"""
from __future__ import annotations

import datetime as dt
import os
import pathlib
import uuid

import pytest
from conftest import PASSWORD
from test_resident_history import history  # noqa: F401  (fixture)
from test_staff_lists import crowd  # noqa: F401  (fixture)

from core.models import QualityFlag
from server.extensions import db
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS

OUT = os.environ.get("TOWNSHIP_SCREENSHOTS_DIR")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def test_lists_and_history_at_both_sizes(live_server, playwright_driver, app, crowd,  # noqa: F811
                                         history):  # noqa: F811
    with app.app_context():
        db.session.add(QualityFlag(
            township_id=history["township_a"], check="late_entry",
            village_id=history["village_1"], doctor_id=history["doctor_a"],
            record_id=uuid.UUID(history["visit"]), service_date=dt.date(2026, 10, 15),
            detail="40 天", found_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC)))
        db.session.commit()
    pages = {
        "drill-village": f"/township/drill/htn_standard?period=2025&village={crowd['village_1']}",
        "overdue": "/township/overdue",
        "quality-findings": "/township/quality?check=late_entry&kind=household_visit#list",
        "resident-history": f"/township/residents/{history['resident_1']}#history",
        "record": f"/township/records/{history['fixed']}",
    }
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                args=CHROMIUM_ARGS)
    try:
        for size, viewport in SIZES.items():
            ctx = browser.new_context(viewport=viewport, device_scale_factor=1,
                                      is_mobile=size == "phone", locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
            page = ctx.new_page()
            page.goto(f"{live_server}/township/login")
            page.fill("input[name=username]", "admin_a")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            for name, path in pages.items():
                page.goto(f"{live_server}{path}")
                assert page.evaluate(
                    "document.documentElement.scrollWidth <= window.innerWidth + 1"), name
                if OUT:
                    pathlib.Path(OUT).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(pathlib.Path(OUT) / f"township-{name}-{size}.png"),
                                    full_page=name not in ("drill-village", "overdue"))
            # The pager's next page, clicked as a person would.
            page.goto(f"{live_server}{pages['overdue']}")
            page.click("a[rel=next] >> nth=0")
            assert "第 101–200 条" in page.inner_text("main")
            ctx.close()
    finally:
        browser.close()
