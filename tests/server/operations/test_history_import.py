"""`flask import-history` on the documented example (docs/examples/history-import): what it
stores, that a second run stores nothing, that a dry run lists every refused row with its
row, column and reason, and that one bad row leaves nothing of itself behind."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.models import (
    AdminChange,
    Household,
    RecordEntry,
    Resident,
    ServiceRecord,
    SyncChange,
    VaccinationCheck,
    VaccineScheduleDose,
)
from server.extensions import db

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "history-import"


@pytest.fixture
def schedule(app, town):
    """The two vaccines the example names, by code and Chinese name."""
    with app.app_context():
        db.session.add_all([
            VaccineScheduleDose(vaccine="HepB", name_zh="乙肝疫苗", dose_no=1, due_age_months=0),
            VaccineScheduleDose(vaccine="HepB", name_zh="乙肝疫苗", dose_no=2, due_age_months=1),
            VaccineScheduleDose(vaccine="BCG", name_zh="卡介苗", dose_no=1, due_age_months=0)])
        db.session.commit()


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["import-history", *args, "--user", "staff_a"])


def counts(app) -> dict:
    with app.app_context():
        s = db.session
        return {"households": s.scalar(select(func.count(Household.id))),
                "residents": s.scalar(select(func.count(Resident.id))),
                "records": s.scalar(select(func.count(ServiceRecord.id))),
                "changes": s.scalar(select(func.count()).select_from(SyncChange))}


def test_example_imports_once_with_its_dates(app, town, schedule):
    before = counts(app)
    result = invoke(app, str(EXAMPLE))
    assert result.exit_code == 0, result.output
    after = counts(app)
    assert after["households"] - before["households"] == 3
    assert after["residents"] - before["residents"] == 5
    # 5 hypertension + 2 diabetes follow-ups, 1 check of a 65+, 2 vaccination days
    assert after["records"] - before["records"] == 10

    with app.app_context():
        s = db.session
        roll = s.scalar(select(Resident).where(Resident.name == "李桂花"))
        assert roll.record_created_on is None  # on the household roll, no health record
        late = s.scalar(select(ServiceRecord).where(
            ServiceRecord.service_date == dt.date(2025, 8, 26)))
        entered = dt.datetime(2025, 9, 15, 10, 30, tzinfo=dt.UTC)  # 18:30 China time
        assert late.created_at == entered
        entry = s.get(RecordEntry, late.id)
        assert (entry.entered_at, entry.basis) == (entered, "import")
        first_day = s.scalar(select(VaccinationCheck).where(
            VaccinationCheck.service_date == dt.date(2024, 3, 10)))
        assert sorted((d["vaccine"], d["dose_no"]) for d in first_day.doses_given) == \
            [("BCG", 1), ("HepB", 1)]
        statuses = set(s.scalars(select(SyncChange.status).where(
            SyncChange.seq > before["changes"])))
        assert statuses == {"imported"}
        audit = s.scalar(select(AdminChange).where(AdminChange.subject == "history_import"))
        assert audit.after["stored"]["居民"] == 5 and audit.user_id == town["staff_a"]

    again = invoke(app, str(EXAMPLE))
    assert again.exit_code == 0, again.output
    assert counts(app) == after
    assert "已存在跳过" in again.output


def test_dry_run_lists_each_refused_row_and_stores_nothing(app, town, schedule, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXAMPLE, folder)
    with (folder / "居民.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([
            ["511921199001010010", "赵错号", "男", "1990-01-01", "龙泉村", "", "", "", "户籍",
             "是", "2020-01-01", "在册", "", "", ""],
            ["", "钱无村", "女", "1990-01-01", "白云村", "", "", "", "户籍", "是", "", "在册",
             "", "", ""],
            ["", "孙日期", "女", "1990-13-01", "龙泉村", "", "", "", "户籍", "是", "", "在册",
             "", "", ""],
        ])
    with (folder / "高血压随访.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["", "张建国", "2025-12-01", "门诊", "150", "160", "", "", "",
                                "", "", "", "2025-12-01 10:00"])
    before = counts(app)
    result = invoke(app, str(folder), "--dry-run")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "第" in line]
    assert lines == [
        "居民.csv 第7行 [身份证号] 身份证号校验位不正确，请核对",
        "居民.csv 第8行 [村] 村名不在本乡镇",
        "居民.csv 第9行 [出生日期] 日期无效",
        "高血压随访.csv 第7行 [身份证号] 须填身份证号，或姓名、出生日期和村",
    ], result.output
    assert "试运行" in result.output and "拒绝 4 行" in result.output
    assert counts(app) == before


def test_a_bad_row_leaves_nothing_behind(app, town, schedule, tmp_path):
    """A resident whose household is unknown is refused whole: no resident, no log row,
    no record number used; the rows around it are stored."""
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(EXAMPLE / "家庭.csv", folder)
    rows = list(csv.reader((EXAMPLE / "居民.csv").open(encoding="utf-8-sig")))
    rows[2][5] = "LQ-9999"  # 李桂花's household: not in the households file
    with (folder / "居民.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    before = counts(app)
    result = invoke(app, str(folder))
    assert result.exit_code == 1
    assert "居民.csv 第3行 [户编号] 该村没有此户编号的家庭（请先在家庭表中列出）" in result.output
    after = counts(app)
    assert after["residents"] - before["residents"] == 4
    assert after["changes"] - before["changes"] == 3 + 4  # households and residents only
    with app.app_context():
        assert db.session.scalar(select(Resident).where(Resident.name == "李桂花")) is None
