"""Settings, points and targets pages: staff view, the admin edits; a bad field refuses the
whole form with a Chinese error beside it; every change is logged."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from test_township_pages import page_login, token

from core.models import (
    AdminChange,
    AssessmentRule,
    HypertensionFollowUp,
    MetricRollup,
    Setting,
    Target,
    User,
)
from server.extensions import db
from server.metrics import editing
from server.metrics.definitions import DEFAULT_RULES, DEFAULT_SETTINGS, settings_for
from server.metrics.rollups import recompute_period


def settings_form(town, **changes) -> dict:
    """The settings form as the page fills it (national defaults), with `changes`
    (None leaves a field out, as an unticked box)."""
    form = {f.form_name: str(DEFAULT_SETTINGS[f.key][f.name]) for f in editing.FIELDS}
    form.update({"followup_counted_modes.clinic": "1", "followup_counted_modes.home": "1"})
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def stored(app) -> tuple[int, int, int, int]:
    """How many settings, targets, rules and logged changes are stored."""
    with app.app_context():
        return tuple(db.session.scalar(db.select(db.func.count()).select_from(m))
                     for m in (Setting, Target, AssessmentRule, AdminChange))


def test_staff_see_settings_but_cannot_change_them(client, town):
    page_login(client, "staff_a")
    html = client.get("/township/settings").get_data(as_text=True)
    assert "质量核查阈值" in html and "下次重新计算" in html and "disabled" in html
    assert "仅乡镇卫生院管理员可以修改" in html
    csrf = token(client, "/township/settings")
    assert client.post("/township/settings",
                       data={**settings_form(town), "csrf_token": csrf}).status_code == 403
    assert client.post("/township/targets", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/township/assessment/rules",
                       data={"csrf_token": csrf}).status_code == 403
    assert "同比上升" in client.get("/township/targets").get_data(as_text=True)


def test_the_admin_changes_settings_and_the_change_is_logged(client, app, town):
    page_login(client, "admin_a")
    csrf = token(client, "/township/settings")
    form = settings_form(town, **{"quality.late_entry_days": "15",
                                  "followup_counted_modes.phone": "1",
                                  f"permanent_population.{town['village_1']}": "1200"})
    r = client.post("/township/settings", data={**form, "csrf_token": csrf})
    assert r.status_code == 302
    assert "下次重新计算时生效" in client.get(r.location).get_data(as_text=True)
    with app.app_context():
        s = settings_for(db.session, town["township_a"])
        assert s["quality"]["late_entry_days"] == 15
        assert s["followup_counted_modes"]["modes"] == ["clinic", "home", "phone"]
        assert s["permanent_population"] == {str(town["village_1"]): 1200}
        subjects = sorted(c.subject for c in db.session.scalars(db.select(AdminChange)))
        assert subjects == ["setting:followup_counted_modes", "setting:permanent_population",
                            "setting:quality"]
        change = db.session.scalar(db.select(AdminChange).where(
            AdminChange.subject == "setting:quality"))
        assert (change.before["late_entry_days"], change.after["late_entry_days"]) == (30, 15)
        assert change.user_id == town["admin_a"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("quality.late_entry_days", "", "请填写"),
    ("quality.late_entry_days", "abc", "请填写整数"),
    ("quality.late_entry_days", "0", "须在1到365之间"),
    ("age_thresholds.elderly", "120", "须在60到80之间"),
    ("followups_required.hypertension", "4.5", "请填写整数"),
    ("verification.sample_size", "500", "须在1到200之间"),
    ("permanent_population.VILLAGE", "1,200", "请填写整数"),
    ("permanent_population.VILLAGE", "-3", "须在1到1000000之间"),
    ("permanent_population.VILLAGE", "0", "须在1到1000000之间"),
    ("followup_counted_modes.clinic", None, "至少选择一种计入的随访方式"),
])
def test_a_bad_field_refuses_the_whole_form(client, app, town, field, value, message):
    page_login(client, "admin_a")
    csrf = token(client, "/township/settings")
    field = field.replace("VILLAGE", str(town["village_1"]))
    changes = {"quality.burst_count": "12", field: value}  # a good change beside the bad
    if field == "followup_counted_modes.clinic":
        changes["followup_counted_modes.home"] = None
    r = client.post("/township/settings", data={**settings_form(town, **changes),
                                                 "csrf_token": csrf})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in html and "本次没有保存任何修改" in html
    assert 'value="12"' in html  # what was typed stays on the page
    assert stored(app) == (0, 0, 0, 0)  # nothing half-stored


def test_points_are_validated_and_logged(client, app, town):
    page_login(client, "admin_a")
    csrf = token(client, "/township/settings")
    form = {rule: str(points) for rule, points in DEFAULT_RULES.items()}
    r = client.post("/township/assessment/rules",
                    data={**form, "deduct:burst": "-1", "work:household_visit": "1.5",
                          "csrf_token": csrf})
    assert r.status_code == 422 and "须在0到1000之间" in r.get_data(as_text=True)
    assert stored(app) == (0, 0, 0, 0)
    r = client.post("/township/assessment/rules",
                    data={**form, "work:household_visit": "1.5", "csrf_token": csrf})
    assert r.status_code == 302
    with app.app_context():
        rule = db.session.scalar(db.select(AssessmentRule))
        assert (rule.rule, rule.points) == ("work:household_visit", 1.5)
        assert db.session.scalar(db.select(AdminChange.subject)) == "rule:work:household_visit"


def test_targets_for_a_village_and_their_errors(client, app, town):
    page_login(client, "admin_a")
    csrf = token(client, "/township/targets")
    v1 = town["village_1"]
    bad = {"year": "2026", "village": str(v1), "csrf_token": csrf,
           "htn_standard.kind": "min_rate", "htn_standard.value": "120",
           "htn_control.kind": "rising", "htn_control.value": "50",
           "edu_lectures.kind": "min_count", "edu_lectures.value": "x",
           "record_coverage.kind": "min_count"}
    r = client.post("/township/targets", data=bad)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for message in ("须在0到100之间(百分数,0到100)", "“同比上升”不填数值", "请填写数字(每年次数)",
                    "目标类型无效"):
        assert message in html
    assert stored(app) == (0, 0, 0, 0)
    good = {"year": "2026", "village": str(v1), "csrf_token": csrf,
            "htn_standard.kind": "min_rate", "htn_standard.value": "85",
            "htn_control.kind": "rising", "edu_lectures.kind": "min_count",
            "edu_lectures.value": "12"}
    assert client.post("/township/targets", data=good).status_code == 302
    with app.app_context():
        rows = {t.indicator: (t.village_id, t.year, t.kind, t.value)
                for t in db.session.scalars(db.select(Target))}
    assert rows == {"htn_standard": (v1, 2026, "min_rate", 0.85),
                    "htn_control": (v1, 2026, "rising", None),
                    "edu_lectures": (v1, 2026, "min_count", 12.0)}
    html = client.get(f"/township/targets?year=2026&village={v1}").get_data(as_text=True)
    assert 'value="85"' in html
    # Back to inherit: the row goes, the log keeps it.
    good["htn_standard.kind"] = "inherit"
    client.post("/township/targets", data=good)
    assert stored(app)[1:] == (2, 0, 4)
    assert client.get(f"/township/targets?village={town['village_3']}").status_code == 404


def test_a_setting_applies_at_the_next_recompute(ctx, town):
    """r1 followed up at the clinic, at home and by phone by 30 September 2025 (3 asked):
    2 counted, then 3 once the township counts phone calls and the period is recomputed."""
    for month, mode in ((2, "clinic"), (5, "home"), (8, "phone")):
        stamp = dt.datetime(2025, month, 2, tzinfo=dt.UTC)
        ctx.add(HypertensionFollowUp(
            id=uuid.uuid4(), resident_id=town["resident_1"], village_id=town["village_1"],
            doctor_id=town["doctor_a"], service_date=dt.date(2025, month, 1), mode=mode,
            sbp=130, dbp=80, created_at=stamp, updated_at=stamp))
    ctx.commit()
    now = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)

    def standard() -> tuple:
        recompute_period(ctx, town["township_a"], "2025-Q3", now=now)
        row = ctx.scalar(db.select(MetricRollup).where(
            MetricRollup.scope == "township", MetricRollup.indicator == "htn_standard"))
        return row.numerator, row.denominator

    assert standard() == (0, 1)
    values, errors = editing.parse_settings(
        {**settings_form(town), "followup_counted_modes.phone": "1"}, [])
    assert errors == {}
    editing.save_settings(ctx, ctx.get(User, town["admin_a"]), values)
    ctx.commit()
    assert standard() == (1, 1)
