"""Households and residents (居民健康档案), the mutable records of the product.

Households and residents carry a `version` that every accepted change bumps; sync merges
concurrent edits field by field against it (docs/adr/0004-merge-rule.md).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, Timestamps, new_uuid

SEXES = ("male", "female", "unknown")
RESIDENT_STATUSES = ("active", "moved_out", "deceased", "lost")
RESIDENCE_TYPES = ("registered", "non_registered")  # 户籍 / 非户籍
CONDITIONS = ("hypertension", "diabetes", "mental_disorder", "tuberculosis")


class Household(Timestamps, Base):
    """A household (户) with its address and living conditions."""

    __tablename__ = "households"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    household_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    group_no: Mapped[str] = mapped_column(String(20), default="")  # 村民小组 (组)
    house_no: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    head_name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    kitchen_ventilation: Mapped[str | None] = mapped_column(String(20))
    fuel: Mapped[str | None] = mapped_column(String(20))
    drinking_water: Mapped[str | None] = mapped_column(String(20))
    toilet: Mapped[str | None] = mapped_column(String(20))
    animal_pen: Mapped[str | None] = mapped_column(String(20))
    low_income: Mapped[bool] = mapped_column(default=False)
    responsible_doctor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[dt.datetime | None]
    residents: Mapped[list[Resident]] = relationship(back_populates="household")


class Resident(Timestamps, Base):
    """A resident's health record (居民健康档案)."""

    __tablename__ = "residents"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    # 17 digits: county(6) + township(3) + village(3) + serial(5).
    record_no: Mapped[str | None] = mapped_column(String(17), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[dt.date]
    # NULL for infants and migrants without one; a provisional identity is merged later.
    national_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    relationship_to_head: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    residence_type: Mapped[str] = mapped_column(String(20), default="registered")
    permanent: Mapped[bool] = mapped_column(default=True)  # 常住: here 6+ months
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    blood_type: Mapped[str | None] = mapped_column(String(10))
    payment_type: Mapped[str | None] = mapped_column(String(30))
    allergies: Mapped[str | None] = mapped_column(Text)
    past_history: Mapped[str | None] = mapped_column(Text)
    family_history: Mapped[str | None] = mapped_column(Text)
    disability: Mapped[str | None] = mapped_column(String(50))
    pregnant: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Dates that bound the resident's time in the village, for the year's denominators.
    moved_in_on: Mapped[dt.date | None]
    moved_out_on: Mapped[dt.date | None]
    died_on: Mapped[dt.date | None]
    record_created_on: Mapped[dt.date | None]  # when the health record was opened (建档)
    contract_team: Mapped[str | None] = mapped_column(String(50))  # family-doctor contract
    contract_signed_on: Mapped[dt.date | None]
    contract_package: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[dt.datetime | None]
    household: Mapped[Household | None] = relationship(back_populates="residents")
    conditions: Mapped[list[ResidentCondition]] = relationship(
        back_populates="resident", cascade="all, delete-orphan"
    )
    __table_args__ = (Index("ix_residents_village_name_birth", "village_id", "name", "birth_date"),)


class ResidentCondition(Base):
    """A registered condition under management (高血压, 2型糖尿病, 严重精神障碍, 肺结核)."""

    __tablename__ = "resident_conditions"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    condition: Mapped[str] = mapped_column(String(30))
    diagnosed_on: Mapped[dt.date | None]
    managed_since: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    resident: Mapped[Resident] = relationship(back_populates="conditions")


class ResidenceEvent(Base):
    """A dated change of residence status: moved in, moved out, deceased, returned."""

    __tablename__ = "residence_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[dt.date]
    from_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    to_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime]
