from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import UTCDateTime
from ..extensions import db


class Role(StrEnum):
    BUREAU = "bureau"
    INSURER = "insurer"
    ENTERPRISE = "enterprise"


STAFF_ROLES = frozenset({Role.BUREAU, Role.INSURER})


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # part of the id kept in the session cookie: bumping it ends every session of this user
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # a login's own mobile (a colleague invited by SMS; SMS password resets); unique like the e-mail
    mobile: Mapped[str | None] = mapped_column(String(32), unique=True)
    # what an enterprise's user (经办人) may do; its administrator (the first activated user) decides
    can_claim: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    can_report_losses: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    can_request_credit_reports: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login keeps this in the session; the user loader checks both parts
        return f"{self.id}.{self.session_version or 0}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def label(self) -> str:
        return self.email or self.mobile or self.display_name or f"user#{self.id}"

    def may(self, permission: str) -> bool:
        """An enterprise user's permission ("claim", "report_losses", "request_credit_reports")."""
        return bool(getattr(self, f"can_{permission}", False))


class LoginAttempt(db.Model):  # type: ignore[name-defined,misc]
    """Every login that reached the password check (who tried which account from where)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(64))


class ActivationToken(db.Model):  # type: ignore[name-defined,misc]
    """Single-use, expiring link that lets an invited enterprise set its password."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodePurpose(StrEnum):
    RESET = "reset"  # a forgotten password
    EMAIL = "email"  # confirming a new contact e-mail
    MOBILE = "mobile"  # confirming a new mobile


class AccountCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use secret sent to a user: a password-reset link or SMS code, or the code that
    confirms a new contact e-mail or mobile (`target`). Only its hash is kept."""

    __tablename__ = "account_codes"
    __table_args__ = (Index("ix_account_codes_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
