"""Setting a township up without the demo: its tree, accounts, villages per person, targets.

Both ways in use these functions: the first-run pages (server/township/setup.py) and
`flask setup-township FILE.xlsx` (server/services/setup_sheet.py). Each `ensure_*` makes
the stored state match what it was given and returns what it changed, in Chinese, one
line per change; nothing changed gives an empty list, so a second run of the same sheet
changes nothing. Bad input raises `SetupError` with per-field Chinese messages before
anything is written (docs/adr/0063-township-setup.md).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import (
    ROLE_ADMIN,
    ROLE_DOCTOR,
    ROLE_STAFF,
    County,
    Device,
    Setting,
    Target,
    Township,
    User,
    VaccineScheduleDose,
    VaccineScheduleEdition,
    Village,
    VillageClinic,
    VillageGroup,
)
from server.metrics.editing import POPULATION_KEY
from server.services import audit
from server.services.accounts import _OTP_ALPHABET
from server.services.passwords import hash_password

EDITION = "2021"  # the national schedule a new township adopts (migration 0010)
ROLE_NAMES = {ROLE_DOCTOR: "村医", ROLE_STAFF: "乡镇工作人员", ROLE_ADMIN: "管理员"}
_CODE = {3: re.compile(r"[0-9]{3}"), 6: re.compile(r"[0-9]{6}")}
_USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,64}")
_PHONE = re.compile(r"1[0-9]{10}")


class SetupError(ValueError):
    """Input that cannot be stored: {field: Chinese message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def first_run_token(secret_key: str) -> str:
    """The token that opens the first-run page, derived from the instance's secret key, so
    only whoever can read the key (the person who started the server) has it. It opens
    nothing once a township exists."""
    return hmac.new(secret_key.encode(), b"cunyi first-run setup", hashlib.sha256).hexdigest()[:20]


def token_ok(secret_key: str, given: str) -> bool:
    """Is `given` this instance's first-run token (compared in constant time)?"""
    return hmac.compare_digest(first_run_token(secret_key), (given or "").strip().lower())


def township_count(session: Session) -> int:
    """How many townships the instance holds: none means it is fresh."""
    return session.scalar(select(func.count(Township.id))) or 0


def _text(errors: dict, field: str, raw: object, limit: int, required: bool = True) -> str:
    value = "" if raw is None else str(raw).strip()
    if not value and required:
        errors[field] = "请填写"
    elif len(value) > limit:
        errors[field] = f"最多 {limit} 个字"
    return value


def _code(errors: dict, field: str, raw: object, digits: int) -> str:
    value = "" if raw is None else str(raw).strip()
    if digits == 3 and value.isdigit() and len(value) < digits:
        value = value.zfill(digits)  # a spreadsheet drops leading zeros from "001"
    if not _CODE[digits].fullmatch(value):
        errors[field] = f"须为 {digits} 位数字"
    return value


def _set(obj: object, field: str, value: object, label: str, changes: list[str]) -> None:
    if getattr(obj, field) != value:
        changes.append(f"{label}: {getattr(obj, field) or '—'} → {value or '—'}")
        setattr(obj, field, value)


def ensure_township(session: Session, county_code: object, county_name: object,
                    code: object, name: object, health_center: object) -> tuple[Township, list[str]]:
    """The township and its county, created or renamed; a new one adopts the national
    immunization schedule when the instance has none yet."""
    errors: dict[str, str] = {}
    county_code = _code(errors, "county_code", county_code, 6)
    county_name = _text(errors, "county_name", county_name, 100)
    code = _code(errors, "township_code", code, 3)
    name = _text(errors, "township_name", name, 100)
    health_center = _text(errors, "health_center", health_center, 100, required=False) \
        or (f"{name}卫生院" if name else "")
    if errors:
        raise SetupError(errors)
    changes: list[str] = []
    county = session.scalar(select(County).where(County.code == county_code))
    if county is None:
        county = County(code=county_code, name=county_name)
        session.add(county)
        session.flush()
        changes.append(f"新建县 {county_code} {county_name}")
    _set(county, "name", county_name, "县名称", changes)
    township = session.scalar(select(Township).where(Township.county_id == county.id,
                                                     Township.code == code))
    if township is None:
        township = Township(county_id=county.id, code=code, name=name,
                            health_center_name=health_center)
        session.add(township)
        session.flush()
        changes.append(f"新建乡镇 {code} {name}")
        adopted = adopt_schedule(session)
        if adopted:
            changes.append(f"采用国家免疫规划程序({EDITION}年版,{adopted}剂次)")
    _set(township, "name", name, "乡镇名称", changes)
    _set(township, "health_center_name", health_center, "卫生院名称", changes)
    return township, changes


def adopt_schedule(session: Session, edition: str = EDITION) -> int:
    """Copy a shipped edition of the national schedule into the schedule in use, when the
    instance has none (a province's own changes are made on the vaccines settings)."""
    if session.scalar(select(func.count(VaccineScheduleDose.id))):
        return 0
    rows = session.scalars(select(VaccineScheduleEdition)
                           .where(VaccineScheduleEdition.edition == edition)).all()
    session.add_all(VaccineScheduleDose(
        vaccine=r.vaccine, name_zh=r.name_zh, dose_no=r.dose_no, due_age_months=r.due_age_months,
        timely_within_months=r.timely_within_months, edition=edition) for r in rows)
    session.flush()
    return len(rows)


def ensure_village(session: Session, township: Township, code: object, name: object,
                   groups: list[str], clinic: object, population: object) -> tuple[Village, list[str]]:
    """A village with its groups (组, added, never removed here: households may name them),
    its clinic and its statistical population (blank: the register counts)."""
    errors: dict[str, str] = {}
    code = _code(errors, "code", code, 3)
    name = _text(errors, "name", name, 100)
    clinic = _text(errors, "clinic", clinic, 100, required=False)
    groups = [g.strip() for g in groups if g and g.strip()]
    if any(len(g) > 20 for g in groups):
        errors["groups"] = "每个组名最多 20 个字"
    pop_raw = "" if population is None else str(population).strip()
    if pop_raw and not (pop_raw.isdigit() and 1 <= int(pop_raw) <= 1_000_000):
        errors["population"] = "须为 1 到 1000000 的整数"
    if errors:
        raise SetupError(errors)
    changes: list[str] = []
    village = session.scalar(select(Village).where(Village.township_id == township.id,
                                                   Village.code == code))
    if village is None:
        village = Village(township_id=township.id, code=code, name=name)
        session.add(village)
        session.flush()
        changes.append(f"新建村 {code} {name}")
    _set(village, "name", name, f"村 {code} 名称", changes)
    have = set(session.scalars(select(VillageGroup.name)
                               .where(VillageGroup.village_id == village.id)))
    for group in dict.fromkeys(groups):
        if group not in have:
            session.add(VillageGroup(village_id=village.id, name=group))
            changes.append(f"{name} 新增村民小组 {group}")
    if clinic:
        row = session.scalar(select(VillageClinic).where(VillageClinic.village_id == village.id))
        if row is None:
            session.add(VillageClinic(village_id=village.id, name=clinic))
            changes.append(f"新建村卫生室 {clinic}")
        else:
            _set(row, "name", clinic, f"{name} 村卫生室", changes)
    if pop_raw:
        changes += _set_population(session, township, village, int(pop_raw))
    session.flush()
    return village, changes


def _set_population(session: Session, township: Township, village: Village, n: int) -> list[str]:
    row = session.scalar(select(Setting).where(Setting.township_id == township.id,
                                               Setting.key == POPULATION_KEY))
    if row is None:
        row = Setting(township_id=township.id, key=POPULATION_KEY, value={})
        session.add(row)
    if (row.value or {}).get(str(village.id)) == n:
        return []
    row.value = {**(row.value or {}), str(village.id): n}  # a new dict: JSON change noticed
    return [f"{village.name} 统计人口 {n}"]


def ensure_account(session: Session, township: Township, username: object, full_name: object,
                   role: str, phone: object, method: str) -> tuple[User, str | None, list[str]]:
    """An account, created with a one-time password (returned once; the person chooses
    their own at first login) or its name and phone brought up to date. A role is changed
    on the accounts page, where what it ends is shown, never silently here."""
    errors: dict[str, str] = {}
    username = _text(errors, "username", username, 64)
    if username and not _USERNAME.fullmatch(username):
        errors["username"] = "只能用字母、数字和 _ . -,2 到 64 位"
    full_name = _text(errors, "full_name", full_name, 100)
    phone = _text(errors, "phone", phone, 20, required=False) or None
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = "须为 11 位手机号"
    if role not in ROLE_NAMES:
        errors["role"] = "角色须为 村医、乡镇工作人员 或 管理员"
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is not None and user.township_id != township.id:
        errors["username"] = "账号名已被其他乡镇使用"
    elif user is not None and user.role != role:
        errors["role"] = f"账号已存在,角色为{ROLE_NAMES[user.role]};改角色请到账号页"
    if errors:
        raise SetupError(errors)
    if user is not None:
        changes: list[str] = []
        _set(user, "full_name", full_name, f"{username} 姓名", changes)
        _set(user, "phone", phone, f"{username} 手机", changes)
        return user, None, changes
    one_time = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(10))
    user = User(username=username, full_name=full_name, role=role, township_id=township.id,
                phone=phone, password_hash=hash_password(one_time, method),
                must_change_password=True)
    session.add(user)
    session.flush()
    return user, one_time, [f"新建账号 {username}({ROLE_NAMES[role]} {full_name})"]


def assign_villages(session: Session, actor: User | None, user: User,
                    villages: list[Village]) -> list[str]:
    """Which villages a doctor serves (their phones' scope) or a staff member is 包村 for.
    A doctor moved between villages has each phone's copy started again at its next sync
    (the villages lost leave it, those gained arrive whole: sync/pull.py)."""
    if user.role == ROLE_ADMIN and villages:
        raise SetupError({"villages": "管理员不分配村"})
    wanted = sorted({v.id for v in villages})
    current = user.villages if user.role == ROLE_DOCTOR else user.liaison_for
    before = sorted(v.id for v in current)
    if before == wanted:
        return []
    names = {v.id: v.name for v in [*current, *villages]}
    current[:] = sorted({v.id: v for v in villages}.values(), key=lambda v: v.code)
    if user.role == ROLE_DOCTOR:
        session.execute(update(Device).where(Device.user_id == user.id,
                                             Device.revoked_at.is_(None))
                        .values(scope_reset_pending=True)
                        .execution_options(synchronize_session=False))
    if actor is not None:
        audit.record_change(session, actor, f"user:{user.id}",
                            "villages_changed" if user.role == ROLE_DOCTOR else "liaison_changed",
                            {"villages": before}, {"villages": wanted})
    session.flush()
    word = "负责村" if user.role == ROLE_DOCTOR else "包村"
    return [f"{user.username} {word}: {'、'.join(names[i] for i in before) or '—'} → "
            f"{'、'.join(names[i] for i in wanted) or '—'}"]


def ensure_target(session: Session, township: Township, indicator: str, village: Village | None,
                  year: int, kind: str, value: float | None) -> list[str]:
    """One target for a year (the township's, or a village's); the caller has checked the
    indicator, kind and value (server/services/setup_sheet.py, the targets page)."""
    row = session.scalar(select(Target).where(
        Target.township_id == township.id, Target.indicator == indicator, Target.year == year,
        Target.village_id.is_(None) if village is None else Target.village_id == village.id))
    where = f"{village.name if village else township.name} {year} 年目标 {indicator}"
    if row is None:
        session.add(Target(township_id=township.id, indicator=indicator, year=year, kind=kind,
                           value=value, village_id=village.id if village else None))
        return [f"{where}: {_target(kind, value)}"]
    if (row.kind, row.value) == (kind, value):
        return []
    changes = [f"{where}: {_target(row.kind, row.value)} → {_target(kind, value)}"]
    row.kind, row.value = kind, value
    return changes


def _target(kind: str, value: float | None) -> str:
    """A target as the report shows it: 不低于 85%, 至少 6, 同比上升."""
    if kind == "rising":
        return "同比上升"
    if kind in ("min_rate", "max_rate"):
        return f"{'不低于' if kind == 'min_rate' else '不高于'} {value * 100:g}%"
    return f"至少 {value:g}"
