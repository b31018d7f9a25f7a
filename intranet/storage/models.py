"""One stored file: its bytes and what a download needs to know about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..coltypes import UTCDateTime
from ..extensions import db


class StoredFile(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # e.g. loss_attachment, credit_report, export
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # loaded only when read: a row's metadata (a page's list of files) costs no bytes
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
