"""`flask setup-township FILE.xlsx` on a blank install (issue 19.1): the documented example
sets a township up; a second run changes nothing; a dry run and a file with errors store
nothing and say which row is wrong; a new doctor's phone then holds exactly their villages."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from setup_helpers import add_residents, first_phone, phone_villages
from sqlalchemy import func, select

from core.models import (
    AdminChange,
    Setting,
    Target,
    Township,
    User,
    VaccineScheduleDose,
    Village,
    VillageGroup,
)
from server.extensions import db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "township-setup.xlsx"


def run(app, *args):
    """The command as a county IT person types it; returns click's result."""
    return app.test_cli_runner().invoke(args=["setup-township", *map(str, args)])


def passwords(output: str) -> dict[str, str]:
    """{username: one-time password} from the command's report."""
    return dict(re.findall(r"^  (\S+)\s+([a-z0-9]{10})\s", output, re.MULTILINE))


def test_example_sets_up_a_township_and_a_second_run_changes_nothing(app):
    result = run(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "乡镇: 新建乡镇 101 石门乡" in result.output
    assert "村 第3行: 新建村 002 下坝村" in result.output
    assert set(passwords(result.output)) == {"shimen_admin", "liu_fang", "chen_jun", "wang_li",
                                             "zhao_gang"}
    with app.app_context():
        s = db.session
        township = s.scalar(select(Township))
        assert (township.name, township.county.code, township.county.name) == \
            ("石门乡", "532999", "青山县")
        villages = {v.code: v for v in s.scalars(select(Village))}
        assert {c: v.name for c, v in villages.items()} == \
            {"001": "石门村", "002": "下坝村", "003": "龙潭村"}
        assert villages["001"].clinic.name == "石门村卫生室"
        assert set(s.scalars(select(VillageGroup.name).where(
            VillageGroup.village_id == villages["003"].id))) == {"上寨组", "下寨组"}
        users = {u.username: u for u in s.scalars(select(User))}
        assert [v.code for v in users["zhao_gang"].villages] == ["002", "003"]
        assert [v.code for v in users["liu_fang"].liaison_for] == ["001", "002"]
        assert all(u.must_change_password for u in users.values())
        population = s.scalar(select(Setting.value).where(Setting.key == "permanent_population"))
        assert population == {str(villages["001"].id): 1260, str(villages["002"].id): 840}
        targets = {(t.indicator, t.village_id): (t.kind, t.value) for t in s.scalars(select(Target))}
        assert targets[("record_coverage", None)] == ("min_rate", 0.85)
        assert targets[("htn_standard", villages["003"].id)] == ("min_rate", 0.55)
        assert targets[("htn_control", None)] == ("rising", None)
        assert targets[("edu_lectures", None)] == ("min_count", 6)
        # The schedule in use is the shipped 2021 edition, which the migration brought.
        doses = s.scalars(select(VaccineScheduleDose)).all()
        assert len(doses) == 22 and {d.edition for d in doses} == {"2021"}
        audited = s.scalar(select(func.count(AdminChange.id)))

    again = run(app, EXAMPLE)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "无变化 (nothing to change)"
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 5
        assert db.session.scalar(select(func.count(AdminChange.id))) == audited


def test_dry_run_stores_nothing(app):
    result = run(app, EXAMPLE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "新建村 001 石门村" in result.output and "试运行" in result.output
    assert not passwords(result.output)
    with app.app_context():
        assert db.session.scalar(select(func.count(Township.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("村", 3, 1, "02a", "村 第3行: 村代码 须为 3 位数字"),
    ("村", 2, 5, "很多", "村 第2行: 统计人口 须为 1 到 1000000 的整数"),
    ("账号", 5, 5, "009", "账号 第5行: 村 009 不在村表中"),
    ("账号", 4, 3, "院长", "账号 第4行: 角色须为 村医、乡镇工作人员 或 管理员"),
    ("账号", 3, 4, "12345", "账号 第3行: 手机 须为 11 位手机号"),
    ("目标", 2, 2, "不存在的指标", "目标 第2行: 指标“不存在的指标”不存在"),
    ("目标", 3, 5, 120, "目标 第3行: 率的目标值须在 0 到 100 之间(百分数)"),
    ("乡镇", 2, 2, "5329", "乡镇: 县代码 须为 6 位数字"),
])
def test_an_error_is_reported_by_row_and_nothing_is_stored(app, tmp_path, sheet, row, column,
                                                          value, message):
    path = tmp_path / "setup.xlsx"
    shutil.copy(EXAMPLE, path)
    book = load_workbook(path)
    book[sheet].cell(row=row, column=column, value=value)
    book.save(path)
    result = run(app, path)
    assert result.exit_code != 0
    assert f"错误 {message}" in result.output, result.output
    assert "未保存任何内容" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Village.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_new_doctor_sees_exactly_their_villages(app, tmp_path):
    result = run(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    people = add_residents(app, {"001": 3, "002": 2, "003": 4})
    one_time = passwords(result.output)

    phone = first_phone(app, tmp_path, "zhao_gang", one_time["zhao_gang"])
    codes, residents = phone_villages(phone)
    assert codes == {"002", "003"}
    assert residents == people["002"] | people["003"]

    other = first_phone(app, tmp_path, "wang_li", one_time["wang_li"], name="other")
    assert phone_villages(other) == ({"001"}, people["001"])
