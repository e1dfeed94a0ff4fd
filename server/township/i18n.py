"""The township pages' words, Chinese by default, English when asked (?lang=en or cookie)."""
from __future__ import annotations

LANGS = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("乡村一体化管理", "Integrated village-clinic management"),
    "overview": ("总览", "Overview"),
    "trends": ("月度趋势", "Trends"),
    "villages": ("各村对比", "Villages"),
    "doctors": ("村医工作量", "Doctors"),
    "quality": ("质量核查", "Quality"),
    "assessment": ("绩效考核", "Assessment"),
    "periods": ("统计期", "Periods"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "period": ("统计期", "Period"),
    "year": ("年", "Year"),
    "quarter": ("季度", "Quarter"),
    "month": ("月", "Month"),
    "show": ("查看", "Show"),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "target": ("目标", "Target"),
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "rising": ("同比上升", "rising year on year"),
    "no_target": ("无目标", "no target"),
    "not_supported": ("暂不支持", "not supported yet"),
    "not_computed": ("本期尚未计算。管理员可点击“立即重新计算”。",
                     "Not computed yet. An admin can recompute now."),
    "frozen": ("已结账(数据冻结)", "closed (frozen)"),
    "open": ("未结账(每晚更新)", "open (updated nightly)"),
    "late_records": ("结账后补录记录", "records stored after closing"),
    "late_note": ("这些记录不计入已结账期的数字", "not counted in the closed period"),
    "as_of": ("数据截至", "data as of"),
    "recompute": ("立即重新计算", "Recompute now"),
    "close_period": ("结账(冻结)", "Close (freeze)"),
    "export": ("导出", "Export"),
    "drill": ("明细", "Details"),
    "counted": ("已计入", "counted"),
    "missing": ("未计入", "missing"),
    "missing_only": ("只看未计入", "missing only"),
    "reason": ("原因", "Reason"),
    "name": ("姓名", "Name"),
    "birth": ("出生日期", "Born"),
    "id_number": ("身份证号", "ID number"),
    "phone": ("电话", "Phone"),
    "village": ("村", "Village"),
    "doctor": ("医生", "Doctor"),
    "total": ("合计", "Total"),
    "count": ("数量", "Count"),
    "records": ("条记录", "records"),
    "by_phone": ("其中电话随访", "by phone"),
    "findings": ("质量问题", "Findings"),
    "overdue": ("逾期未随访", "Overdue follow-ups"),
    "verification": ("电话抽查", "Verification calls"),
    "draw_sample": ("抽取样本", "Draw a sample"),
    "sample_size": ("样本量", "Sample size"),
    "outcome": ("结果", "Outcome"),
    "confirmed": ("属实", "confirmed"),
    "denied": ("否认", "denied"),
    "unreachable": ("未接通", "unreachable"),
    "save": ("保存", "Save"),
    "note": ("备注", "Note"),
    "service_date": ("服务日期", "Service date"),
    "stored_at": ("录入时间", "Stored at"),
    "detail": ("详情", "Detail"),
    "rules": ("考核分值设置", "Points"),
    "workload_points": ("工作量分", "Workload points"),
    "deductions": ("扣分", "Deductions"),
    "net_points": ("净得分", "Net points"),
    "share": ("补助分配比例", "Subsidy share"),
    "last_year": ("上年同期", "last year"),
    "this_year": ("本年", "this year"),
    "cumulative_note": ("按年累计至各月末", "year to date at each month's end"),
    "checks_run": ("核查时间", "checked at"),
    "forbidden": ("无权访问:仅乡镇卫生院工作人员可查看。", "Township staff only."),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "done": ("已完成", "Done"),
    "condition": ("病种", "Condition"),
    "last_visit": ("末次随访", "Last visit"),
    "due_on": ("应随访日期", "Due on"),
    "none": ("无", "none"),
}

LABELS: dict[str, tuple[str, str]] = {
    # reasons a unit is missing from a numerator
    "no_record": ("未建档", "no record"),
    "no_e_record": ("无电子档案编号", "no e-record number"),
    "no_service_12m": ("12个月无服务(死档)", "no service in 12 months"),
    "never_followed": ("从未随访", "never followed up"),
    "too_few": ("随访次数不足", "too few follow-ups"),
    "no_reading": ("无测量值", "no reading"),
    "uncontrolled": ("末次随访未控制", "uncontrolled at the last visit"),
    "never_checked": ("本年未体检", "not checked this year"),
    "incomplete": ("体检缺评估或指导", "check lacks assessment/guidance"),
    "dose_missing": ("未接种", "dose missing"),
    "late_dose": ("未及时接种", "given late"),
    "no_certificate": ("无接种证", "no certificate"),
    "not_reached": ("未参加健康教育", "not reached"),
    "no_contract": ("未签约或已过期", "no valid contract"),
    "not_visited": ("本期未走访", "not visited"),
    "never": ("一年内从未随访", "no follow-up in a year"),
    "overdue": ("逾期", "overdue"),
    # quality checks
    "duplicate_id": ("身份证号重复", "duplicate ID number"),
    "duplicate_name_birth": ("同村同名同生日", "same name and birth date in a village"),
    "provisional_match": ("临时身份与正式档案相符", "provisional identity matches a record"),
    "implausible_value": ("不合理数值或日期", "implausible value or date"),
    "after_death_or_move": ("死亡或迁出后仍有服务", "service after death or move-out"),
    "late_entry": ("服务后很久才录入", "entered long after the service"),
    "identical_readings": ("多次随访血压完全相同", "identical BP readings repeated"),
    "burst": ("短时间内集中录入随访", "burst of follow-ups within minutes"),
    "dead_record": ("死档(12个月无服务)", "dead record (no service in 12 months)"),
    # conditions and record kinds
    "hypertension": ("高血压", "hypertension"),
    "diabetes": ("糖尿病", "diabetes"),
    "household_visit": ("入户随访", "household visits"),
    "hypertension_followup": ("高血压随访", "HTN follow-ups"),
    "diabetes_followup": ("糖尿病随访", "DM follow-ups"),
    "vaccination_check": ("接种核查", "vaccination checks"),
    "education_activity": ("健康教育", "education"),
    "elderly_health_check": ("老年人体检", "65+ checks"),
    "work:followup_phone": ("电话随访(每次)", "phone follow-up (each)"),
    "deduct:verification_denied": ("抽查否认(每次)", "denied in verification (each)"),
}


def word(key: str, lang: str) -> str:
    """A UI word in `lang`; the key itself if unknown (visible, never a crash)."""
    pair = WORDS.get(key) or LABELS.get(key)
    if pair is None:
        if ":" in key:  # "work:kind" and "deduct:check" rules
            prefix, _, name = key.partition(":")
            inner = LABELS.get(name)
            if inner:
                return ("扣分:" if prefix == "deduct" and lang == "zh" else
                        "deduct: " if prefix == "deduct" else "") + inner[LANGS.index(lang)]
        return key
    return pair[LANGS.index(lang)]


def indicator_name(ind, lang: str) -> str:
    """An indicator's name in `lang`."""
    return ind.name_zh if lang == "zh" else ind.name_en
