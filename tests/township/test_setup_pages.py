"""Setting a township up in real Chromium (issue 19.1, "done when"): from a blank install
with only the first-run pages, and from the spreadsheet command; a new doctor's phone (the
sync API, as the phone calls it) then holds exactly their villages, and a doctor moved on
the accounts page has the new village's residents instead of the old at the next sync.

Screenshots of every set-up page at 1280x800 and 390x844 go to TOWNSHIP_SCREENSHOTS_DIR
when set (docs/screenshots to refresh the docs):

    TOWNSHIP_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest \
        tests/township/test_setup_pages.py
"""
from __future__ import annotations

import os
import pathlib
import re

import pytest
from setup_helpers import NEW_PASSWORD, add_residents, first_phone, phone_villages
from test_setup_sheet import EXAMPLE, passwords, run

from server.services.setup import first_run_token
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium")
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
ADMIN_PASSWORD = "Qingshan-2026"


@pytest.fixture
def browser(playwright_driver):
    """Debian's Chromium, headless."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def shots(tmp_path):
    """shoot(page, name): a full-page screenshot, into the docs' folder when asked; checks
    first that nothing but a scrolling table is wider than the screen."""
    out = pathlib.Path(os.environ.get("TOWNSHIP_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        size = "phone" if page.viewport_size["width"] < 600 else "desktop"
        page.screenshot(path=str(out / f"township-setup-{name}-{size}.png"), full_page=True)
    return shoot


def context(browser, size):
    """A Chinese browser at `size`."""
    return browser.new_context(viewport=size, is_mobile=size is PHONE, locale="zh-CN",
                               timezone_id="Asia/Shanghai")


def add_village(page, code, name, groups, clinic, population=""):
    page.fill("input[name=code]", code)
    page.fill("input[name=name]", name)
    page.fill("input[name=groups]", groups)
    page.fill("input[name=clinic]", clinic)
    page.fill("input[name=population]", population)
    page.click("button.primary")
    page.wait_for_load_state()
    assert f"新建村 {code} {name}" in page.inner_text(".flash")


def add_account(page, username, name, role, villages) -> str:
    """Fill the account form; return the one-time password shown once."""
    page.fill("input[name=username]", username)
    page.fill("input[name=full_name]", name)
    page.select_option("select[name=role]", role)
    form = page.locator("form", has=page.locator("select[name=role]"))
    for village in villages:
        form.get_by_label(village).check()
    page.click("button.primary")
    page.wait_for_load_state()
    return page.inner_text("#one-time")


def test_first_run_pages_set_up_a_township_from_a_blank_install(app, live_server, browser,
                                                                shots, tmp_path):
    phone_ctx = context(browser, PHONE)
    page = phone_ctx.new_page()
    page.goto(f"{live_server}/township/login")
    assert page.url.endswith("/township/first-run")
    shots(page, "first-run")
    phone_ctx.close()

    ctx = context(browser, DESKTOP)
    page = ctx.new_page()
    page.goto(f"{live_server}/township/")
    assert page.url.endswith("/township/first-run")  # the login page of a fresh instance
    shots(page, "first-run")
    fields = {"county_code": "532999", "county_name": "青山县", "township_code": "101",
              "township_name": "石门乡", "username": "yangfan", "full_name": "杨帆",
              "password": ADMIN_PASSWORD, "confirm": ADMIN_PASSWORD}
    page.fill("input[name=token]", "not-the-token")
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.click("button.primary")
    assert "设置码不正确" in page.inner_text("#e-token")
    shots(page, "first-run-refused")
    page.fill("input[name=token]", first_run_token(app.config["SECRET_KEY"]))
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.fill("input[name=confirm]", ADMIN_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/township/setup$"))
    assert "石门乡" in page.inner_text("header")

    page.goto(f"{live_server}/township/setup/villages")
    add_village(page, "001", "石门村", "1组、2组、3组", "石门村卫生室", "1260")
    add_village(page, "002", "下坝村", "1组、2组", "下坝村卫生室", "840")
    add_village(page, "003", "龙潭村", "上寨组、下寨组", "龙潭村卫生室")
    assert "上寨组、下寨组" in page.inner_text("table")
    shots(page, "villages")

    page.goto(f"{live_server}/township/setup/people")
    one_time = {"wang_li": add_account(page, "wang_li", "王丽", "village_doctor", ["石门村"]),
                "zhao_gang": add_account(page, "zhao_gang", "赵刚", "village_doctor",
                                         ["下坝村", "龙潭村"])}
    add_account(page, "liu_fang", "刘芳", "township_staff", ["石门村", "下坝村"])
    shots(page, "people")

    page.goto(f"{live_server}/township/setup")
    page.click("text=采用国家默认目标")
    page.wait_for_load_state()
    assert re.search(r"已添加 \d+ 项今年目标", page.inner_text(".flash"))
    assert "国家免疫规划 2021 年版" in page.inner_text("main")
    shots(page, "checklist")
    page.click("text=查看或按本省调整")
    assert page.locator("input[name^=due_age_months]").count() == 22
    shots(page, "schedule")

    people = add_residents(app, {"001": 3, "002": 2, "003": 4})
    wang = first_phone(app, tmp_path, "wang_li", one_time["wang_li"], "wang")
    assert phone_villages(wang) == ({"001"}, people["001"])
    zhao = first_phone(app, tmp_path, "zhao_gang", one_time["zhao_gang"], "zhao")
    assert phone_villages(zhao) == ({"002", "003"}, people["002"] | people["003"])

    # 王丽 moves from 石门村 to 下坝村 on the accounts page; her phone follows at its next sync.
    page.goto(f"{live_server}/township/accounts")
    row = page.locator("tr", has_text="wang_li")
    row.locator("summary").click()
    row.get_by_label("石门村").uncheck()
    row.get_by_label("下坝村").check()
    row.locator("details button").click()
    page.wait_for_load_state()
    assert "石门村 → 下坝村" in page.inner_text(".flash")
    shots(page, "accounts")
    wang.sync()
    assert phone_villages(wang) == ({"002"}, people["002"])
    ctx.close()

    phone_ctx = context(browser, PHONE)
    page = phone_ctx.new_page()
    page.goto(f"{live_server}/township/login")
    page.fill("input[name=username]", "yangfan")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("form button")
    for path, name in (("setup", "checklist"), ("setup/villages", "villages"),
                       ("setup/people", "people"), ("setup/schedule", "schedule"),
                       ("accounts", "accounts")):
        page.goto(f"{live_server}/township/{path}")
        shots(page, name)
    phone_ctx.close()


def test_spreadsheet_set_up_then_the_admin_and_a_doctor_log_in(app, live_server, browser,
                                                              shots, tmp_path):
    result = run(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    one_time = passwords(result.output)
    people = add_residents(app, {"001": 2, "002": 3, "003": 1})

    ctx = context(browser, DESKTOP)
    page = ctx.new_page()
    page.goto(f"{live_server}/township/first-run")
    assert page.url.endswith("/township/login")  # closed once a township exists
    page.fill("input[name=username]", "shimen_admin")
    page.fill("input[name=password]", one_time["shimen_admin"])
    page.click("form button")
    page.wait_for_url(re.compile(r"/township/password"))
    page.fill("input[name=current_password]", one_time["shimen_admin"])
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    page.click("main form button")
    page.goto(f"{live_server}/township/setup/people")
    row = page.locator("tr", has_text="zhao_gang")
    assert row.get_by_label("下坝村").is_checked() and row.get_by_label("龙潭村").is_checked()
    assert not row.get_by_label("石门村").is_checked()
    assert page.locator("tr", has_text="liu_fang").get_by_label("石门村").is_checked()
    page.goto(f"{live_server}/township/setup")
    assert re.search(r"村和村民小组\s*3", page.inner_text("main"))
    ctx.close()

    zhao = first_phone(app, tmp_path, "zhao_gang", one_time["zhao_gang"])
    assert phone_villages(zhao) == ({"002", "003"}, people["002"] | people["003"])
