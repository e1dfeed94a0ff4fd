"""The one place that knows the indicator definitions (国家基本公共卫生服务规范, 3rd ed. 2017).

Each indicator says what it counts, over which window, which settings it reads and the
national default target. Townships override targets with Target rows and the rules
with Setting rows; this module holds the national defaults both fall back to. The SQL
that computes each one lives in server.metrics.compute, keyed by `Indicator.key`.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Setting, Target
from server.metrics import keys as K

EDITION = "2017-3"  # specification edition these definitions follow

# Window: "ytd" = from 1 January to the period's end (the annual rules, pro-rated for a
# month or quarter); "period" = the period itself (counts of activities).
YTD, PERIOD = "ytd", "period"


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it counts and what it is judged against by default."""

    key: str
    name_zh: str
    name_en: str
    numerator_zh: str
    denominator_zh: str
    window: str = YTD
    unit: str = "rate"  # rate, or count (no denominator)
    target_kind: str | None = None  # min_rate, max_rate, min_count, rising
    target_value: float | None = None
    settings: tuple[str, ...] = ()  # Setting keys it reads
    supported: bool = True  # False: the recorded data cannot support it yet
    group: str = "records"


INDICATORS: tuple[Indicator, ...] = (
    Indicator(K.RECORD_COVERAGE, "健康档案建档率", "Health-record coverage",
              "已建档常住居民", "常住居民", target_kind="min_rate", target_value=0.80,
              settings=("permanent_population",)),
    Indicator(K.E_RECORD_COVERAGE, "电子健康档案建档率", "Electronic-record coverage",
              "有17位编号电子档案的常住居民", "常住居民", target_kind="min_rate",
              target_value=0.80, settings=("permanent_population",)),
    Indicator(K.RECORD_USE, "健康档案使用率", "Record use rate",
              "近12个月有服务记录的档案", "已建档常住居民", target_kind="min_rate",
              target_value=0.75),
    Indicator(K.HTN_STANDARD, "高血压患者规范管理率", "Hypertension standard management",
              "按规定次数随访的高血压患者", "管理的高血压患者", target_kind="min_rate",
              target_value=0.60, settings=("followup_counted_modes", "followups_required"),
              group="chronic"),
    Indicator(K.HTN_CONTROL, "管理人群血压控制率", "BP control rate",
              "最近一次随访血压达标者(65岁及以上<150/90)", "管理的高血压患者",
              target_kind="rising", settings=("age_thresholds",), group="chronic"),
    Indicator(K.HTN_CONTROL_140, "管理人群血压控制率(<140/90)", "BP control rate (<140/90)",
              "最近一次随访血压<140/90者", "管理的高血压患者", target_kind="rising",
              group="chronic"),
    Indicator(K.DM_STANDARD, "2型糖尿病患者规范管理率", "Diabetes standard management",
              "按规定次数随访的糖尿病患者", "管理的糖尿病患者", target_kind="min_rate",
              target_value=0.60, settings=("followup_counted_modes", "followups_required"),
              group="chronic"),
    Indicator(K.DM_CONTROL, "管理人群血糖控制率", "Glucose control rate",
              "最近一次空腹血糖<7.0mmol/L者", "管理的糖尿病患者", target_kind="rising",
              group="chronic"),
    Indicator(K.ELDERLY_MGMT, "老年人健康管理率", "65+ health management",
              "本年体检并有评估和指导的老年人", "65岁及以上常住居民", target_kind="min_rate",
              target_value=0.67, settings=("age_thresholds",), group="elderly"),
    # Vaccination counts the doses due in the period itself (docs/indicators.md).
    Indicator(K.VACC_COVERAGE, "适龄儿童免疫规划疫苗接种率", "Vaccination coverage",
              "已接种剂次", "期内应种剂次(按免疫程序)", window=PERIOD, target_kind="min_rate",
              target_value=0.90, group="children"),
    Indicator(K.VACC_TIMELY, "及时接种率", "Timely vaccination", "在推荐时限内接种的剂次",
              "期内应种剂次(按免疫程序)", window=PERIOD, target_kind="rising",
              group="children"),
    Indicator(K.VACC_CERTIFICATE, "预防接种建证率", "Vaccination certificate rate",
              "有接种证的0-6岁儿童", "0-6岁常住儿童", target_kind="min_rate", target_value=1.0,
              group="children"),
    Indicator(K.EDU_LECTURES, "健康知识讲座", "Health-education lectures", "讲座次数", "",
              window=PERIOD, unit="count", target_kind="min_count", target_value=6,
              group="education"),
    Indicator(K.EDU_BOARDS, "宣传栏更新", "Bulletin-board updates", "更新次数", "",
              window=PERIOD, unit="count", target_kind="min_count", target_value=6,
              group="education"),
    Indicator(K.EDU_CONSULTATIONS, "公众健康咨询", "Public consultations", "咨询活动次数", "",
              window=PERIOD, unit="count", target_kind="min_count", target_value=9,
              group="education"),
    Indicator(K.EDU_AV, "播放音像资料", "Audio-visual playback", "播放次数", "",
              window=PERIOD, unit="count", group="education"),
    Indicator(K.EDU_PRINTED, "发放印刷资料", "Printed materials", "发放次数", "",
              window=PERIOD, unit="count", group="education"),
    *(Indicator(K.attendance(t), f"{zh}参加人次", f"Attendance: {en}", "参加人次", "",
                window=PERIOD, unit="count", group="education")
      for t, zh, en in (("lecture", "讲座", "lectures"), ("consultation", "咨询", "consultations"),
                        ("bulletin_board", "宣传栏", "bulletin boards"),
                        ("audio_visual", "音像播放", "audio-visual"),
                        ("printed_materials", "印刷资料", "printed materials"),
                        ("individual", "个体化教育", "individual education"))),
    Indicator(K.EDU_REACH, "健康教育覆盖率", "Education reach",
              "参加活动(签到)的常住居民", "常住居民", target_kind="min_rate",
              target_value=0.30, group="education"),
    Indicator(K.CONTRACT_RATE, "家庭医生签约率", "Family-doctor contract rate",
              "有效签约(一年内)的常住居民", "常住居民", target_kind="rising"),
    Indicator(K.HOUSEHOLD_VISITS, "入户走访覆盖率", "Household-visit coverage",
              "期内走访过的户", "期内有常住成员的户", window=PERIOD, target_kind="rising"),
    Indicator(K.FIRST_VISIT_BP, "35岁以上首诊测血压率", "First-visit BP for 35+",
              "测血压的首诊", "35岁以上首诊", supported=False, target_kind="min_rate",
              target_value=0.90),
    Indicator(K.SMD_STANDARD, "严重精神障碍患者规范管理率",
              "Severe mental disorder standard management", "规范管理的患者", "登记在册患者",
              supported=False),
    Indicator(K.REPORT_TIMELINESS, "传染病报告及时率", "Infectious-disease report timeliness",
              "及时报告的病例", "报告病例", supported=False, target_kind="min_rate",
              target_value=1.0),
)
BY_KEY = {i.key: i for i in INDICATORS}
SUPPORTED = tuple(i for i in INDICATORS if i.supported)

# Why unsupported ones stay listed: the overview shows them greyed with the reason, so
# nobody thinks a missing figure was forgotten.
UNSUPPORTED_REASON_ZH = "本系统尚无门诊、精神障碍随访或传染病报告卡记录,暂不能计算"

# Workload counted for the doctor's view and the assessment: records of each kind.
WORK_KINDS = ("household_visit", "hypertension_followup", "diabetes_followup",
              "vaccination_check", "education_activity", "elderly_health_check")

# National defaults for the Setting keys the indicators read.
DEFAULT_SETTINGS: dict[str, dict] = {
    # Phone calls do not count as a follow-up under the national rule; plans may add them.
    "followup_counted_modes": {"modes": ["clinic", "home"]},
    "followups_required": {"hypertension": 4, "diabetes": 4},
    "age_thresholds": {"elderly": 65, "bp_relaxed": 65, "bp_first_visit": 35, "child_max": 6},
    # 常住人口 per village id from the statistics office; without it the register counts.
    "permanent_population": {},
    # A period closes this many days after it ends; later records are "late".
    "period_close_days": {"days": 10},
    "quality": {"late_entry_days": 30, "burst_count": 10, "burst_minutes": 30,
                "identical_readings": 4, "dead_record_days": 365},
    # How many residents a verification draw (电话抽查) offers by default.
    "verification": {"sample_size": 20},
}

# Default points of the assessment (docs/adr/0024-assessment-points.md).
DEFAULT_RULES: dict[str, float] = {
    "work:household_visit": 1.0,
    "work:hypertension_followup": 2.0,
    "work:diabetes_followup": 2.0,
    "work:followup_phone": 0.5,  # a phone follow-up, whichever condition
    "work:vaccination_check": 1.0,
    "work:education_activity": 3.0,
    "work:elderly_health_check": 5.0,
    "deduct:implausible_value": 2.0,
    "deduct:after_death_or_move": 5.0,
    "deduct:late_entry": 0.5,
    "deduct:identical_readings": 3.0,
    "deduct:burst": 1.0,
    "deduct:verification_denied": 10.0,
}


def settings_for(session: Session, township_id: int) -> dict[str, dict]:
    """The township's settings over the national defaults (one level of keys merged)."""
    out = {k: dict(v) for k, v in DEFAULT_SETTINGS.items()}
    rows = session.scalars(select(Setting).where(Setting.township_id == township_id))
    for row in rows:
        out[row.key] = {**out.get(row.key, {}), **(row.value or {})}
    return out


@dataclass(frozen=True)
class TargetRule:
    """What a figure is judged against: kind and value (None for "rising")."""

    kind: str
    value: float | None
    source: str  # village, township or national


def targets_for(session: Session, township_id: int, year: int) -> dict:
    """{(indicator, village_id or None): TargetRule} from the Target rows of `year`."""
    rows = session.scalars(select(Target).where(Target.township_id == township_id,
                                                Target.year == year))
    return {(t.indicator, t.village_id): TargetRule(t.kind, t.value,
                                                   "village" if t.village_id else "township")
            for t in rows}


def target_of(targets: dict, indicator: str, village_id: int | None = None) -> TargetRule | None:
    """The village's own target, else the township's, else the national default."""
    for key in ((indicator, village_id), (indicator, None)):
        if key in targets:
            return targets[key]
    ind = BY_KEY[indicator]
    return TargetRule(ind.target_kind, ind.target_value, "national") if ind.target_kind else None


# --- periods ------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$")


@dataclass(frozen=True)
class Period:
    """A calendar year, quarter or month, named "2026", "2026-Q3" or "2026-07"."""

    key: str
    kind: str  # year, quarter, month
    start: dt.date
    end: dt.date

    @property
    def year(self) -> int:
        """The calendar year the period falls in."""
        return self.start.year

    @property
    def months(self) -> int:
        """How many months from 1 January to the period's end."""
        return self.end.month

    def previous_year(self) -> Period:
        """The same period a year earlier (for "rising year on year")."""
        return parse_period(str(self.year - 1) + self.key[4:])


def parse_period(key: str) -> Period:
    """Parse "2026", "2026-Q3" or "2026-07"; raise ValueError otherwise."""
    m = _PERIOD.match(key or "")
    if not m:
        raise ValueError(f"bad period {key!r}")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return Period(key, "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    if part.startswith("Q"):
        q = int(part[1])
        first = 3 * q - 2
        last = dt.date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
        return Period(key, "quarter", dt.date(year, first, 1), last)
    month = int(part)
    if not 1 <= month <= 12:
        raise ValueError(f"bad period {key!r}")
    return Period(key, "month", dt.date(year, month, 1),
                  dt.date(year, month, calendar.monthrange(year, month)[1]))


def periods_of_year(year: int) -> list[Period]:
    """The year, its four quarters and its twelve months."""
    keys = [str(year)] + [f"{year}-Q{q}" for q in range(1, 5)] + \
        [f"{year}-{m:02d}" for m in range(1, 13)]
    return [parse_period(k) for k in keys]


def period_containing(day: dt.date, kind: str) -> Period:
    """The year, quarter or month that contains `day`."""
    if kind == "year":
        return parse_period(str(day.year))
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"{day.year}-{day.month:02d}")


def years_before(day: dt.date, years: int) -> dt.date:
    """The date `years` whole years before `day` (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
