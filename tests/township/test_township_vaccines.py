"""The per-vaccine, per-dose coverage page, its drill-down and export.

Schedule: HepB 1 at birth, MMR 1 at 8 months. 2025: 小红 (village 1, born 2025-01-10)
checked on 2025-06-01 with HepB 1 given; 小刚 (village 2, born 2025-02-01) never checked.
Both are due both doses by 31 December: HepB 1/2 in the township (1/1 and 0/1), MMR 0/2.
"""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from test_township_pages import page_login

from core.models import Resident, Target, VaccinationCheck, VaccineScheduleDose
from server.extensions import db
from server.metrics.rollups import recompute_period

NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


@pytest.fixture
def children(app, town):
    with app.app_context():
        s = db.session
        s.add_all([VaccineScheduleDose(vaccine="HepB", name_zh="乙肝疫苗", dose_no=1,
                                       due_age_months=0),
                   VaccineScheduleDose(vaccine="MMR", name_zh="麻腮风疫苗", dose_no=1,
                                       due_age_months=8)])
        red = Resident(village_id=town["village_1"], name="小红", sex="female",
                       birth_date=dt.date(2025, 1, 10))
        strong = Resident(village_id=town["village_2"], name="小刚", sex="male",
                          birth_date=dt.date(2025, 2, 1))
        s.add_all([red, strong])
        s.flush()
        stamp = dt.datetime(2025, 6, 1, 6, tzinfo=dt.UTC)
        s.add(VaccinationCheck(id=uuid.uuid4(), resident_id=red.id,
                               village_id=town["village_1"], doctor_id=town["doctor_a"],
                               service_date=dt.date(2025, 6, 1), mode="home",
                               created_at=stamp, updated_at=stamp, card_sighted=True,
                               doses_given=[{"vaccine": "HepB", "dose_no": 1,
                                             "date": "2025-01-10"}]))
        s.commit()
        recompute_period(s, town["township_a"], "2025", now=NOW)
        s.commit()
    return town


def test_the_table_of_doses_and_villages(client, children):
    page_login(client, "staff_a")
    html = client.get("/township/vaccines?period=2025").get_data(as_text=True)
    assert "乙肝疫苗" in html and "麻腮风疫苗" in html and "第1剂" in html
    assert "龙泉村" in html and "石板村" in html
    assert "50.0%" in html and "1/2" in html and "0/2" in html
    assert "c-bad" in html and "c-ok" in html  # 50% misses 90%; village 1's HepB is 100%
    assert "/township/vaccines?period=2025" in client.get("/township/?period=2025").text


def test_a_township_target_recolours_the_table(client, app, children):
    with app.app_context():
        db.session.add(Target(indicator="vacc_coverage", township_id=children["township_a"],
                              year=2025, kind="min_rate", value=0.5))
        db.session.commit()
    page_login(client, "staff_a")
    html = client.get("/township/vaccines?period=2025").get_data(as_text=True)
    assert "≥ 50.0%" in html


def test_drill_down_says_why_a_dose_is_missing(client, children):
    page_login(client, "staff_a")
    html = client.get(f"/township/vaccines/HepB/1?period=2025&village={children['village_2']}"
                      ).get_data(as_text=True)
    assert "小刚" in html and "无接种核查记录" in html and "小红" not in html
    html = client.get("/township/vaccines/HepB/1?period=2025").get_data(as_text=True)
    assert "小红" in html and "2025-01-10" in html
    assert client.get("/township/vaccines/BCG/1?period=2025").status_code == 404
    r = client.get(f"/township/vaccines/HepB/1?village={children['village_3']}")
    assert r.status_code == 404  # another township's village


def test_export(client, children):
    from openpyxl import load_workbook

    page_login(client, "staff_a")
    text = client.get("/township/export/vaccines.csv?period=2025").data.decode("utf-8-sig")
    # given, due, coverage, then timely (小红's HepB 1 in its first month) and its rate
    assert "2025,全乡镇,乙肝疫苗,1,0,1,2,0.5,1,0.5,0.9,未达标" in text
    assert "2025,龙泉村,乙肝疫苗,1,0,1,1,1.0,1,1.0,0.9,达标" in text
    rows = list(load_workbook(io.BytesIO(client.get(
        "/township/export/vaccines.xlsx?period=2025").data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("统计期", "范围", "疫苗") and len(rows) == 7
