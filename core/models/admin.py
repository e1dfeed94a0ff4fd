"""The administrative tree and the people who use the product."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, Timestamps, new_uuid

ROLE_DOCTOR = "village_doctor"
ROLE_STAFF = "township_staff"
ROLE_ADMIN = "township_admin"
ROLES = (ROLE_DOCTOR, ROLE_STAFF, ROLE_ADMIN)


class County(Base):
    """A county (县), above the townships; its 6-digit GB/T 2260 code starts record numbers."""

    __tablename__ = "counties"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    townships: Mapped[list[Township]] = relationship(back_populates="county")


class Township(Base):
    """A township (乡镇) and its health center (乡镇卫生院)."""

    __tablename__ = "townships"
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(100))
    health_center_name: Mapped[str] = mapped_column(String(100))
    # Made by `flask seed-demo`: its accounts share a published password, so its login
    # pages say it is a demonstration (docs/security.md).
    is_demo: Mapped[bool] = mapped_column(default=False)
    county: Mapped[County] = relationship(back_populates="townships")
    villages: Mapped[list[Village]] = relationship(back_populates="township")
    __table_args__ = (UniqueConstraint("county_id", "code"),)


class Village(Base):
    """An administrative village (行政村)."""

    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(100))
    township: Mapped[Township] = relationship(back_populates="villages")
    clinic: Mapped[VillageClinic | None] = relationship(back_populates="village")
    __table_args__ = (UniqueConstraint("township_id", "code"),)


class VillageClinic(Base):
    """A village clinic (村卫生室), the base of the township's network."""

    __tablename__ = "village_clinics"
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    village: Mapped[Village] = relationship(back_populates="clinic")


class VillageGroup(Base):
    """A villagers' group (村民小组, 组) of a village, the unit of a household's address."""

    __tablename__ = "village_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(20))
    __table_args__ = (UniqueConstraint("village_id", "name"),)


# Which villages a village doctor serves. Usually one; some doctors cover a neighbour too.
doctor_villages = Table(
    "doctor_villages",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True),
)

# Which villages a township staff member looks after (包村): whom the village's doctor calls.
liaison_villages = Table(
    "liaison_villages",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True),
)


class User(Timestamps, Base):
    """A person who logs in: a village doctor, township staff or a township admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("village_clinics.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    # Set by an admin's reset: the one-time password works only to choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    township: Mapped[Township] = relationship()
    clinic: Mapped[VillageClinic | None] = relationship()
    villages: Mapped[list[Village]] = relationship(secondary=doctor_villages)
    liaison_for: Mapped[list[Village]] = relationship(secondary=liaison_villages)

    @property
    def is_doctor(self) -> bool:
        """True for a village doctor, whose scope is their own villages."""
        return self.role == ROLE_DOCTOR

    @property
    def is_admin(self) -> bool:
        """True for a township admin."""
        return self.role == ROLE_ADMIN


class Device(Timestamps, Base):
    """A phone enrolled by a doctor; its bearer token is stored only as a hash."""

    __tablename__ = "devices"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the person's villages change: the phone's next pull is a reset, so it drops
    # the villages it lost and copies the ones it gained (sync/pull.py).
    scope_reset_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class UserSession(Base):
    """A browser session, held on the server so it can be ended there (docs/adr/0043).

    The cookie carries only a random token; this row holds its SHA-256. `stamp` is a digest
    of what the session was granted on (password hash, role, active): any change to them
    ends every session of that person at once, by whatever path it is made.
    """

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))


class LoginFailure(Base):
    """A login attempt reserved before its password is checked, kept when it failed: one row
    keyed by a hash of the caller's address (guessing from one place across accounts) and
    one keyed by a hash of the name as typed (one name, real or not); server/services/lockout.py."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of the address
    at: Mapped[dt.datetime] = mapped_column(index=True)
