from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..coltypes import UTCDateTime
from ..extensions import db

# what a token may do (CONTRACT.md); stored space-separated, in this order
SCOPES = ("enterprises:read", "policies:claim", "losses:write", "credit-reports:write", "notices:read")
ALL_SCOPES = " ".join(SCOPES)


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token for an integrating system (单一窗口); only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(String(200), default=ALL_SCOPES, server_default=ALL_SCOPES)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: tokens made before 0013

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def expired(self, moment: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= moment
