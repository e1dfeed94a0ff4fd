"""`flask setup-township FILE.xlsx`: a township from one spreadsheet (docs/township-setup.md).

The workbook's sheets are read row by row through the same functions as the first-run
pages (server/services/setup.py). Every row's outcome goes in the report, in Chinese,
named by its sheet and row number. Any error keeps the whole workbook out (the caller
rolls back), as does a dry run; a second run of the same workbook changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import ROLE_ADMIN, Township, User, Village
from server.metrics.definitions import SUPPORTED
from server.services import audit, setup

SHEETS = ("乡镇", "村", "账号", "目标")
TOWNSHIP_KEYS = {"县代码": "county_code", "县名称": "county_name", "乡镇代码": "code",
                 "乡镇名称": "name", "卫生院名称": "health_center"}
ROLES = {v: k for k, v in setup.ROLE_NAMES.items()}
# What the target sheet's 类型 means, for a rate and for a count.
KINDS = {"不低于": ("min_rate", "min_count"), "不高于": ("max_rate", None),
         "同比上升": ("rising", "rising")}
_SPLIT = re.compile(r"[、,，;；\s]+")
FIELD_WORDS = {"county_code": "县代码", "county_name": "县名称", "township_code": "乡镇代码",
               "township_name": "乡镇名称", "health_center": "卫生院名称", "code": "村代码",
               "name": "村名称", "groups": "村民小组", "clinic": "村卫生室",
               "population": "统计人口", "username": "账号", "full_name": "姓名",
               "role": "角色", "phone": "手机", "villages": "村"}


@dataclass
class SheetReport:
    """What a run did (or would do): one line per change, one per error, and the one-time
    passwords of the accounts it made (shown once, never stored in plain text)."""

    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    passwords: list[tuple[str, str, str]] = field(default_factory=list)


def _rows(book, name: str) -> list[tuple[int, dict[str, object]]]:
    """(row number, {header: cell}) for each non-blank row under the header row."""
    rows = list(book[name].iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if any(c not in (None, "") for c in row):
            out.append((n, {h: c for h, c in zip(header, row, strict=False) if h}))
    return out


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1001 typed in a number cell comes back as 1001.0
    return "" if value is None else str(value).strip()


def _fail(report: SheetReport, where: str, e: setup.SetupError) -> None:
    for f, message in e.errors.items():
        report.errors.append(f"{where}: {FIELD_WORDS.get(f, f)} {message}")


def apply_workbook(session: Session, path: Path, method: str) -> SheetReport:
    """Apply the workbook to the session (not committed: the caller commits or rolls back
    on `report.errors` and the dry-run flag)."""
    report = SheetReport()
    book = load_workbook(path, read_only=True, data_only=True)
    missing = [s for s in SHEETS[:3] if s not in book.sheetnames]
    if missing:
        report.errors.append(f"缺少工作表: {'、'.join(missing)}")
        return report
    values = {TOWNSHIP_KEYS.get(_cell(r, "项目")): _cell(r, "内容") for _, r in _rows(book, "乡镇")}
    try:
        township, changes = setup.ensure_township(
            session, values.get("county_code"), values.get("county_name"), values.get("code"),
            values.get("name"), values.get("health_center"))
    except setup.SetupError as e:
        _fail(report, "乡镇", e)
        return report
    report.changes += [f"乡镇: {c}" for c in changes]
    villages = _villages(session, book, township, report)
    _accounts(session, book, township, villages, method, report)
    if "目标" in book.sheetnames:
        _targets(session, book, township, villages, report)
    admin = session.scalar(select(User).where(User.township_id == township.id,
                                              User.role == ROLE_ADMIN, User.active)
                           .order_by(User.id))
    if admin is None:
        report.errors.append("账号: 至少需要一名管理员")
    elif report.changes:
        audit.record_change(session, admin, f"township:{township.id}", "setup", None,
                            {"changes": len(report.changes)}, f"setup-township {path.name}")
    return report


def _villages(session: Session, book, township: Township,
              report: SheetReport) -> dict[str, Village]:
    """The village sheet; returns the township's villages by code and by name."""
    for n, row in _rows(book, "村"):
        try:
            village, changes = setup.ensure_village(
                session, township, _cell(row, "村代码"), _cell(row, "村名称"),
                _SPLIT.split(_cell(row, "村民小组")), _cell(row, "村卫生室"),
                _cell(row, "统计人口"))
        except setup.SetupError as e:
            _fail(report, f"村 第{n}行", e)
            continue
        report.changes += [f"村 第{n}行: {c}" for c in changes]
    known = session.scalars(select(Village).where(Village.township_id == township.id)).all()
    return {**{v.code: v for v in known}, **{v.name: v for v in known}}


def _named_villages(raw: str, villages: dict[str, Village]) -> tuple[list[Village], list[str]]:
    names = [p for p in _SPLIT.split(raw) if p]
    found = [villages[p.zfill(3) if p.isdigit() else p] for p in names
             if (p.zfill(3) if p.isdigit() else p) in villages]
    return found, [p for p in names if (p.zfill(3) if p.isdigit() else p) not in villages]


def _accounts(session: Session, book, township: Township, villages: dict[str, Village],
              method: str, report: SheetReport) -> None:
    for n, row in _rows(book, "账号"):
        where = f"账号 第{n}行"
        role = ROLES.get(_cell(row, "角色"), _cell(row, "角色"))
        serves, unknown = _named_villages(_cell(row, "负责村"), villages)
        liaison, unknown2 = _named_villages(_cell(row, "包村"), villages)
        if role not in setup.ROLE_NAMES:
            report.errors.append(f"{where}: 角色须为 村医、乡镇工作人员 或 管理员")
            continue
        if unknown or unknown2:
            report.errors.append(f"{where}: 村 {'、'.join(unknown + unknown2)} 不在村表中")
            continue
        if (serves and role != setup.ROLE_DOCTOR) or (liaison and role != setup.ROLE_STAFF):
            report.errors.append(f"{where}: 负责村只填村医,包村只填乡镇工作人员")
            continue
        try:
            user, one_time, changes = setup.ensure_account(
                session, township, _cell(row, "账号"), _cell(row, "姓名"), role,
                _cell(row, "手机"), method)
            if role != ROLE_ADMIN:
                changes += setup.assign_villages(session, None, user, serves or liaison)
        except setup.SetupError as e:
            _fail(report, where, e)
            continue
        report.changes += [f"{where}: {c}" for c in changes]
        if one_time:
            report.passwords.append((user.username, user.full_name, one_time))


def _targets(session: Session, book, township: Township, villages: dict[str, Village],
             report: SheetReport) -> None:
    by_name = {**{i.key: i for i in SUPPORTED}, **{i.name_zh: i for i in SUPPORTED}}
    for n, row in _rows(book, "目标"):
        where = f"目标 第{n}行"
        ind = by_name.get(_cell(row, "指标"))
        year, code = _cell(row, "年份"), _cell(row, "村代码")
        village = villages.get(code.zfill(3) if code.isdigit() else code) if code else None
        kinds = KINDS.get(_cell(row, "类型"))
        kind = kinds and kinds[0 if ind is None or ind.unit == "rate" else 1]
        raw = _cell(row, "目标值")
        problem = None
        if ind is None:
            problem = f"指标“{_cell(row, '指标')}”不存在"
        elif not (year.isdigit() and 2000 <= int(year) <= 2100):
            problem = "年份须为四位数字"
        elif code and village is None:
            problem = f"村 {code} 不在村表中"
        elif not kind:
            problem = "类型须为 不低于、不高于 或 同比上升(次数指标无“不高于”)"
        if problem:
            report.errors.append(f"{where}: {problem}")
            continue
        value = None
        if kind != "rising":
            try:
                value = float(raw.rstrip("%"))
            except ValueError:
                report.errors.append(f"{where}: 目标值须为数字")
                continue
            if ind.unit == "rate":
                if not 0 <= value <= 100:
                    report.errors.append(f"{where}: 率的目标值须在 0 到 100 之间(百分数)")
                    continue
                value = round(value / 100, 6)
        changes = setup.ensure_target(session, township, ind.key, village, int(year), kind, value)
        report.changes += [f"{where}: {c}" for c in changes]
