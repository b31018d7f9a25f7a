from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import Money, Ratio, UTCDateTime
from ..extensions import db


class Programme(db.Model):  # type: ignore[name-defined,misc]
    """One policy year of the pooled programme. Every business number lives here."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    export_year: Mapped[int] = mapped_column(Integer)
    threshold_usd: Mapped[Decimal] = mapped_column(Money())
    claim_deadline: Mapped[date] = mapped_column(Date)
    cover_start: Mapped[date] = mapped_column(Date)
    cover_end: Mapped[date] = mapped_column(Date)
    issuance_lag_days: Mapped[int] = mapped_column(Integer)
    indemnity_ratio: Mapped[Decimal] = mapped_column(Ratio())
    per_buyer_limit_usd: Mapped[Decimal] = mapped_column(Money())
    free_credit_reports: Mapped[int] = mapped_column(Integer)
    hotline_consult: Mapped[str] = mapped_column(String(32))
    hotline_claims: Mapped[str] = mapped_column(String(32))
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    # working days a consultation may wait for an answer before the insurer's staff are alerted (0022)
    consultation_reply_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    reminder_email_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    reminder_sms_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    reminder_time: Mapped[str] = mapped_column(String(5), default="09:30")
    # the services around the policy (rule 11): addresses are parameters, never template literals
    single_window_url: Mapped[str | None] = mapped_column(String(200))
    wechat_account_zh: Mapped[str | None] = mapped_column(String(100))
    wechat_account_en: Mapped[str | None] = mapped_column(String(200))
    app_name_zh: Mapped[str | None] = mapped_column(String(64))
    app_name_en: Mapped[str | None] = mapped_column(String(64))
    app_url: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # a programme starts as a draft (None) until the bureau publishes it; public pages show only
    # published programmes
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    excluded = relationship("ExcludedCountry", cascade="all, delete-orphan", order_by="ExcludedCountry.country_code")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def excluded_codes(self) -> list[str]:
        return [row.country_code for row in self.excluded]


class ExcludedCountry(db.Model):  # type: ignore[name-defined,misc]
    """不予承保国别: exports to these countries are not covered under the programme."""

    __tablename__ = "excluded_countries"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
