from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import Money, UTCDateTime, one_of
from ..extensions import db


class LossStatus(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    INVESTIGATING = "investigating"
    REJECTED = "rejected"
    PAID = "paid"
    DECLINED = "declined"


class PaymentTerms(StrEnum):
    OPEN_ACCOUNT = "open_account"
    LC = "lc"


class PartyKind(StrEnum):
    BUYER = "buyer"
    BANK = "bank"


class LossParty(db.Model):  # type: ignore[name-defined,misc]
    """A buyer or an issuing bank under one policy: the party a limit is counted for.

    `key` is who it is (rules.party_key: identifier and country, else normalised name and country);
    a party merged by staff into another points at it, and its reports then count for that one."""

    __tablename__ = "loss_parties"
    __table_args__ = (UniqueConstraint("policy_id", "kind", "key"), one_of("kind", PartyKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    ident: Mapped[str | None] = mapped_column(String(64))  # registration number / SWIFT BIC (8), normalised
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("loss_parties.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LossReport(db.Model):  # type: ignore[name-defined,misc]
    """报损 / 索赔: an overdue receivable or risk event reported under a policy."""

    __tablename__ = "loss_reports"
    __table_args__ = (one_of("status", LossStatus), one_of("payment_terms", PaymentTerms))

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_key: Mapped[str] = mapped_column(String(200), index=True)  # normalised: same buyer
    buyer_country: Mapped[str] = mapped_column(String(2))
    buyer_registration_no: Mapped[str | None] = mapped_column(String(64))
    payment_terms: Mapped[str] = mapped_column(String(16), default=PaymentTerms.OPEN_ACCOUNT)
    bank_name: Mapped[str | None] = mapped_column(String(200))  # the issuing bank as reported (LC only)
    bank_swift_bic: Mapped[str | None] = mapped_column(String(11))
    bank_country: Mapped[str | None] = mapped_column(String(2))
    buyer_party_id: Mapped[int] = mapped_column(ForeignKey("loss_parties.id"), index=True)
    bank_party_id: Mapped[int | None] = mapped_column(ForeignKey("loss_parties.id"))
    limit_party_id: Mapped[int] = mapped_column(ForeignKey("loss_parties.id"), index=True)  # bank for LC
    due_date: Mapped[date | None] = mapped_column(Date)
    cause: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=LossStatus.REPORTED, index=True)
    invoice_total_usd: Mapped[Decimal] = mapped_column(Money())
    covered: Mapped[bool] = mapped_column(Boolean, default=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # rules.Reason.as_json() (older rows: text)
    estimate_usd: Mapped[Decimal] = mapped_column(Money())
    paid_usd: Mapped[Decimal | None] = mapped_column(Money())
    received_usd: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))  # paid by the buyer since
    assessed_usd: Mapped[Decimal | None] = mapped_column(Money())  # 核定损失金额, once decided
    decision_reason: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_via: Mapped[str] = mapped_column(String(16), default="web")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    policy = relationship("Policy")
    enterprise = relationship("Enterprise")
    buyer_party = relationship("LossParty", foreign_keys=[buyer_party_id])
    bank_party = relationship("LossParty", foreign_keys=[bank_party_id])
    limit_party = relationship("LossParty", foreign_keys=[limit_party_id])
    invoices = relationship("LossInvoice", cascade="all, delete-orphan", order_by="LossInvoice.id")
    events = relationship("LossEvent", cascade="all, delete-orphan", order_by="LossEvent.id")


class LossInvoice(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "loss_invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("loss_reports.id", ondelete="CASCADE"), index=True)
    invoice_no: Mapped[str] = mapped_column(String(64), default="")
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    shipment_date: Mapped[date] = mapped_column(Date)


class LossEvent(db.Model):  # type: ignore[name-defined,misc]
    """A step in working a report: note, document request/answer, acceptance, decision."""

    __tablename__ = "loss_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("loss_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")


class LossAttachment(db.Model):  # type: ignore[name-defined,misc]
    """A document attached to a report; its bytes are a stored file (`intranet.storage`), in the database."""

    __tablename__ = "loss_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("loss_reports.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("loss_events.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), index=True)
    # before 0009 the bytes were on one host's disk; 0009 moved them in and cleared this, so a path
    # left here names a file that migration could not find (the download answers 404)
    storage_path: Mapped[str | None] = mapped_column(String(500))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
