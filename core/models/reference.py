"""Reference data: targets, settings and the vaccine schedule. Pulled by phones, never pushed."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base

TARGET_KINDS = ("min_rate", "max_rate", "min_count", "rising")


class Target(Base):
    """A target for one indicator, for a township or one village, for one year."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(60))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None]  # a rate in 0..1 or a count; NULL for "rising"
    __table_args__ = (UniqueConstraint("indicator", "township_id", "village_id", "year"),)


class Setting(Base):
    """A township's setting, e.g. which follow-up modes count, age thresholds."""

    __tablename__ = "settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[dict]
    __table_args__ = (UniqueConstraint("township_id", "key"),)


class VaccineScheduleDose(Base):
    """One dose of the national immunization schedule (国家免疫规划), due at an age."""

    __tablename__ = "vaccine_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    vaccine: Mapped[str] = mapped_column(String(20))  # code, e.g. "HepB"
    name_zh: Mapped[str] = mapped_column(String(50))
    dose_no: Mapped[int]
    due_age_months: Mapped[int]
    # Given within this many months of falling due counts as timely.
    timely_within_months: Mapped[int] = mapped_column(default=1)
    # The national edition it was copied from, or "province" once the admin changed it.
    edition: Mapped[str] = mapped_column(String(20), default="2021", server_default="2021")
    __table_args__ = (UniqueConstraint("vaccine", "dose_no"),)


class VaccineScheduleEdition(Base):
    """One dose of a published edition of the national schedule, shipped by the migrations
    (0010: the 2021 edition). A township's `vaccine_schedule` is copied from one at set-up."""

    __tablename__ = "vaccine_schedule_editions"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition: Mapped[str] = mapped_column(String(20))
    vaccine: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(50))
    dose_no: Mapped[int]
    due_age_months: Mapped[int]
    timely_within_months: Mapped[int]
    __table_args__ = (UniqueConstraint("edition", "vaccine", "dose_no"),)


# Tables whose rows the migrations ship: a restore replaces them, test cleaning keeps them.
SHIPPED_TABLES = ("vaccine_schedule_editions",)
