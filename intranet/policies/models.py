from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import UTCDateTime, one_of
from ..extensions import db


class PolicyStatus(StrEnum):
    CLAIMED = "claimed"
    ISSUED = "issued"
    REVOKED = "revoked"
    LAPSED = "lapsed"  # still unissued when the programme's cover period ended (policies/lapsing.py)


# What the database accepts (migration 0007 froze these four already)
STATUS_VALUES = tuple(PolicyStatus)


class Policy(db.Model):  # type: ignore[name-defined,misc]
    """One policy per enterprise per programme — enforced by the unique constraint."""

    __tablename__ = "policies"
    __table_args__ = (
        UniqueConstraint("programme_id", "enterprise_id"),
        # dashboards (migration 0004): issuance queue by age, policies by status, claims per week
        Index("ix_policies_dash_status_claimed", "programme_id", "status", "claimed_at"),
        one_of("status", STATUS_VALUES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PolicyStatus.CLAIMED, index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_via: Mapped[str] = mapped_column(String(16), default="web")
    claimed_on_time: Mapped[bool] = mapped_column(Boolean)  # on or before the claim deadline
    policy_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issue_date: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cover_start: Mapped[date | None] = mapped_column(Date)
    cover_end: Mapped[date | None] = mapped_column(Date)
    verify_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    programme = relationship("Programme")
    enterprise = relationship("Enterprise")
