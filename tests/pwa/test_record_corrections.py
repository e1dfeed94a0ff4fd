"""Putting a saved record right on the phone (issue 20.3), in the machine's real Chromium at
360×740: a mistyped systolic 185 corrected while the record is still unsynced (its queued
create carries the new value) and after it synced (it reaches the server as version 2 with
the reason); a synced record voided (the server marks it voided and the township's figures
stop counting it); a voiding the server refuses shown as a conflict in words; and an
interrupted form kept as a draft across a switch-off. Each change is followed to the township:
the record's page shows the corrected value or the voiding, with the reason. Screenshots go to
PWA_SCREENSHOTS_DIR when set (docs/screenshots), else to a temporary folder."""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from core.clock import now_utc
from core.models import HypertensionFollowUp, MetricRollup, ServiceRecord
from server.extensions import db
from server.metrics.keys import HTN_CONTROL
from server.metrics.read import drill
from server.metrics.rollups import recompute_period
from server.schemas.records import SCHEMAS
from tests.conftest import PASSWORD, login
from tests.pwa.helpers import first_login, save, unlock, unsynced, wait_all_synced
from tests.sync.device_push import enrol, op, push

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 360, "height": 740}
OUTBOX = ("async () => { const s = await import(location.origin + '/app/js/store.js'); "
          "return [...s.data.outbox.values()].map(o => ({action: o.action, state: o.state, "
          "base_version: o.base_version, reason: o.reason || null, data: o.data})); }")


def shots(tmp_path) -> Path:
    """Where the screenshots go."""
    out = Path(os.environ.get("PWA_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def open_profile(page) -> None:
    """张三丰's profile (hypertension, doctor_a's village) by pinyin initials."""
    page.click("a[data-tab=search]")
    page.fill("#search-input", "zsf")
    page.click("#search-results >> text=张三丰")
    page.wait_for_selector(".profile")


def record_185(page) -> None:
    """The mistyped follow-up: systolic 185, an urgent referral."""
    page.click("text=+ 高血压随访")
    page.fill("input[name=sbp]", "185")
    page.fill("input[name=dbp]", "95")
    page.click("[data-field=medication_adherence] >> text=规律")
    page.click("[data-field=classification] >> text=控制不满意")
    save(page)
    page.wait_for_selector(".history >> text=185/95")


def urgent_names(page) -> str:
    """The home screen's urgent list, as text ('' when there is none)."""
    page.click("a[data-tab=home]")
    page.wait_for_selector("body[data-ready=home]")
    return page.inner_text("#urgent") if page.query_selector("#urgent") else ""


def correct_to_158(page, reason: str, shot: Path | None = None) -> None:
    """Open the record's correction: filled with 185, a reason required; save 158/88."""
    page.click(".history .item.record .correct")
    page.wait_for_selector("#change-reason")
    assert page.input_value("input[name=sbp]") == "185"  # opens on the saved values
    page.fill("input[name=sbp]", "158")
    page.fill("input[name=dbp]", "88")
    page.click("#save")  # no reason yet: refused, nothing saved
    assert page.inner_text("[data-field=change_reason] .err") == "请填写原因"
    if shot:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shot))
    page.fill("#change-reason", reason)
    save(page)
    page.wait_for_selector(".history >> text=158/88")


def history_shot(page, path: Path) -> None:
    """A screenshot of the resident's history, once the "saved" toast has gone."""
    page.wait_for_selector(".toast", state="detached")
    page.eval_on_selector(".history", "el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(path))


def township_record_page(app, record_id) -> str:
    """The township's page of one record, as staff open it after logging in."""
    staff = app.test_client()
    html = staff.get("/township/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = staff.post("/township/login", data={"username": "staff_a", "password": PASSWORD,
                                            "csrf_token": csrf})
    assert r.status_code == 302
    page = staff.get(f"/township/records/{record_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def server_record(app) -> ServiceRecord:
    """doctor_a's one hypertension follow-up on the server."""
    with app.app_context():
        rec = db.session.scalar(db.select(HypertensionFollowUp))
        db.session.expunge_all()
        return rec


def history(app, record_id) -> list[dict]:
    """The audit trail of one record, as an admin reads it."""
    admin = app.test_client()
    login(admin, "admin_a")
    r = admin.get(f"/api/audit/{record_id}")
    assert r.status_code == 200
    return r.get_json()["changes"]


def test_an_unsynced_record_is_corrected_in_its_queued_create(app, town, live_server, phone,
                                                             tmp_path):
    """Offline: 185 saved, the home screen lists an urgent referral; corrected to 158 the
    outbox still holds one create, now with 158, and the urgent referral is gone; synced,
    the server has version 1 with 158 and never saw 185."""
    out = shots(tmp_path)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        open_profile(page)
        record_185(page)
        assert "张三丰" in urgent_names(page)
        open_profile(page)
        assert page.inner_text(".history .item.record .state-pending") == "待同步"
        history_shot(page, out / "phone-record-history.png")
        correct_to_158(page, "血压录错", out / "phone-record-correct.png")
        [queued] = page.evaluate(OUTBOX)
        assert (queued["action"], queued["base_version"], queued["data"]["sbp"]) == \
            ("create", 0, 158)
        assert unsynced(page) == 1
        assert "张三丰" not in urgent_names(page)  # the urgent list follows the correction
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        assert page.errors == []
    rec = server_record(app)
    assert (rec.sbp, rec.dbp, rec.version, rec.deleted_at) == (158, 88, 1, None)
    assert [c["op"] for c in history(app, rec.id)] == ["upsert"]  # 185 never left the phone


def test_a_synced_record_is_corrected_as_version_2_with_its_reason(app, town, live_server,
                                                                  phone, tmp_path):
    """185 synced (version 1); corrected on the phone: an update on version 1 with the
    reason; on the server version 2 with 158/88, the reason in the record's history; the
    phone marks it 已更正 with the reason."""
    out = shots(tmp_path)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        open_profile(page)
        record_185(page)
        wait_all_synced(page)
        assert server_record(app).version == 1
        page.context.set_offline(True)
        open_profile(page)
        correct_to_158(page, "收缩压录入错误")
        [queued] = page.evaluate(OUTBOX)
        assert (queued["action"], queued["base_version"], queued["reason"]) == \
            ("update", 1, "收缩压录入错误")
        assert queued["data"]["sbp"] == 158
        assert "待同步" in page.inner_text(".history .item.record")
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        open_profile(page)
        line = page.inner_text(".history .item.record")
        assert "已更正" in line and "原因：收缩压录入错误" in line and "待同步" not in line
        history_shot(page, out / "phone-record-corrected.png")
        assert page.errors == []
    rec = server_record(app)
    assert (rec.sbp, rec.dbp, rec.version, rec.deleted_at) == (158, 88, 2, None)
    created, corrected = history(app, rec.id)
    assert corrected["reason"] == "收缩压录入错误"
    assert corrected["changed"]["sbp"] == {"from": 185, "to": 158}
    township = township_record_page(app, rec.id)  # what the township's staff see
    assert "已更正" in township and "158/88" in township
    assert re.search(r"185\s*→\s*<b>158</b>", township) and "原因: 收缩压录入错误" in township


def _control_row(app, town, year: str):
    """Recompute the year; 张三丰's row in the BP-control drill-down, and the village's
    rollup of BP control (numerator, denominator)."""
    with app.app_context():
        recompute_period(db.session, town["township_a"], year, now=now_utc())
        db.session.commit()
        [row] = [r for r in drill(db.session, town["township_a"], year, HTN_CONTROL,
                                  village_id=town["village_1"]) if r["name"] == "张三丰"]
        rollup = db.session.scalar(db.select(MetricRollup).where(
            MetricRollup.period == year, MetricRollup.scope == "village",
            MetricRollup.scope_id == town["village_1"], MetricRollup.indicator == HTN_CONTROL))
        db.session.remove()
        return row["reason"], (rollup.numerator, rollup.denominator)


def test_a_synced_record_is_voided_and_no_longer_counts(app, town, live_server, phone,
                                                       tmp_path):
    """185 synced counts as 张三丰's latest reading (uncontrolled); voided on the phone with
    a reason, confirmed: the server marks it voided with the reason in its history, and
    after a recompute the township's BP control has no reading of his."""
    out = shots(tmp_path)
    year = str(dt.date.today().year)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        open_profile(page)
        record_185(page)
        wait_all_synced(page)
        assert _control_row(app, town, year)[0] == "uncontrolled"
        page.context.set_offline(True)
        open_profile(page)
        page.click(".history .item.record .void")
        page.wait_for_selector("#void-confirm")
        page.click("#void-confirm")  # no reason: refused
        assert page.inner_text("[data-field=change_reason] .err") == "请填写原因"
        page.fill("#change-reason", "重复录入，实际未随访")
        page.screenshot(path=str(out / "phone-record-void.png"))
        page.click("#void-confirm")
        page.wait_for_selector(".profile")
        line = page.inner_text(".history .item.record.voided")
        assert "已作废" in line and "待同步" in line
        [queued] = page.evaluate(OUTBOX)
        assert (queued["action"], queued["base_version"], queued["data"]) == ("delete", 1, {})
        assert "张三丰" not in urgent_names(page)
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        open_profile(page)
        assert "待同步" not in page.inner_text(".history .item.record.voided")
        assert page.query_selector(".history .item.record .correct") is None  # voided: done
        history_shot(page, out / "phone-record-voided.png")
        assert page.errors == []
    rec = server_record(app)
    assert rec.deleted_at is not None and rec.version == 2
    assert history(app, rec.id)[-1]["reason"] == "重复录入，实际未随访"
    township = township_record_page(app, rec.id)
    assert "已作废" in township and "原因: 重复录入，实际未随访" in township
    reason, (_, denominator) = _control_row(app, town, year)
    assert reason == "no_reading" and denominator >= 1  # still managed, the reading gone


def test_a_voiding_refused_by_the_server_shows_as_a_conflict_in_words(app, town, live_server,
                                                                     phone, tmp_path):
    """The doctor's other phone corrected the record meanwhile: this phone's voiding (made
    on version 1) comes back refused, and the record says 冲突 with the server's words;
    voided again, on the version now held, it goes through."""
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
        open_profile(page)
        record_185(page)
        wait_all_synced(page)
        rec = server_record(app)
        reader = app.test_client()
        login(reader, "doctor_a")
        stored = reader.get(f"/api/records/{rec.id}").get_json()
        fields = SCHEMAS["hypertension_followup"]().fields
        body = {k: v for k, v in stored.items() if k in fields and v is not None}
        other = enrol(app, "doctor_a", "second phone")
        [fixed] = push(app, other, [op("record", "update", rec.id, {**body, "sbp": 150}, 1)]
                       )[0]["results"]
        assert fixed["status"] == "accepted", fixed
        page.context.set_offline(True)
        open_profile(page)
        page.click(".history .item.record .void")
        page.fill("#change-reason", "重复录入")
        page.click("#void-confirm")
        page.wait_for_selector(".profile")
        page.context.set_offline(False)
        page.click("#sync-button")
        page.wait_for_selector("#unsynced.bad")
        open_profile(page)
        line = page.inner_text(".history .item.record")
        assert "冲突" in line and "另一台设备上更正" in line, line
        assert "base_version" not in line  # the server's words, not a field's name
        history_shot(page, shots(tmp_path) / "phone-record-conflict.png")
        assert "150/95" in line  # the other phone's version, pulled
        assert server_record(app).deleted_at is None
        # Offline while voiding again, so that no sync started by the save empties the
        # outbox before it is read.
        page.context.set_offline(True)
        page.click(".history .item.record .void")  # the doctor looks, and voids it again
        page.fill("#change-reason", "重复录入")
        page.click("#void-confirm")
        page.wait_for_selector(".profile")
        [queued] = page.evaluate(OUTBOX)  # in place of the refused one, on version 2
        assert (queued["action"], queued["state"], queued["base_version"]) == \
            ("delete", "pending", 2)
        page.context.set_offline(False)
        page.click("#sync-button")
        wait_all_synced(page)
        assert page.errors == []
    rec = server_record(app)
    assert rec.deleted_at is not None and rec.version == 3


def test_an_interrupted_form_is_kept_as_a_draft(app, town, live_server, phone, tmp_path):
    """Typed, then the phone switched off: reopened, the form offers the draft, which
    restores what was typed; saved, the draft is gone. A discarded draft is not offered
    again."""
    out = shots(tmp_path)
    with phone(viewport=VIEWPORT) as page:
        first_login(page, live_server, "doctor_a")
    with phone(offline=True, viewport=VIEWPORT) as page:
        unlock(page, live_server)
        open_profile(page)
        page.click("text=+ 高血压随访")
        page.fill("input[name=sbp]", "146")
        page.fill("input[name=dbp]", "92")
        page.wait_for_timeout(800)  # past the draft's quiet time; then switched off
    with phone(offline=True, viewport=VIEWPORT) as page:
        unlock(page, live_server)
        open_profile(page)
        page.click("text=+ 高血压随访")
        page.wait_for_selector("#draft-offer:not([hidden])")
        assert page.input_value("input[name=sbp]") == ""  # offered, not imposed
        page.screenshot(path=str(out / "phone-record-draft.png"))
        page.click("#draft-restore")
        assert (page.input_value("input[name=sbp]"), page.input_value("input[name=dbp]")) == \
            ("146", "92")
        page.click("[data-field=medication_adherence] >> text=规律")
        page.click("[data-field=classification] >> text=控制不满意")
        save(page)
        page.click("text=+ 高血压随访")
        page.wait_for_timeout(500)
        assert page.is_hidden("#draft-offer")  # saved: no draft any more
        page.fill("input[name=sbp]", "133")
        page.click("a[data-tab=home]")  # left the form: kept at once
        open_profile(page)
        page.click("text=+ 高血压随访")
        page.wait_for_selector("#draft-offer:not([hidden])")
        page.click("#draft-discard")
        assert page.is_hidden("#draft-offer")
        page.click("a[data-tab=home]")
        open_profile(page)
        page.click("text=+ 高血压随访")
        page.wait_for_timeout(500)
        assert page.is_hidden("#draft-offer")
        assert page.errors == []
