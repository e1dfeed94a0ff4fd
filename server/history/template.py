"""The import template: which sheet holds which kind, and what each Chinese column means.

Column names follow the national basic public health system's export (个人基本信息表,
随访服务记录表, 健康体检表, 预防接种). A cell is turned into the value the API takes, or a
`CellError` with the reason in Chinese; the API's schemas then check the whole row
(docs/history-import.md lists every column).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CST = dt.timezone(dt.timedelta(hours=8))


class CellError(ValueError):
    """A cell that cannot be read as its column's kind of value (message in Chinese)."""


def text(value: Any) -> str | None:
    """A cell as trimmed text; empty is None (a number read by Excel loses its '.0')."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None


def date(value: Any) -> str | None:
    """2025-03-01, 2025/3/1, 2025.3.1, 20250301, 2025年3月1日 or an Excel date → ISO."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    s = text(value)
    if s is None:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?", s) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
    try:
        return dt.date(*map(int, m.groups())).isoformat() if m else _bad_date(s)
    except ValueError:
        raise CellError("日期无效") from None


def _bad_date(_: str) -> str:
    raise CellError("日期格式应为 2025-03-01")


def moment(value: Any) -> str | None:
    """An entry time, China time unless it says otherwise → ISO with offset."""
    if isinstance(value, dt.datetime):
        found = value
    else:
        s = text(value)
        if s is None:
            return None
        m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?",
                         s)
        if not m:
            raise CellError("录入时间格式应为 2025-03-01 14:30")
        try:
            found = dt.datetime(*(int(g or 0) for g in m.groups()))
        except ValueError:
            raise CellError("录入时间无效") from None
    return (found if found.tzinfo else found.replace(tzinfo=CST)).isoformat()


def integer(value: Any) -> int | None:
    """A whole number (Excel's 120.0 is 120)."""
    s = text(value)
    if s is None:
        return None
    try:
        number = float(s)
    except ValueError:
        raise CellError("应为整数") from None
    if not number.is_integer():
        raise CellError("应为整数")
    return int(number)


def number(value: Any) -> float | None:
    """A decimal number."""
    s = text(value)
    if s is None:
        return None
    try:
        return float(s)
    except ValueError:
        raise CellError("应为数字") from None


def words(mapping: dict[str, Any]) -> Callable[[Any], Any]:
    """A choice written in Chinese (or as the API's own value)."""
    allowed = set(mapping.values())

    def read(value: Any) -> Any:
        s = text(value)
        if s is None:
            return None
        if s in mapping:
            return mapping[s]
        if s in allowed:
            return s
        raise CellError("应为：" + "、".join(mapping))
    return read


def items(value: Any) -> list[str] | None:
    """A list written in one cell, separated by 、 ， , ； or ;."""
    s = text(value)
    return [p.strip() for p in re.split(r"[、，,；;]", s) if p.strip()] if s else None


YES_NO = words({"是": True, "否": False, "有": True, "无": False})
SEX = words({"男": "male", "女": "female", "未知": "unknown", "未说明": "unknown"})
MODE = words({"门诊": "clinic", "家庭": "home", "入户": "home", "电话": "phone"})


@dataclass(frozen=True)
class Column:
    """One column: the field it fills and how a cell becomes its value."""

    field: str
    read: Callable[[Any], Any] = text
    required: bool = False


# Columns that name the resident a record is about (the ID number, else name + birth
# date + village) and who made it; every record sheet has them.
WHO = {"身份证号": Column("national_id"), "姓名": Column("name"),
       "出生日期": Column("birth_date", date), "村": Column("village")}
RECORD = {**WHO, "录入时间": Column("entered_at", moment), "医生": Column("doctor")}

HOUSEHOLD = {
    "户编号": Column("household_no", required=True), "村": Column("village", required=True),
    "户主姓名": Column("head_name"), "组": Column("group_no"), "门牌号": Column("house_no"),
    "家庭住址": Column("address"), "联系电话": Column("phone"),
    "低保户": Column("low_income", YES_NO), "责任医生": Column("doctor"),
}
RESIDENT = {
    "身份证号": Column("national_id"), "姓名": Column("name", required=True),
    "性别": Column("sex", SEX, required=True),
    "出生日期": Column("birth_date", date, required=True), "村": Column("village", required=True),
    "户编号": Column("household_no"), "与户主关系": Column("relationship_to_head"),
    "本人电话": Column("phone"), "联系人姓名": Column("contact_name"),
    "联系人电话": Column("contact_phone"),
    "户籍类型": Column("residence_type", words({"户籍": "registered", "非户籍": "non_registered"})),
    "是否常住": Column("permanent", YES_NO), "民族": Column("ethnicity"),
    "建档日期": Column("record_created_on", date),
    "档案状态": Column("status", words({"在册": "active", "正常": "active", "迁出": "moved_out",
                                      "死亡": "deceased", "失访": "lost"})),
    "迁入日期": Column("moved_in_on", date), "迁出日期": Column("moved_out_on", date),
    "死亡日期": Column("died_on", date), "签约日期": Column("contract_signed_on", date),
    "签约团队": Column("contract_team"),
}
CONDITION = {
    **WHO,
    "疾病": Column("condition", words({"高血压": "hypertension", "糖尿病": "diabetes",
                                       "2型糖尿病": "diabetes", "严重精神障碍": "mental_disorder",
                                       "肺结核": "tuberculosis"}), required=True),
    "确诊日期": Column("diagnosed_on", date),
    "纳入管理日期": Column("managed_since", date, required=True),
    "结束管理日期": Column("ended_on", date),
}
_FOLLOW_UP = {
    **RECORD, "随访日期": Column("service_date", date, required=True),
    "随访方式": Column("mode", MODE, required=True),
    "收缩压": Column("sbp", integer), "舒张压": Column("dbp", integer),
    "体重": Column("weight_kg", number), "心率": Column("heart_rate", integer),
    "日吸烟量": Column("cigarettes_per_day", integer), "日饮酒量": Column("drinks_per_day", number),
    "服药依从性": Column("medication_adherence", words(
        {"规律": "regular", "间断": "intermittent", "不服药": "none"})),
    "此次随访分类": Column("classification", words(
        {"控制满意": "controlled", "控制不满意": "uncontrolled", "不良反应": "adverse_reaction",
         "并发症": "complication"})),
    "下次随访日期": Column("next_visit_date", date),
}
HYPERTENSION = _FOLLOW_UP
DIABETES = {**_FOLLOW_UP, "空腹血糖": Column("fasting_glucose", number),
            "糖化血红蛋白": Column("hba1c", number)}
ELDERLY = {
    **RECORD, "体检日期": Column("service_date", date, required=True),
    "左侧收缩压": Column("sbp_left", integer), "左侧舒张压": Column("dbp_left", integer),
    "右侧收缩压": Column("sbp_right", integer), "右侧舒张压": Column("dbp_right", integer),
    "身高": Column("height_cm", number), "体重": Column("weight_kg", number),
    "腰围": Column("waist_cm", number), "体质指数": Column("bmi", number),
    "空腹血糖": Column("fasting_glucose", number),
    "健康评价": Column("health_assessment", words({"体检无异常": "normal", "无异常": "normal",
                                                   "有异常": "abnormal"})),
    "健康指导": Column("guidance", items),
}
VACCINATION = {
    **RECORD, "疫苗": Column("vaccine", required=True),
    "剂次": Column("dose_no", integer, required=True),
    "接种日期": Column("date", date, required=True), "接种单位": Column("unit"),
    "疫苗批号": Column("lot"), "接种部位": Column("site"),
    "接种证": Column("certificate_present", YES_NO),
}


@dataclass(frozen=True)
class Kind:
    """One kind of sheet: its name, the words that recognise it, its columns."""

    key: str
    name: str
    aliases: tuple[str, ...]
    columns: dict[str, Column]
    record_kind: str | None = None


# In import order: a resident's household first, a record's resident before it. A sheet
# or file is recognised by the first kind one of whose words its name contains.
KINDS = (
    Kind("household", "家庭", ("家庭", "户"), HOUSEHOLD),
    Kind("resident", "居民", ("居民", "个人基本信息", "人口"), RESIDENT),
    Kind("condition", "慢病管理", ("慢病", "疾病"), CONDITION),
    Kind("hypertension", "高血压随访", ("高血压",), HYPERTENSION, "hypertension_followup"),
    Kind("diabetes", "糖尿病随访", ("糖尿病",), DIABETES, "diabetes_followup"),
    Kind("elderly", "老年人体检", ("老年人", "体检"), ELDERLY, "elderly_health_check"),
    Kind("vaccination", "预防接种", ("接种", "疫苗"), VACCINATION, "vaccination_check"),
)
# Records' words first: a file named 高血压患者名单 is follow-ups, not the register.
_MATCH_ORDER = [k for k in KINDS if k.record_kind] + [k for k in KINDS if not k.record_kind][::-1]


def kind_of(name: str) -> Kind | None:
    """The kind a sheet or file name says it holds, or None."""
    for kind in _MATCH_ORDER:
        if any(word in name for word in kind.aliases):
            return kind
    return None
