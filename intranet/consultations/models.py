"""线上咨询: an enterprise's question and its thread of messages with the insurer's staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import UTCDateTime, one_of
from ..extensions import db


class ConsultationStatus(StrEnum):
    OPEN = "open"  # the enterprise's last message waits for an answer
    ANSWERED = "answered"


class Consultation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "consultations"
    __table_args__ = (one_of("status", ConsultationStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # the enterprise's district when it asked: whose account managers it went to
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    asked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ConsultationStatus.OPEN, index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # since when the enterprise waits (the question, or a follow-up after an answer)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the insurer's staff were alerted that it waited past its reply time (once per question)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    enterprise = relationship("Enterprise")
    district = relationship("District")
    messages = relationship(
        "ConsultationMessage", back_populates="consultation", order_by="ConsultationMessage.id", lazy="selectin"
    )


class ConsultationMessage(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "consultation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)

    consultation = relationship("Consultation", back_populates="messages")
