"""Schemas for field records: one envelope, one schema per kind.

Ranges follow DOMAIN.md's plausibility checks: SBP 60–300, DBP 30–200 and below SBP,
fasting glucose 1–35 mmol/L, BMI 10–60. Urgent-referral values (SBP ≥ 180, DBP ≥ 110,
glucose ≥ 16.7 or ≤ 3.9) are valid data, not errors; the phone flags them as typed.
"""
from __future__ import annotations

from marshmallow import ValidationError, validates_schema

from core.models.records import MODES
from server.schemas.base import (
    ApiSchema,
    Bool,
    Choice,
    Date,
    DateTime,
    Dict,
    Int,
    List,
    Nested,
    Num,
    Str,
    Uuid,
    UuidText,
    validate_not_future,
    validate_plausible_past,
)
from server.schemas.fast import loader

LEVELS = ("good", "fair", "poor")
SALT = ("light", "moderate", "heavy")
ADHERENCE = ("regular", "intermittent", "none")
CLASSIFICATIONS = ("controlled", "uncontrolled", "adverse_reaction", "complication")
EDUCATION_TYPES = ("lecture", "consultation", "bulletin_board", "audio_visual",
                   "printed_materials", "individual")


class RecordSchema(ApiSchema):
    """The envelope every record shares. The doctor comes from the login, not the body."""

    id = Uuid(required=True)
    kind = Str(max_len=40, required=True)
    resident_id = Uuid(allow_none=True)
    household_id = Uuid(allow_none=True)
    village_id = Int(lo=1, allow_none=True)
    doctor_id = Int(lo=1, allow_none=True)
    service_date = Date(required=True, validate=[validate_not_future, validate_plausible_past])
    mode = Choice(MODES, required=True)
    notes = Str(max_len=2000, allow_none=True)
    evidence = Dict(allow_none=True)
    device_created_at = DateTime(allow_none=True)

    # Which of resident / household / village the record is about.
    subject = "resident_id"

    @validates_schema
    def _subject_present(self, data: dict, **kwargs) -> None:
        if not data.get(self.subject):
            raise ValidationError({self.subject: ["required|必填项"]})


class Medication(ApiSchema):
    """One drug on a follow-up form."""

    drug = Str(max_len=100, min_len=1, required=True)
    dose = Str(max_len=50, allow_none=True)
    frequency = Str(max_len=50, allow_none=True)


def _check_bp(data: dict, sbp_key: str, dbp_key: str, errors: dict) -> None:
    sbp, dbp = data.get(sbp_key), data.get(dbp_key)
    if sbp is not None and dbp is not None and dbp >= sbp:
        errors.setdefault(dbp_key, []).append("dbp_not_below_sbp|舒张压应低于收缩压")


class ChronicFollowUpSchema(RecordSchema):
    """Fields of both chronic-disease follow-up forms."""

    symptoms = List(Str(max_len=50), max_items=20, allow_none=True)
    sbp = Int(lo=60, hi=300, allow_none=True)
    dbp = Int(lo=30, hi=200, allow_none=True)
    weight_kg = Num(lo=2, hi=300, allow_none=True)
    target_weight_kg = Num(lo=2, hi=300, allow_none=True)
    bmi = Num(lo=10, hi=60, allow_none=True)
    target_bmi = Num(lo=10, hi=60, allow_none=True)
    heart_rate = Int(lo=20, hi=250, allow_none=True)
    cigarettes_per_day = Int(lo=0, hi=100, allow_none=True)
    drinks_per_day = Num(lo=0, hi=50, allow_none=True)
    exercise_times_per_week = Int(lo=0, hi=21, allow_none=True)
    exercise_minutes = Int(lo=0, hi=600, allow_none=True)
    salt_intake = Choice(SALT, allow_none=True)
    mood_adjustment = Choice(LEVELS, allow_none=True)
    compliance = Choice(LEVELS, allow_none=True)
    medication_adherence = Choice(ADHERENCE, allow_none=True)
    adverse_reactions = Str(max_len=500, allow_none=True)
    classification = Choice(CLASSIFICATIONS, allow_none=True)
    medications = List(Nested(Medication), max_items=20, allow_none=True)
    referral_reason = Str(max_len=500, allow_none=True)
    referral_to = Str(max_len=100, allow_none=True)
    next_visit_date = Date(allow_none=True)

    @validates_schema
    def _bp(self, data: dict, **kwargs) -> None:
        errors: dict = {}
        _check_bp(data, "sbp", "dbp", errors)
        nxt, done = data.get("next_visit_date"), data.get("service_date")
        if nxt and done and nxt < done:
            errors["next_visit_date"] = ["before_service|下次随访日期不能早于本次随访日期"]
        if errors:
            raise ValidationError(errors)


def _measured_unless_phone(data: dict, keys: tuple[str, ...]) -> None:
    """A follow-up in person measures; one by phone may not have the figures."""
    if data.get("mode") == "phone":
        return
    missing = {k: ["required|当面随访须填写此项（电话随访可不填）"] for k in keys
               if data.get(k) is None}
    if missing:
        raise ValidationError(missing)


class HypertensionFollowUpSchema(ChronicFollowUpSchema):
    """高血压患者随访: blood pressure is required unless the follow-up was by phone."""

    @validates_schema
    def _bp_measured(self, data: dict, **kwargs) -> None:
        _measured_unless_phone(data, ("sbp", "dbp"))


class DiabetesFollowUpSchema(ChronicFollowUpSchema):
    """2型糖尿病患者随访: fasting glucose is required unless the follow-up was by phone."""

    @validates_schema
    def _glucose_measured(self, data: dict, **kwargs) -> None:
        _measured_unless_phone(data, ("fasting_glucose",))

    # 足背动脉搏动: 触及 / 减弱 / 消失 (the national form)
    dorsal_foot_pulse = Choice(("palpable", "weakened", "absent"), allow_none=True)
    fasting_glucose = Num(lo=1, hi=35, allow_none=True)
    hba1c = Num(lo=3, hi=20, allow_none=True)
    staple_food_g = Int(lo=0, hi=2000, allow_none=True)
    hypoglycaemia = Choice(("none", "occasional", "frequent"), allow_none=True)
    insulin = Str(max_len=100, allow_none=True)


class Dose(ApiSchema):
    """A vaccine dose due, given or missed."""

    vaccine = Str(max_len=20, min_len=1, required=True)
    dose_no = Int(lo=1, hi=10, required=True)
    date = Date(allow_none=True, validate=[validate_not_future])
    lot = Str(max_len=40, allow_none=True)
    site = Str(max_len=40, allow_none=True)
    unit = Str(max_len=100, allow_none=True)
    reason = Str(max_len=200, allow_none=True)


class VaccinationCheckSchema(RecordSchema):
    """预防接种核查 of one child."""

    card_sighted = Bool()
    certificate_present = Bool()
    doses_due = List(Nested(Dose), max_items=40, allow_none=True)
    doses_given = List(Nested(Dose), max_items=40, allow_none=True)
    missed_doses = List(Nested(Dose), max_items=40, allow_none=True)
    guardian_notified = Bool()
    notified_via = Choice(("phone", "home_visit", "in_person", "message", "notice"),
                          allow_none=True)
    notified_on = Date(allow_none=True, validate=[validate_not_future])
    notification_outcome = Str(max_len=100, allow_none=True)
    catch_up_result = Str(max_len=100, allow_none=True)
    found_by_active_search = Bool()
    school_entry_checked = Bool()


class Material(ApiSchema):
    """Printed or other materials handed out at an education activity."""

    kind = Str(max_len=50, min_len=1, required=True)
    quantity = Int(lo=0, hi=100000, required=True)


class EducationActivitySchema(RecordSchema):
    """健康教育活动, recorded against a village rather than a resident."""

    subject = "village_id"
    activity_type = Choice(EDUCATION_TYPES, required=True)
    place = Str(max_len=100, min_len=1, required=True)
    topic = Str(max_len=200, min_len=1, required=True)
    presenter = Str(max_len=50, allow_none=True)
    audience_type = Str(max_len=50, allow_none=True)
    audience_count = Int(lo=0, hi=100000)
    attendee_ids = List(UuidText(), max_items=2000, allow_none=True)
    materials = List(Nested(Material), max_items=20, allow_none=True)
    board_id = Str(max_len=50, allow_none=True)


class ElderlyHealthCheckSchema(RecordSchema):
    """老年人健康体检."""

    symptoms = List(Str(max_len=50), max_items=30, allow_none=True)
    temperature_c = Num(lo=34, hi=43, allow_none=True)
    pulse = Int(lo=20, hi=250, allow_none=True)
    respiration = Int(lo=5, hi=80, allow_none=True)
    sbp_left = Int(lo=60, hi=300, allow_none=True)
    dbp_left = Int(lo=30, hi=200, allow_none=True)
    sbp_right = Int(lo=60, hi=300, allow_none=True)
    dbp_right = Int(lo=30, hi=200, allow_none=True)
    height_cm = Num(lo=80, hi=230, allow_none=True)
    weight_kg = Num(lo=15, hi=300, allow_none=True)
    waist_cm = Num(lo=30, hi=200, allow_none=True)
    bmi = Num(lo=10, hi=60, allow_none=True)
    # 满意 / 基本满意 / 说不清楚 / 不太满意 / 不满意 (the national form's five levels)
    self_rated_health = Choice(("satisfied", "fairly_satisfied", "unsure",
                                "fairly_unsatisfied", "unsatisfied"), allow_none=True)
    self_care_score = Int(lo=0, hi=30, allow_none=True)
    cognition_screen = Choice(("negative", "positive"), allow_none=True)
    mood_screen = Choice(("negative", "positive"), allow_none=True)
    lifestyle = Dict(allow_none=True)
    organ_function = Dict(allow_none=True)
    tests = Dict(allow_none=True)
    fasting_glucose = Num(lo=1, hi=35, allow_none=True)
    problems_found = Str(max_len=2000, allow_none=True)
    health_assessment = Choice(("normal", "abnormal"), allow_none=True)
    guidance = List(Str(max_len=100), max_items=20, allow_none=True)

    @validates_schema
    def _bp(self, data: dict, **kwargs) -> None:
        errors: dict = {}
        _check_bp(data, "sbp_left", "dbp_left", errors)
        _check_bp(data, "sbp_right", "dbp_right", errors)
        if errors:
            raise ValidationError(errors)


class HouseholdVisitSchema(RecordSchema):
    """入户随访 of a household."""

    subject = "household_id"
    members_seen = List(UuidText(), max_items=30, allow_none=True)
    services_done = List(Str(max_len=50), max_items=30, allow_none=True)
    problems_found = Str(max_len=2000, allow_none=True)
    next_visit_date = Date(allow_none=True)


SCHEMAS: dict[str, type[RecordSchema]] = {
    "household_visit": HouseholdVisitSchema,
    "hypertension_followup": HypertensionFollowUpSchema,
    "diabetes_followup": DiabetesFollowUpSchema,
    "vaccination_check": VaccinationCheckSchema,
    "education_activity": EducationActivitySchema,
    "elderly_health_check": ElderlyHealthCheckSchema,
}
_INSTANCES = {kind: cls() for kind, cls in SCHEMAS.items()}
_LOADERS = {kind: loader(schema) for kind, schema in _INSTANCES.items()}


def load_record(data: object) -> dict:
    """Validate a record body of any kind; raise ValidationError keyed by field."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["type|数据格式应为对象"]})
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _INSTANCES:
        raise ValidationError({"kind": ["choice|记录类型无效"]})
    return _LOADERS[kind](data)
