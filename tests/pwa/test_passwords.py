"""Passwords on the phone (issue 16.3 and 16.9): a first login with the township's one-time
password chooses a new one before the phone is enrolled; "me → change password" changes it
with the device token and re-wraps the local data key, so a forgotten PIN is recovered
offline with the new password; a demo server says so on the login screen.

Screenshots go to a temporary folder, or to PWA_SCREENSHOTS_DIR (docs/screenshots):

    PWA_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/pwa/test_passwords.py
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.models import Township
from server.extensions import db
from tests.conftest import PASSWORD, login
from tests.pwa.conftest import PIN
from tests.pwa.helpers import first_login

pytestmark = pytest.mark.browser

TALL_PHONE = {"width": 360, "height": 740}
NEW_PASSWORD = "Longquan-clinic-26"


@pytest.fixture
def shot(tmp_path):
    """shot(page, name): a screenshot into PWA_SCREENSHOTS_DIR (or a temporary folder)."""
    out = Path(os.environ.get("PWA_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.wait_for_timeout(150)  # let focus rings and fonts settle
        page.screenshot(path=str(out / f"{name}.png"))
    return take


def server_login(app, username: str, password: str) -> int:
    """The status of a login on the server with this password, in a fresh cookie jar."""
    r = app.test_client().post("/api/auth/login", json={"username": username, "password": password})
    return r.status_code


def one_time_password(app, town, username: str) -> str:
    """The admin resets the person's password over the API: a one-time password."""
    admin = app.test_client()
    login(admin, "admin_a")
    r = admin.post(f"/api/users/{town[username]}/reset-password")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["one_time_password"]


def forgot_pin_unlock(page, password: str) -> None:
    """Locked phone: "forgot PIN", the account password, then a new PIN, to home."""
    page.wait_for_selector("#unlock-pin")
    page.click("#forgot-pin")
    page.fill("#unlock-pin", password)
    page.click("#unlock")
    page.wait_for_selector("#pin1")
    page.fill("#pin1", "135790")
    page.fill("#pin2", "135790")
    page.click("#set-pin")
    page.wait_for_selector("body[data-ready=home]")


def test_first_login_with_a_one_time_password_chooses_a_new_one(app, town, live_server, phone,
                                                                 shot):
    """The township's one-time password leads to the new-password form (checked on the
    phone, then by the server), then the PIN and home; the server then takes the new
    password only, and the phone's data key is wrapped under it."""
    one_time = one_time_password(app, town, "doctor_a")
    with phone(viewport=TALL_PHONE) as page:
        page.goto(live_server + "/app/")
        page.fill("#username", "doctor_a")
        page.fill("#password", one_time)
        page.click("#login")
        page.wait_for_selector("#new-password1")
        assert "一次性密码" in page.inner_text("#one-time")
        shot(page, "28-login-one-time")

        page.fill("#new-password1", "short7!")
        page.fill("#new-password2", "short7!")
        page.click("#set-password")
        assert "至少 8 位" in page.inner_text("#one-time .err")
        page.fill("#new-password1", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD + "x")
        page.click("#set-password")
        assert "不一致" in page.inner_text("#one-time .err")
        # Past the phone's checks, the server's own refusal is shown in words.
        page.fill("#new-password1", "doctor_a-2026")
        page.fill("#new-password2", "doctor_a-2026")
        page.click("#set-password")
        page.wait_for_selector("#one-time .err:has-text('不能包含账号名')")
        assert server_login(app, "doctor_a", one_time) == 200  # nothing changed yet

        page.fill("#new-password1", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD)
        page.click("#set-password")
        page.wait_for_selector("#pin1")
        page.fill("#pin1", PIN)
        page.fill("#pin2", PIN)
        page.click("#set-pin")
        page.wait_for_selector("body[data-ready=home]")
        assert server_login(app, "doctor_a", NEW_PASSWORD) == 200
        assert server_login(app, "doctor_a", one_time) == 401

        # The data key was wrapped under the new password: it unlocks a forgotten PIN offline.
        page.context.set_offline(True)
        page.click("a[data-tab=me]")
        page.click("#lock")
        forgot_pin_unlock(page, NEW_PASSWORD)
        assert page.errors == []


def test_change_password_from_me_then_forgot_pin_offline(app, town, live_server, phone, shot):
    """Me → change password (online; offline it says it needs the network): the server
    takes the new password, the phone keeps syncing, and after locking, "forgot PIN"
    opens the phone offline with the new password and no longer with the old one."""
    with phone(viewport=TALL_PHONE) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        page.click("a[data-tab=me]")
        page.click("#change-password")
        assert "需要联网" in page.inner_text("#password-offline")
        page.context.set_offline(False)
        page.click("#password-back")
        page.click("#change-password")
        page.wait_for_selector("#current-password")

        page.fill("#current-password", "not-my-password")
        page.fill("#new-password1", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD)
        page.click("#change-password-submit")
        page.wait_for_selector("#change-password-form .err:has-text('当前密码不正确')")
        page.fill("#current-password", PASSWORD)
        page.fill("#new-password1", "12345678")
        page.fill("#new-password2", "12345678")
        page.click("#change-password-submit")
        page.wait_for_selector("#change-password-form .err:has-text('太常见')")
        page.evaluate("document.activeElement.blur()")
        shot(page, "29-change-password")
        page.fill("#new-password1", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD)
        page.click("#change-password-submit")
        page.wait_for_selector("#password-changed")
        shot(page, "30-password-changed")
        assert server_login(app, "doctor_a", NEW_PASSWORD) == 200
        assert server_login(app, "doctor_a", PASSWORD) == 401
        page.click("#sync-button")  # the device token still works
        page.wait_for_selector("text=同步完成")

        page.context.set_offline(True)
        page.click("a[data-tab=me]")
        page.click("#lock")
        page.wait_for_selector("#unlock-pin")
        page.click("#forgot-pin")
        page.fill("#unlock-pin", PASSWORD)  # the old password no longer opens the phone
        page.click("#unlock")
        page.wait_for_selector(".unlock .err:has-text('不正确')")
        page.fill("#unlock-pin", NEW_PASSWORD)
        page.click("#unlock")
        page.wait_for_selector("#pin1")
        page.fill("#pin1", "135790")
        page.fill("#pin2", "135790")
        page.click("#set-pin")
        page.wait_for_selector("body[data-ready=home]")
        assert page.errors == []


def test_password_changed_elsewhere_then_on_the_phone_asks_for_the_pin(app, town, live_server,
                                                                       phone):
    """The person changed the password on the township pages, so the phone's box is under
    an older one: after the change on the phone, the PIN opens the other box and the
    newest password then recovers a forgotten PIN offline."""
    from core.models import User
    from server.services import accounts

    with phone() as page:
        first_login(page, live_server, "doctor_a")
        with app.app_context():
            user = db.session.get(User, town["doctor_a"])
            # As the township page does once the current password was checked.
            accounts.change_password(db.session, user, "Township-page-26",
                                     app.config["PASSWORD_HASH_METHOD"])
            db.session.commit()
        page.click("a[data-tab=me]")
        page.click("#change-password")
        page.fill("#current-password", "Township-page-26")
        page.fill("#new-password1", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD)
        page.click("#change-password-submit")
        page.wait_for_selector("#rewrap-pin")
        assert server_login(app, "doctor_a", NEW_PASSWORD) == 200
        page.fill("#rewrap-pin", "999999")
        page.click("#rewrap button[type=submit]")
        page.wait_for_selector("#rewrap .err:has-text('不正确')")
        page.fill("#rewrap-pin", PIN)
        page.click("#rewrap button[type=submit]")
        page.wait_for_selector("#password-changed")

        page.context.set_offline(True)
        page.click("a[data-tab=me]")
        page.click("#lock")
        forgot_pin_unlock(page, NEW_PASSWORD)
        assert page.errors == []


def test_demo_notice_on_the_login_screen_of_a_demo_server_only(app, town, live_server, phone, shot):
    """No notice on a real server; on a demo one, a visible warning above the login."""
    with phone(viewport=TALL_PHONE) as page:
        page.goto(live_server + "/app/")
        page.wait_for_selector("#login")
        page.wait_for_load_state("networkidle")
        assert page.locator("#demo-notice").count() == 0

        with app.app_context():
            db.session.get(Township, town["township_a"]).is_demo = True
            db.session.commit()
        page.reload()
        page.wait_for_selector("#demo-notice")
        assert page.is_visible("#demo-notice")
        notice = page.inner_text("#demo-notice")
        assert "演示系统：账号和密码是公开的，请勿录入真实居民的信息。" in notice
        shot(page, "31-login-demo")
        assert page.errors == []
