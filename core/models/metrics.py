"""Tables of the township's view: rollups, frozen periods, quality flags, overdue lists,
verification calls and the assessment's points (docs/adr/0020..0029).

Everything here is derived from the records except verification outcomes and assessment
rules, which people enter; the nightly job rewrites the derived tables.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now_utc
from core.models.base import Base

SCOPES = ("township", "village", "doctor")
OUTCOMES = ("confirmed", "denied", "unreachable")


class MetricRollup(Base):
    """One indicator's numerator and denominator for one scope and one period."""

    __tablename__ = "metric_rollups"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    period: Mapped[str] = mapped_column(String(10))  # "2026", "2026-Q3", "2026-07"
    scope: Mapped[str] = mapped_column(String(10))  # township / village / doctor
    scope_id: Mapped[int]
    indicator: Mapped[str] = mapped_column(String(60))
    numerator: Mapped[int]
    denominator: Mapped[int | None]  # NULL for counts
    computed_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    __table_args__ = (
        UniqueConstraint("township_id", "period", "scope", "scope_id", "indicator",
                         name="uq_metric_rollups_key"),
    )


class MetricPeriod(Base):
    """A township's period and whether it is closed; a closed period's rollups never move."""

    __tablename__ = "metric_periods"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    period: Mapped[str] = mapped_column(String(10))
    # Records stored up to this instant count; later ones are "late" and shown apart.
    as_of: Mapped[dt.datetime]
    computed_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    frozen_at: Mapped[dt.datetime | None]
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late_records: Mapped[int] = mapped_column(default=0)
    __table_args__ = (UniqueConstraint("township_id", "period", name="uq_metric_periods_key"),)


class QualityFlag(Base):
    """One finding of the nightly quality checks (真实性), rewritten each night."""

    __tablename__ = "quality_flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    check: Mapped[str] = mapped_column(String(40))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resident_id: Mapped[uuid.UUID | None]
    record_id: Mapped[uuid.UUID | None]
    service_date: Mapped[dt.date | None]
    record_created_at: Mapped[dt.datetime | None]
    detail: Mapped[str | None] = mapped_column(String(200))
    found_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    # Set by the nightly job when a standing dismissal still fits this finding
    # (docs/adr/0027-dismissing-quality-flags.md).
    dismissal_id: Mapped[int | None] = mapped_column(ForeignKey("quality_dismissals.id"))
    __table_args__ = (Index("ix_quality_flags_township_check", "township_id", "check"),)


class QualityDismissal(Base):
    """Staff's "reviewed, not a problem" on one finding, kept across the nightly rewrite.

    Keyed on the check and its subject (resident and/or record), not on a flag row; it
    holds while the finding looks as it did when dismissed (same detail, same record
    version) and stops holding, without being deleted, once the data changes."""

    __tablename__ = "quality_dismissals"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    check: Mapped[str] = mapped_column(String(40))
    resident_id: Mapped[uuid.UUID | None]
    record_id: Mapped[uuid.UUID | None]
    detail: Mapped[str | None] = mapped_column(String(200))
    record_version: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String(200))
    dismissed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (Index("ix_quality_dismissals_township_check", "township_id", "check"),)


class AdminChange(Base):
    """One change township staff made to reference data or a review: who, when, what,
    the value before and after. Never updated or deleted (the township's own audit log)."""

    __tablename__ = "admin_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    subject: Mapped[str] = mapped_column(String(120))  # e.g. "setting:quality"
    action: Mapped[str] = mapped_column(String(20))  # set, delete, dismiss, withdraw
    before: Mapped[dict | None]
    after: Mapped[dict | None]
    note: Mapped[str | None] = mapped_column(String(200))


class OverduePatient(Base):
    """A patient under management who is due a follow-up and has not had it (nightly)."""

    __tablename__ = "overdue_patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"))
    condition: Mapped[str] = mapped_column(String(30))
    last_visit_on: Mapped[dt.date | None]
    due_on: Mapped[dt.date | None]
    reason: Mapped[str] = mapped_column(String(20))  # never / overdue / uncontrolled
    computed_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    __table_args__ = (Index("ix_overdue_patients_township_village", "township_id",
                            "village_id"),)


class VerificationSample(Base):
    """A random sample of residents with recorded services, drawn for phone checks (电话抽查)."""

    __tablename__ = "verification_samples"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    period: Mapped[str] = mapped_column(String(10))
    drawn_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    calls: Mapped[list[VerificationCall]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", order_by="VerificationCall.id")


class VerificationCall(Base):
    """One resident to call about one recorded service, and what they said."""

    __tablename__ = "verification_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("verification_samples.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_records.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(200))
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[dt.datetime | None]
    sample: Mapped[VerificationSample] = relationship(back_populates="calls")


class AssessmentRule(Base):
    """A township's points for the assessment: per record kind, or deducted per finding."""

    __tablename__ = "assessment_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    rule: Mapped[str] = mapped_column(String(60))  # e.g. "work:hypertension_followup"
    points: Mapped[float]
    __table_args__ = (UniqueConstraint("township_id", "rule", name="uq_assessment_rules_key"),)
