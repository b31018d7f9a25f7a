from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import UTCDateTime, one_of
from ..extensions import db


class CreditReportStatus(StrEnum):
    REQUESTED = "requested"
    DELIVERED = "delivered"
    DECLINED = "declined"


class CreditReportRequest(db.Model):  # type: ignore[name-defined,misc]
    """资信报告: an overseas buyer credit report requested by an enterprise."""

    __tablename__ = "credit_report_requests"
    __table_args__ = (one_of("status", CreditReportStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    buyer_name: Mapped[str] = mapped_column(String(200))
    # the buyer as losses know it (losses.parties: registration number or normalised name, and
    # country; after a staff merge follow `parties.root`); None only for a request without a policy
    buyer_party_id: Mapped[int | None] = mapped_column(ForeignKey("loss_parties.id"), index=True)
    buyer_country: Mapped[str] = mapped_column(String(2), index=True)
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=CreditReportStatus.REQUESTED, index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report_filename: Mapped[str | None] = mapped_column(String(255))
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), index=True)
    # before 0009 the PDF was on one host's disk; a path left here names a file 0009 could not find
    report_path: Mapped[str | None] = mapped_column(String(500))
    decline_reason: Mapped[str | None] = mapped_column(Text)

    enterprise = relationship("Enterprise")
