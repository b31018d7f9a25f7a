from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..coltypes import UTCDateTime
from ..extensions import db


class ShortLink(db.Model):  # type: ignore[name-defined,misc]
    """`/s/<code>` → `target` (a path of this site, with its query) until `expires_at`."""

    __tablename__ = "short_links"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    target: Mapped[str] = mapped_column(String(1000))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
