"""The cards pages in Debian's Chromium at phone (390 px) and desktop size: nothing wider
than the screen, Chinese rendered. Screenshots go to TOWNSHIP_SCREENSHOTS_DIR (set it to
docs/screenshots to refresh the docs); without it, or without Chromium, this is skipped:

    TOWNSHIP_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/township/test_township_cards_screens.py
"""
from __future__ import annotations

import datetime as dt
import os
import pathlib

import pytest
from conftest import PASSWORD

from core.models import Household, Resident, User
from server.cards import service
from server.extensions import db
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS

OUT = os.environ.get("TOWNSHIP_SCREENSHOTS_DIR")
pytestmark = pytest.mark.skipif(not OUT or not os.path.exists(CHROMIUM),
                                reason="set TOWNSHIP_SCREENSHOTS_DIR; needs Chromium")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
NAMES = ["张建国", "张秀英", "刘桂兰", "刘志强", "陈玉梅", "陈大山", "杨春花", "杨小军",
         "赵德明", "赵丽娟", "黄永福", "黄小燕"]


def _people(app, town) -> None:
    """Village 1: twelve more residents in six households; some cards issued, one
    reissued, one revoked and not replaced; a blank batch."""
    with app.app_context():
        s = db.session
        for i, name in enumerate(NAMES):
            if i % 2 == 0:
                hh = Household(village_id=town["village_1"], address=f"龙泉村{i // 4 + 1}组",
                               group_no=str(i // 4 + 1), house_no=str(i + 3),
                               head_name=name)
                s.add(hh)
                s.flush()
            s.add(Resident(household_id=hh.id, village_id=town["village_1"], name=name,
                           sex="male" if i % 2 else "female",
                           birth_date=dt.date(1950 + 3 * i, 1 + i, 10),
                           national_id=f"5119211{950 + 3 * i}{1 + i:02d}10{i:03d}"[:17] + "X"))
        s.commit()
        staff = s.get(User, town["staff_a"])
        ids = s.scalars(db.select(Resident.id).where(
            Resident.village_id == town["village_1"]).order_by(Resident.name)).all()
        for rid in ids[:6]:
            service.issue(s, staff, rid)
        service.issue(s, staff, ids[0], "lost")
        service.revoke(s, staff, service.issue(s, staff, ids[7]).id, "damaged")
        service.make_blank(s, staff, 40)
        s.commit()


@pytest.fixture
def base_url(app, town, live_server):
    """The app with its people, on a loopback port."""
    _people(app, town)
    return live_server


def _fits(page) -> None:
    """Nothing but the scrolling tables is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_cards_pages_on_a_phone_and_a_desktop(base_url, playwright_driver, town):
    out = pathlib.Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    village = f"{base_url}/township/cards/villages/{town['village_1']}"
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                args=CHROMIUM_ARGS)
    try:
        for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
            ctx = browser.new_context(viewport=size, device_scale_factor=2 if size is PHONE
                                      else 1, is_mobile=size is PHONE, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
            page = ctx.new_page()
            page.goto(f"{base_url}/township/login")
            page.fill("input[name=username]", "staff_a")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.goto(f"{base_url}/township/cards")
            assert "居民卡" in page.inner_text("h2")
            _fits(page)
            page.screenshot(path=str(out / f"township-cards-{label}.png"), full_page=True)
            page.goto(village)
            _fits(page)
            page.screenshot(path=str(out / f"township-cards-village-{label}.png"),
                            full_page=size is DESKTOP)
            if size is PHONE:
                page.screenshot(path=str(out / "township-cards-list-phone.png"),
                                clip={"x": 0, "y": page.locator("#list").bounding_box()["y"]
                                      - 10, "width": PHONE["width"], "height": 760},
                                full_page=True)
                # A lost card: revoked with a reason and a replacement issued.
                row = page.locator("tr.review").first
                row.locator("select[name=reason]").select_option("lost")
                row.locator("input[name=note]").fill("赶集时丢失")
                row.locator("button", has_text="作废并补发新卡").click()
                page.wait_for_load_state()
                assert "已补发新卡" in page.inner_text(".flash")
                page.screenshot(path=str(out / "township-cards-reissued-phone.png"))
                # A refusal: reissue without a reason (the browser's own check bypassed).
                page.evaluate("document.querySelectorAll('select[name=reason]')"
                              ".forEach(s => s.removeAttribute('required'))")
                page.locator("tr.review button", has_text="作废并补发新卡").first.click()
                page.wait_for_load_state()
                assert "请选择作废原因" in page.inner_text(".flash.err")
                page.screenshot(path=str(out / "township-cards-refused-phone.png"))
            ctx.close()
    finally:
        browser.close()
