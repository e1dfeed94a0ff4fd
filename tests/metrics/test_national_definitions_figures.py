"""Issue 18, cause 5: the missing figures exist (docs/indicators.md#htn_control_140,
#edu_av, #edu_printed, #edu_attendance, #common "Per doctor" and "Exports"). By hand.

Township A of conftest's `town`; hypertension since 2020, one clinic follow-up each on
2025-06-01:
  r1 (village 1, doctor_a) born 1950, 145/85   -> < 150/90 at 65+ yes, < 140/90 no
  Y  (village 1, doctor_a) born 1980, 135/85   -> yes under both targets
  Z  (village 2, doctor_b) born 1955, 142/88   -> < 150/90 at 65+ yes, < 140/90 no
2025: htn_control (3, 3); htn_control_140 (1, 3); doctor_a (1, 2), doctor_b (0, 1).

Education activities of village 1 recorded by doctor_a in 2025-Q1 (audience counts):
audio-visual 02-01 (30) and 03-01 (20), printed materials 02-15 (100), lecture 03-10
(45). 2025-Q1: edu_av 2, edu_printed 1, edu_lectures 1; attendance audio-visual 50,
printed materials 100, lecture 45, consultation 0 (none held: 0, not blank).
In the quarter's report export, doctor_a's row of 播放音像资料 reads 2 and doctor_b's 0;
the township's 公众健康咨询 (no consultation held) reads 0.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from conftest import PASSWORD
from metrics_town import _condition, _rec, _resident
from sqlalchemy import select

from core.models import EducationActivity, HypertensionFollowUp, MetricRollup, Resident
from server.metrics.rollups import recompute_period

D = dt.date
NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)  # every 2025 period closed


@pytest.fixture
def figures_town(ctx, town):
    r1 = ctx.get(Resident, town["resident_1"])
    y = _resident(town, "Y", "village_1", "青年", D(1980, 1, 1))
    z = _resident(town, "Z", "village_2", "老周", D(1955, 5, 5))
    _condition(y, "hypertension", D(2020, 1, 1))
    _condition(z, "hypertension", D(2020, 1, 1))
    ctx.flush()
    for who, doctor, sbp, dbp in ((r1, "doctor_a", 145, 85), (y, "doctor_a", 135, 85),
                                  (z, "doctor_b", 142, 88)):
        _rec(HypertensionFollowUp, town, doctor, D(2025, 6, 1), "clinic", who, sbp=sbp,
             dbp=dbp)
    for day, kind, audience in ((D(2025, 2, 1), "audio_visual", 30),
                                (D(2025, 3, 1), "audio_visual", 20),
                                (D(2025, 2, 15), "printed_materials", 100),
                                (D(2025, 3, 10), "lecture", 45)):
        _rec(EducationActivity, town, "doctor_a", day, "group", village=town["village_1"],
             activity_type=kind, place="村委会", topic="高血压防治", audience_count=audience)
    ctx.commit()
    for period in ("2025-Q1", "2025"):
        recompute_period(ctx, town["township_a"], period, now=NOW)
    ctx.commit()
    return town


def rollup(ctx, town, period: str, scope: str, scope_id: int, indicator: str):
    row = ctx.scalar(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period,
        MetricRollup.scope == scope, MetricRollup.scope_id == scope_id,
        MetricRollup.indicator == indicator))
    return None if row is None else (row.numerator, row.denominator)


def test_bp_control_under_both_targets(ctx, figures_town):
    t = figures_town
    assert rollup(ctx, t, "2025", "township", t["township_a"], "htn_control") == (3, 3)
    assert rollup(ctx, t, "2025", "township", t["township_a"], "htn_control_140") == (1, 3)
    assert rollup(ctx, t, "2025", "doctor", t["doctor_a"], "htn_control_140") == (1, 2)
    assert rollup(ctx, t, "2025", "doctor", t["doctor_b"], "htn_control_140") == (0, 1)


def test_education_counts_and_attendance_per_type(ctx, figures_town):
    t = figures_town
    got = {k: rollup(ctx, t, "2025-Q1", "township", t["township_a"], k)
           for k in ("edu_av", "edu_printed", "edu_lectures", "edu_att_audio_visual",
                     "edu_att_printed_materials", "edu_att_lecture")}
    assert got == {"edu_av": (2, None), "edu_printed": (1, None), "edu_lectures": (1, None),
                   "edu_att_audio_visual": (50, None),
                   "edu_att_printed_materials": (100, None), "edu_att_lecture": (45, None)}


def login(client) -> None:
    html = client.get("/township/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/township/login", data={"username": "staff_a", "password": PASSWORD,
                                              "csrf_token": csrf})
    assert r.status_code == 302


def test_every_indicator_per_doctor_in_the_export_and_on_a_page(client, figures_town):
    t = figures_town
    login(client)
    text = client.get("/township/export/report.csv?period=2025-Q1").data.decode("utf-8-sig")
    cells = {(row[1], row[2]): row[3] for row in csv.reader(io.StringIO(text))}
    assert cells[("doctor_a", "播放音像资料")] == "2"
    assert cells[("doctor_b", "播放音像资料")] == "0"
    assert cells[("doctor_a", "讲座参加人次")] == "45"
    assert cells[("全乡镇", "公众健康咨询")] == "0"
    assert cells[("全乡镇", "咨询参加人次")] == "0"
    page = client.get(f"/township/doctors/{t['doctor_a']}?period=2025-Q1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "播放音像资料" in html and "/township/indicators#edu_av" in html
    assert client.get(f"/township/doctors/{t['doctor_c']}").status_code == 404  # township B
    definitions = client.get("/township/indicators").get_data(as_text=True)
    assert 'id="edu_av"' in definitions and 'id="htn_control_140"' in definitions
