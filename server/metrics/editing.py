"""Editing the township's settings, assessment points and targets (Flask-free).

Each `parse_*` reads submitted form fields into values and per-field Chinese errors,
touching nothing; each `save_*` writes only what changed and logs every change
(`server.services.audit.record_change`). The caller commits once, and only when there
were no errors: a form is stored whole or not at all
(docs/adr/0028-editing-settings-and-targets.md).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import MODES, AssessmentRule, Setting, Target, User
from server.metrics.definitions import DEFAULT_RULES, SUPPORTED, settings_for
from server.services import audit


@dataclass(frozen=True)
class Field:
    """One editable number inside a setting: where it lives and what it may be."""

    key: str  # Setting key
    name: str  # field inside the setting's value
    label_zh: str
    label_en: str
    lo: int
    hi: int

    @property
    def form_name(self) -> str:
        """The form input's name."""
        return f"{self.key}.{self.name}"


FIELDS: tuple[Field, ...] = (
    Field("followups_required", "hypertension", "高血压每年规范随访次数",
          "Hypertension follow-ups a year", 1, 12),
    Field("followups_required", "diabetes", "糖尿病每年规范随访次数",
          "Diabetes follow-ups a year", 1, 12),
    Field("age_thresholds", "elderly", "老年人年龄(岁及以上)", "Elderly from age", 60, 80),
    Field("age_thresholds", "bp_relaxed", "血压放宽到150/90的年龄", "Relaxed BP target from age",
          60, 80),
    Field("age_thresholds", "bp_first_visit", "首诊测血压年龄", "First-visit BP from age", 18, 60),
    Field("age_thresholds", "child_max", "儿童年龄上限(岁)", "Children up to age", 1, 14),
    Field("period_close_days", "days", "期末后几天结账", "Days after a period's end to close",
          0, 60),
    Field("quality", "late_entry_days", "服务后超过几天录入算补录", "Late entry after (days)",
          1, 365),
    Field("quality", "burst_count", "集中录入:随访条数", "Burst: follow-ups", 2, 100),
    Field("quality", "burst_minutes", "集中录入:分钟内", "Burst: within minutes", 1, 1440),
    Field("quality", "identical_readings", "血压完全相同的随访次数", "Identical BP: visits",
          2, 24),
    Field("quality", "dead_record_days", "多少天无服务算死档", "Dead record after (days)",
          90, 1095),
    Field("verification", "sample_size", "电话抽查默认样本量", "Verification sample size",
          1, 200),
)
MODES_KEY = "followup_counted_modes"
POPULATION_KEY = "permanent_population"
RATE_KINDS = ("min_rate", "max_rate", "rising")
COUNT_KINDS = ("min_count", "rising")
_WHOLE = re.compile(r"-?[0-9]+")  # plain digits only: int() refuses "²" and "①"
INHERIT = "inherit"  # no row: the township's target (for a village) or the national one


def _int(raw: str | None, lo: int, hi: int) -> tuple[int | None, str | None]:
    """A whole number in lo..hi, or the Chinese reason it is not."""
    raw = (raw or "").strip()
    if not raw:
        return None, "请填写"
    if not _WHOLE.fullmatch(raw):
        return None, "请填写整数"
    value = int(raw)
    if not lo <= value <= hi:
        return None, f"须在{lo}到{hi}之间"
    return value, None


def _number(raw: str | None, lo: float, hi: float) -> tuple[float | None, str | None]:
    """A decimal number in lo..hi, or the Chinese reason it is not."""
    raw = (raw or "").strip()
    if not raw:
        return None, "请填写"
    try:
        value = float(raw)
    except ValueError:
        return None, "请填写数字"
    if value != value or not lo <= value <= hi:  # NaN fails both comparisons
        return None, f"须在{lo:g}到{hi:g}之间"
    return value, None


def parse_settings(form: Mapping, village_ids: list[int]) -> tuple[dict, dict]:
    """({setting key: value}, {form name: error}) from the settings form."""
    values: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for f in FIELDS:
        value, error = _int(form.get(f.form_name), f.lo, f.hi)
        if error:
            errors[f.form_name] = error
        values.setdefault(f.key, {})[f.name] = value
    modes = [m for m in MODES if form.get(f"{MODES_KEY}.{m}")]
    if not modes:
        errors[MODES_KEY] = "至少选择一种计入的随访方式"
    values[MODES_KEY] = {"modes": modes}
    population: dict[str, int] = {}
    for v in village_ids:
        raw = (form.get(f"{POPULATION_KEY}.{v}") or "").strip()
        if not raw:
            continue  # blank: the register counts
        n, error = _int(raw, 1, 1_000_000)
        if error:
            errors[f"{POPULATION_KEY}.{v}"] = error
        else:
            population[str(v)] = n
    values[POPULATION_KEY] = population
    return values, errors


def parse_rules(form: Mapping) -> tuple[dict[str, float], dict[str, str]]:
    """({rule: points}, {rule: error}): every rule, 0 to 1000 points."""
    values, errors = {}, {}
    for rule in DEFAULT_RULES:
        value, error = _number(form.get(rule), 0, 1000)
        if error:
            errors[rule] = error
        else:
            values[rule] = value
    return values, errors


def save_settings(session: Session, user: User, values: dict[str, dict]) -> list[str]:
    """Store each setting whose value changed; return their keys."""
    current = settings_for(session, user.township_id)
    rows = {s.key: s for s in session.scalars(select(Setting).where(
        Setting.township_id == user.township_id))}
    changed = []
    for key, value in values.items():
        if key == POPULATION_KEY:  # replaced whole: a blank village goes back to the register
            before = current.get(key, {})
        else:
            before = {k: current.get(key, {}).get(k) for k in value}
        if before == value:
            continue
        row = rows.get(key) or Setting(township_id=user.township_id, key=key, value={})
        row.value = value if key == POPULATION_KEY else {**(row.value or {}), **value}
        session.add(row)
        audit.record_change(session, user, f"setting:{key}", "set", before, value)
        changed.append(key)
    session.flush()
    return changed


def save_rules(session: Session, user: User, values: dict[str, float]) -> list[str]:
    """Store each assessment rule whose points changed; return their names."""
    rows = {r.rule: r for r in session.scalars(select(AssessmentRule).where(
        AssessmentRule.township_id == user.township_id))}
    changed = []
    for rule, points in values.items():
        row = rows.get(rule)
        before = row.points if row is not None else DEFAULT_RULES[rule]
        if before == points:
            continue
        row = row or AssessmentRule(township_id=user.township_id, rule=rule)
        row.points = points
        session.add(row)
        audit.record_change(session, user, f"rule:{rule}", "set", before, points)
        changed.append(rule)
    session.flush()
    return changed


def parse_targets(form: Mapping) -> tuple[dict[str, tuple], dict[str, str]]:
    """({indicator: (kind, value) or None to inherit}, {form name: error}) for one scope.

    Rates are typed as percentages and stored in 0..1; counts are yearly counts."""
    values: dict[str, tuple | None] = {}
    errors: dict[str, str] = {}
    for ind in SUPPORTED:
        kind = form.get(f"{ind.key}.kind") or INHERIT
        raw = form.get(f"{ind.key}.value")
        allowed = RATE_KINDS if ind.unit == "rate" else COUNT_KINDS
        if kind == INHERIT:
            values[ind.key] = None
        elif kind not in allowed:
            errors[f"{ind.key}.kind"] = "目标类型无效"
        elif kind == "rising":
            if (raw or "").strip():
                errors[f"{ind.key}.value"] = "“同比上升”不填数值"
            values[ind.key] = ("rising", None)
        elif ind.unit == "rate":
            pct, error = _number(raw, 0, 100)
            if error:
                errors[f"{ind.key}.value"] = error + "(百分数,0到100)"
            else:
                values[ind.key] = (kind, round(pct / 100, 6))
        else:
            n, error = _number(raw, 0, 10_000)
            if error:
                errors[f"{ind.key}.value"] = error + "(每年次数)"
            else:
                values[ind.key] = (kind, n)
    return values, errors


def save_targets(session: Session, user: User, year: int, village_id: int | None,
                 values: dict[str, tuple | None]) -> list[str]:
    """Store one scope's targets for a year (None removes the row: inherit); return the
    indicators that changed."""
    rows = {t.indicator: t for t in session.scalars(select(Target).where(
        Target.township_id == user.township_id, Target.year == year,
        Target.village_id.is_(None) if village_id is None else Target.village_id == village_id))}
    scope = f"village {village_id}" if village_id else "township"
    changed = []
    for indicator, wanted in values.items():
        row = rows.get(indicator)
        before = None if row is None else {"kind": row.kind, "value": row.value}
        after = None if wanted is None else {"kind": wanted[0], "value": wanted[1]}
        if before == after:
            continue
        if after is None:
            session.delete(row)
        else:
            row = row or Target(indicator=indicator, township_id=user.township_id,
                                village_id=village_id, year=year)
            row.kind, row.value = wanted
            session.add(row)
        audit.record_change(session, user, f"target:{indicator}:{scope}:{year}",
                            "delete" if after is None else "set", before, after)
        changed.append(indicator)
    session.flush()
    return changed

