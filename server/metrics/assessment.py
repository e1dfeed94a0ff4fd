"""Performance assessment (绩效考核) of village doctors per quarter: workload points per
record kind minus quality deductions, with each doctor's share of the township's net
points as the basis for allocating subsidies (docs/adr/0024-assessment-points.md).

Reads the period's rollups (frozen once the quarter closes), so the assessment of a
closed quarter does not move when late records arrive. Verification denials are the one
input that may still change it: calls are made after the quarter by nature.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import ROLE_DOCTOR, AssessmentRule, MetricPeriod, MetricRollup, User
from server.metrics import dismissals
from server.metrics.definitions import DEFAULT_RULES, WORK_KINDS, parse_period
from server.metrics.verification import denied_by_doctor

FOLLOWUP_KINDS = ("hypertension_followup", "diabetes_followup")


def rules_for(session: Session, township_id: int) -> dict[str, float]:
    """The township's points over the defaults."""
    rules = dict(DEFAULT_RULES)
    for row in session.scalars(select(AssessmentRule)
                               .where(AssessmentRule.township_id == township_id)):
        rules[row.rule] = row.points
    return rules


def save_rules(session: Session, township_id: int, values: dict[str, float]) -> None:
    """Store the township's points (only known rule names; unknown ones are ignored)."""
    existing = {r.rule: r for r in session.scalars(
        select(AssessmentRule).where(AssessmentRule.township_id == township_id))}
    for rule, points in values.items():
        if rule not in DEFAULT_RULES:
            continue
        row = existing.get(rule) or AssessmentRule(township_id=township_id, rule=rule)
        row.points = float(points)
        session.add(row)
    session.flush()


@dataclass
class DoctorScore:
    """One doctor's quarter: counts, points and share."""

    doctor_id: int
    name: str
    work: dict[str, int] = field(default_factory=dict)
    phone: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)  # counted (not dismissed)
    dismissed: dict[str, int] = field(default_factory=dict)
    denied: int = 0
    workload_points: float = 0.0
    deduction_points: float = 0.0
    net_points: float = 0.0
    share: float = 0.0


def assess(session: Session, township_id: int, period_key: str) -> list[DoctorScore]:
    """Score every village doctor of the township for one period (usually a quarter)."""
    rules = rules_for(session, township_id)
    doctors = session.execute(select(User.id, User.full_name).where(
        User.township_id == township_id, User.role == ROLE_DOCTOR).order_by(User.id)).all()
    scores = {d.id: DoctorScore(d.id, d.full_name) for d in doctors}
    rows = session.execute(select(MetricRollup.scope_id, MetricRollup.indicator,
                                  MetricRollup.numerator)
                           .where(MetricRollup.township_id == township_id,
                                  MetricRollup.period == period_key,
                                  MetricRollup.scope == "doctor"))
    for doctor_id, indicator, n in rows:
        score = scores.get(doctor_id)
        if score is None:
            continue
        prefix, _, name = indicator.partition(":")
        bucket = {"work": score.work, "phone": score.phone, "quality": score.findings}
        if prefix in bucket:
            bucket[prefix][name] = n
    # Findings staff dismissed (reviewed: real twins, a reading confirmed) deduct nothing;
    # like verification calls, a review may still change a closed quarter (ADR 0027).
    period = parse_period(period_key)
    mp = session.scalar(select(MetricPeriod).where(MetricPeriod.township_id == township_id,
                                                   MetricPeriod.period == period.key))
    as_of = mp.as_of if mp is not None else now_utc()
    for doctor_id, checks in dismissals.dismissed_by_doctor(
            session, township_id, period.start, period.end, as_of).items():
        score = scores.get(doctor_id)
        for check, n in checks.items() if score is not None else ():
            score.dismissed[check] = min(n, score.findings.get(check, 0))
            score.findings[check] = score.findings.get(check, 0) - score.dismissed[check]
    for doctor_id, n in denied_by_doctor(session, township_id, period_key).items():
        if doctor_id in scores:
            scores[doctor_id].denied = n
    for s in scores.values():
        _points(s, rules)
    total = sum(max(s.net_points, 0) for s in scores.values())
    for s in scores.values():
        s.share = max(s.net_points, 0) / total if total else 0.0
    return list(scores.values())


def _points(s: DoctorScore, rules: dict[str, float]) -> None:
    """Workload minus deductions; a phone follow-up earns the phone rate, not the form's."""
    work = 0.0
    for kind in WORK_KINDS:
        n, phone = s.work.get(kind, 0), s.phone.get(kind, 0)
        if kind in FOLLOWUP_KINDS:
            work += (n - phone) * rules[f"work:{kind}"] + phone * rules["work:followup_phone"]
        else:
            work += n * rules[f"work:{kind}"]
    deduct = sum(n * rules.get(f"deduct:{check}", 0.0) for check, n in s.findings.items())
    deduct += s.denied * rules["deduct:verification_denied"]
    s.workload_points, s.deduction_points = round(work, 2), round(deduct, 2)
    s.net_points = round(work - deduct, 2)


def table(scores: list[DoctorScore], lang: str = "zh") -> list[list]:
    """Rows for the export: a header, then one row per doctor."""
    zh = lang == "zh"
    header = (["医生", "入户随访", "高血压随访", "其中电话", "糖尿病随访", "其中电话", "接种核查",
               "健康教育", "老年人体检", "质量问题", "已核实排除", "抽查否认", "工作量分",
               "扣分", "净得分", "分配比例"] if zh else
              ["Doctor", "Household visits", "HTN follow-ups", "by phone", "DM follow-ups",
               "by phone", "Vaccination checks", "Education", "65+ checks", "Findings",
               "Dismissed", "Denied", "Workload points", "Deductions", "Net points", "Share"])
    out = [header]
    for s in scores:
        out.append([s.name, s.work.get("household_visit", 0),
                    s.work.get("hypertension_followup", 0),
                    s.phone.get("hypertension_followup", 0),
                    s.work.get("diabetes_followup", 0), s.phone.get("diabetes_followup", 0),
                    s.work.get("vaccination_check", 0), s.work.get("education_activity", 0),
                    s.work.get("elderly_health_check", 0), sum(s.findings.values()),
                    sum(s.dismissed.values()), s.denied,
                    s.workload_points, s.deduction_points, s.net_points, round(s.share, 4)])
    return out
