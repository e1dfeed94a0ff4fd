"""Field records: what a village doctor records, one table per kind under a common envelope.

Every kind shares `service_records` (the envelope: who, where, when, how) and adds its own
table of typed columns (joined-table inheritance). A later kind (mental disorder, TB,
child, maternal) is one more subclass and one migration; nothing else changes
(docs/adr/0002-record-kinds.md). Records are append-only events: a correction by the
author replaces the content and bumps `version`; the previous version stays in the history.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.models.base import Base

MODES = ("clinic", "home", "phone", "group")  # 门诊 / 家庭 / 电话 / 集中


class ServiceRecord(Base):
    """The envelope every field record shares."""

    __tablename__ = "service_records"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # made by the phone
    kind: Mapped[str] = mapped_column(String(40))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    service_date: Mapped[dt.date]
    mode: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict | None]  # photo ids, GPS, signature reference
    # The phone's own idea of when it was made, by its own clock: kept as the phone's
    # claim, never read by a check or a figure (they read RecordEntry.entered_at).
    device_created_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]  # when the server first stored it
    updated_at: Mapped[dt.datetime]  # when the server stored the current version
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[dt.datetime | None]

    __mapper_args__ = {"polymorphic_on": "kind"}
    __table_args__ = (
        Index("ix_service_records_resident_date", "resident_id", "service_date"),
        Index("ix_service_records_village_kind_date", "village_id", "kind", "service_date"),
        Index("ix_service_records_doctor_date", "doctor_id", "service_date"),
    )


def _envelope_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("service_records.id", ondelete="CASCADE"), primary_key=True)


class HouseholdVisit(ServiceRecord):
    """入户随访: a visit to a household, with the members seen and what was done."""

    __tablename__ = "household_visits"
    id: Mapped[uuid.UUID] = _envelope_fk()
    members_seen: Mapped[list | None]  # resident ids
    services_done: Mapped[list | None]
    problems_found: Mapped[str | None] = mapped_column(Text)
    next_visit_date: Mapped[dt.date | None]
    __mapper_args__ = {"polymorphic_identity": "household_visit"}


class ChronicFollowUpFields:
    """Columns shared by the hypertension and diabetes follow-up forms."""

    symptoms: Mapped[list | None]
    sbp: Mapped[int | None]
    dbp: Mapped[int | None]
    weight_kg: Mapped[float | None]
    target_weight_kg: Mapped[float | None]
    bmi: Mapped[float | None]
    target_bmi: Mapped[float | None]
    heart_rate: Mapped[int | None]
    cigarettes_per_day: Mapped[int | None]
    drinks_per_day: Mapped[float | None]  # in liang (两) of spirits
    exercise_times_per_week: Mapped[int | None]
    exercise_minutes: Mapped[int | None]
    salt_intake: Mapped[str | None] = mapped_column(String(10))
    mood_adjustment: Mapped[str | None] = mapped_column(String(10))
    compliance: Mapped[str | None] = mapped_column(String(10))
    medication_adherence: Mapped[str | None] = mapped_column(String(15))
    adverse_reactions: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str | None] = mapped_column(String(20))
    medications: Mapped[list | None]  # [{drug, dose, frequency}]
    referral_reason: Mapped[str | None] = mapped_column(Text)
    referral_to: Mapped[str | None] = mapped_column(String(100))
    next_visit_date: Mapped[dt.date | None]


class HypertensionFollowUp(ChronicFollowUpFields, ServiceRecord):
    """高血压患者随访."""

    __tablename__ = "hypertension_followups"

    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:  # noqa: N805 - declared_attr takes the class
        return _envelope_fk()

    __mapper_args__ = {"polymorphic_identity": "hypertension_followup"}


class DiabetesFollowUp(ChronicFollowUpFields, ServiceRecord):
    """2型糖尿病患者随访."""

    __tablename__ = "diabetes_followups"

    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return _envelope_fk()

    dorsal_foot_pulse: Mapped[str | None] = mapped_column(String(20))
    fasting_glucose: Mapped[float | None]  # mmol/L
    hba1c: Mapped[float | None]  # %
    staple_food_g: Mapped[int | None]  # grams a day
    hypoglycaemia: Mapped[str | None] = mapped_column(String(20))
    insulin: Mapped[str | None] = mapped_column(String(100))
    __mapper_args__ = {"polymorphic_identity": "diabetes_followup"}


class VaccinationCheck(ServiceRecord):
    """预防接种核查 for one child 0–6: doses due against doses given, and the follow-up."""

    __tablename__ = "vaccination_checks"
    id: Mapped[uuid.UUID] = _envelope_fk()
    card_sighted: Mapped[bool] = mapped_column(default=False)
    certificate_present: Mapped[bool] = mapped_column(default=False)  # 建证
    doses_due: Mapped[list | None]  # [{vaccine, dose_no}]
    doses_given: Mapped[list | None]  # [{vaccine, dose_no, date, lot, site, unit}]
    missed_doses: Mapped[list | None]  # [{vaccine, dose_no, reason}]
    guardian_notified: Mapped[bool] = mapped_column(default=False)
    notified_via: Mapped[str | None] = mapped_column(String(20))
    notified_on: Mapped[dt.date | None]
    notification_outcome: Mapped[str | None] = mapped_column(String(100))
    catch_up_result: Mapped[str | None] = mapped_column(String(100))
    found_by_active_search: Mapped[bool] = mapped_column(default=False)
    school_entry_checked: Mapped[bool] = mapped_column(default=False)
    __mapper_args__ = {"polymorphic_identity": "vaccination_check"}


class EducationActivity(ServiceRecord):
    """健康教育活动: a lecture, consultation, bulletin-board update and so on."""

    __tablename__ = "education_activities"
    id: Mapped[uuid.UUID] = _envelope_fk()
    activity_type: Mapped[str] = mapped_column(String(30))
    place: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(200))
    presenter: Mapped[str | None] = mapped_column(String(50))
    audience_type: Mapped[str | None] = mapped_column(String(50))
    audience_count: Mapped[int] = mapped_column(default=0)
    attendee_ids: Mapped[list | None]  # resident ids, for education reach
    materials: Mapped[list | None]  # [{kind, quantity}]
    board_id: Mapped[str | None] = mapped_column(String(50))  # bulletin boards' update log
    __mapper_args__ = {"polymorphic_identity": "education_activity"}


class ElderlyHealthCheck(ServiceRecord):
    """老年人健康体检: the annual check of a resident aged 65 or more."""

    __tablename__ = "elderly_health_checks"
    id: Mapped[uuid.UUID] = _envelope_fk()
    symptoms: Mapped[list | None]
    temperature_c: Mapped[float | None]
    pulse: Mapped[int | None]
    respiration: Mapped[int | None]
    sbp_left: Mapped[int | None]
    dbp_left: Mapped[int | None]
    sbp_right: Mapped[int | None]
    dbp_right: Mapped[int | None]
    height_cm: Mapped[float | None]
    weight_kg: Mapped[float | None]
    waist_cm: Mapped[float | None]
    bmi: Mapped[float | None]
    self_rated_health: Mapped[str | None] = mapped_column(String(20))
    self_care_score: Mapped[int | None]
    cognition_screen: Mapped[str | None] = mapped_column(String(20))
    mood_screen: Mapped[str | None] = mapped_column(String(20))
    lifestyle: Mapped[dict | None]
    organ_function: Mapped[dict | None]  # vision, hearing, mouth, motor
    tests: Mapped[dict | None]  # blood/urine routine, liver, kidney, lipids, ECG, ultrasound
    fasting_glucose: Mapped[float | None]
    problems_found: Mapped[str | None] = mapped_column(Text)
    health_assessment: Mapped[str | None] = mapped_column(String(20))
    guidance: Mapped[list | None]
    __mapper_args__ = {"polymorphic_identity": "elderly_health_check"}


RECORD_CLASSES: dict[str, type[ServiceRecord]] = {
    cls.__mapper_args__["polymorphic_identity"]: cls
    for cls in (
        HouseholdVisit,
        HypertensionFollowUp,
        DiabetesFollowUp,
        VaccinationCheck,
        EducationActivity,
        ElderlyHealthCheck,
    )
}


class RecordEntry(Base):
    """When a record synced from a phone was entered, on the server's clock: the phone's
    claim corrected by the clock skew measured on the request that brought it, or the
    time of receipt when that is not sensible (sync/entry_times.py, docs/adr/0050).
    Written once, with the record; a correction does not move it. Records made by other
    paths have none, and their entry time is their `created_at`."""

    __tablename__ = "record_entries"
    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_records.id", ondelete="CASCADE"), primary_key=True)
    entered_at: Mapped[dt.datetime]
    # The phone's clock minus the server's on that request (None: the phone sent no time).
    # Big: a phone at 2099 is 2.3 billion seconds ahead.
    clock_skew_s: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(10))  # "phone" (corrected) or "receipt"
