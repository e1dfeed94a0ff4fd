"""Issue 18.6, done when: an import of a year of records from a spreadsheet gives the same
figures as the same records synced day by day.

history_world's 2025 is built twice on a fresh township: once by the two village doctors'
phones, each day's entries pushed over POST /api/sync with the server's clock at the time
they were entered; once by `flask import-history` from one xlsx workbook whose 录入时间
column says when each was entered. Every period of 2025 (year, quarters, months) is then
computed after its close, and every rollup figure (township, village and doctor: each
indicator's numerator and denominator, workload, vaccination per dose) and every
period's late-record count must be equal.
"""
from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict

import history_world as world
import pytest
from conftest import build_town, clean_tables
from sqlalchemy import select

import core.clock
from core.models import MetricPeriod, MetricRollup, User, VaccineScheduleDose, Village
from server.extensions import db
from server.metrics.rollups import recompute_township

AFTER = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # every 2025 period has closed
_REAL_NOW = core.clock.now_utc
ASSESSMENT = {"normal": "体检无异常", "abnormal": "有异常"}


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, settable: `clock["now"]` (None: the real time). Every module
    that imported `now_utc` reads it."""
    state = {"now": None}
    for module in list(sys.modules.values()):
        if getattr(module, "now_utc", None) is _REAL_NOW and module is not core.clock:
            monkeypatch.setattr(module, "now_utc",
                                lambda: state["now"] or _REAL_NOW())
    return state


def _schedule(app) -> None:
    with app.app_context():
        db.session.add_all([VaccineScheduleDose(vaccine=c, name_zh=n, dose_no=d,
                                                due_age_months=m)
                            for c, n, d, m in world.VACCINES])
        db.session.commit()


def _resident_body(p: world.Person, village_id: int) -> dict:
    body = {"village_id": village_id, "name": p.name, "sex": p.sex,
            "birth_date": p.birth.isoformat(), "permanent": p.permanent,
            "record_created_on": p.record_created_on and p.record_created_on.isoformat()}
    if p.national_id:
        body["national_id"] = p.national_id
    for key in ("moved_in_on", "moved_out_on", "died_on"):
        if getattr(p, key):
            body[key] = getattr(p, key).isoformat()
    body["status"] = "deceased" if p.died_on else "moved_out" if p.moved_out_on else "active"
    if p.conditions:
        body["conditions"] = [{"condition": c, "managed_since": s.isoformat()}
                              for c, s in p.conditions]
    return body


def synced_day_by_day(app, town, phone, clock) -> None:
    """The doctors' phones register the roll, then push each day's entries that day."""
    households, people, entries = world.build()
    doctor = {"village_1": phone("doctor_a", "phone_a"), "village_2": phone("doctor_b", "phone_b")}
    clock["now"] = dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC)
    hid, rid = {}, {}
    for key, village in households:
        hid[key] = doctor[village].create("household", {"village_id": town[village]})
    for p in people:
        body = _resident_body(p, town[p.village]) | {"household_id": hid[p.household]}
        rid[p.key] = doctor[p.village].create("resident", body)
    for device in doctor.values():
        device.sync()
    village_of = {p.key: p.village for p in people}
    by_moment = defaultdict(list)
    for e in entries:
        by_moment[e.entered].append(e)
    for moment in sorted(by_moment):
        clock["now"] = moment.astimezone(dt.UTC)
        used = set()
        for e in by_moment[moment]:
            device = doctor[village_of[e.person]]
            device.create("record", {"kind": e.kind, "resident_id": rid[e.person],
                                     "service_date": e.day.isoformat(), "mode": e.mode,
                                     **e.fields})
            used.add(device)
        for device in used:
            device.sync()
    clock["now"] = None
    for device in doctor.values():
        assert not [p for p in device.pending() if p["status"] == "rejected"], device.pending()


def imported(app, town, tmp_path) -> None:
    """The same year as one workbook, imported by township staff."""
    from openpyxl import Workbook

    households, people, entries = world.build()
    vname = {"village_1": "龙泉村", "village_2": "石板村"}
    doctor = {"village_1": "doctor_a", "village_2": "doctor_b"}
    book = Workbook()
    book.remove(book.active)

    def sheet(name: str, header: list[str], rows: list[list]) -> None:
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)

    yes = {True: "是", False: "否"}
    status = {"active": "在册", "moved_out": "迁出", "deceased": "死亡"}
    sheet("家庭", ["户编号", "村"], [[k, vname[v]] for k, v in households])
    sheet("居民", ["身份证号", "姓名", "性别", "出生日期", "村", "户编号", "是否常住", "建档日期",
                 "档案状态", "迁入日期", "迁出日期", "死亡日期"],
          [[p.national_id, p.name, {"male": "男", "female": "女"}[p.sex], p.birth,
            vname[p.village], p.household, yes[p.permanent], p.record_created_on,
            status[_resident_body(p, 0)["status"]], p.moved_in_on, p.moved_out_on, p.died_on]
           for p in people])
    who = {p.key: p for p in people}

    def ident(e: world.Entry) -> list:
        p = who[e.person]
        return [p.national_id, p.name, p.birth, vname[p.village]]

    sheet("慢病管理", ["身份证号", "姓名", "出生日期", "村", "疾病", "纳入管理日期"],
          [[p.national_id, p.name, p.birth, vname[p.village],
            {"hypertension": "高血压", "diabetes": "糖尿病"}[c], s]
           for p in people for c, s in p.conditions])
    mode = {"clinic": "门诊", "home": "家庭", "phone": "电话"}
    ident_cols = ["身份证号", "姓名", "出生日期", "村"]

    def when(e: world.Entry) -> dt.datetime:
        return e.entered.replace(tzinfo=None)  # a spreadsheet's time: China time, naive

    sheet("高血压随访", ident_cols + ["随访日期", "随访方式", "收缩压", "舒张压", "医生",
                                  "录入时间"],
          [ident(e) + [e.day, mode[e.mode], e.fields.get("sbp"), e.fields.get("dbp"),
                       doctor[who[e.person].village], when(e)]
           for e in entries if e.kind == "hypertension_followup"])
    sheet("糖尿病随访", ident_cols + ["随访日期", "随访方式", "空腹血糖", "医生", "录入时间"],
          [ident(e) + [e.day, mode[e.mode], e.fields.get("fasting_glucose"),
                       doctor[who[e.person].village], when(e)]
           for e in entries if e.kind == "diabetes_followup"])
    sheet("老年人体检", ident_cols + ["体检日期", "左侧收缩压", "左侧舒张压", "健康评价",
                                  "健康指导", "医生", "录入时间"],
          [ident(e) + [e.day, e.fields["sbp_left"], e.fields["dbp_left"],
                       ASSESSMENT[e.fields["health_assessment"]],
                       "、".join(e.fields.get("guidance") or []) or None,
                       doctor[who[e.person].village], when(e)]
           for e in entries if e.kind == "elderly_health_check"])
    sheet("预防接种", ident_cols + ["疫苗", "剂次", "接种日期", "接种证", "医生", "录入时间"],
          [ident(e) + [d["vaccine"], d["dose_no"], dt.date.fromisoformat(d["date"]), "是",
                       doctor[who[e.person].village], when(e)]
           for e in entries if e.kind == "vaccination_check" for d in e.fields["doses_given"]])
    path = tmp_path / "export.xlsx"
    book.save(path)
    result = app.test_cli_runner().invoke(args=["import-history", str(path),
                                                "--user", "staff_a"])
    assert result.exit_code == 0, result.output


def figures(app, town) -> dict:
    """Every 2025 rollup figure and late count, named by village code and username."""
    with app.app_context():
        s = db.session
        recompute_township(s, town["township_a"], now=AFTER, workers=1)
        names = {("village", v.id): v.code for v in s.scalars(select(Village))} | \
            {("doctor", u.id): u.username for u in s.scalars(select(User))}
        out = {(r.period, r.scope, names.get((r.scope, r.scope_id), "township"), r.indicator):
               (r.numerator, r.denominator)
               for r in s.scalars(select(MetricRollup).where(
                   MetricRollup.township_id == town["township_a"]))}
        for mp in s.scalars(select(MetricPeriod).where(
                MetricPeriod.township_id == town["township_a"])):
            out[(mp.period, "late")] = (mp.late_records, mp.frozen_at is not None)
        return out


def test_import_gives_the_figures_of_day_by_day_sync(app, town, phone, clock, tmp_path):
    _schedule(app)
    synced_day_by_day(app, town, phone, clock)
    by_sync = figures(app, town)

    clean_tables(app)
    second = build_town(app)
    _schedule(app)
    imported(app, second, tmp_path)
    by_import = figures(app, second)

    assert len(by_sync) > 500
    assert sum(1 for k, v in by_sync.items() if k[1] == "late" and v[0]) >= 2  # late entries
    differ = {k: (by_sync.get(k), by_import.get(k))
              for k in by_sync.keys() | by_import.keys() if by_sync.get(k) != by_import.get(k)}
    assert not differ, sorted(differ.items())[:20]
