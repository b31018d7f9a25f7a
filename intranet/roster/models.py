from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import Money, UTCDateTime, one_of
from ..extensions import db


class RosterStatus(StrEnum):
    DRAFT = "draft"  # being imported; not public
    NOTICE = "notice"  # published for public notice (公示)
    CONFIRMED = "confirmed"  # 确认名单: read-only


class EntryStatus(StrEnum):
    LISTED = "listed"
    REMOVED = "removed"  # an upheld objection took it off


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CHECKED = "checked"  # the dry run passed: waiting for the officer to apply
    REFUSED = "refused"  # the file was refused: nothing imported
    FAILED = "failed"  # crashed or interrupted: nothing imported
    DONE = "done"


class ImportPhase(StrEnum):
    CHECK = "check"
    APPLY = "apply"


class Roster(db.Model):  # type: ignore[name-defined,misc]
    """The main roster of a programme (seq 1) or a supplementary one (seq ≥ 2)."""

    __tablename__ = "rosters"
    __table_args__ = (UniqueConstraint("programme_id", "seq"), one_of("status", RosterStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=RosterStatus.DRAFT)
    notice_start: Mapped[date | None] = mapped_column(Date)
    notice_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    programme = relationship("Programme")

    @property
    def is_supplementary(self) -> bool:
        return self.seq > 1


class RosterEntry(db.Model):  # type: ignore[name-defined,misc]
    """One enterprise's line on a roster, with its export amount for the measured year."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("roster_id", "enterprise_id"),
        Index("ix_roster_entries_programme_enterprise", "programme_id", "enterprise_id"),
        # dashboards (migration 0004): index-only GROUP BYs per district and per roster
        Index(
            "ix_roster_entries_dash_district",
            "programme_id",
            "status",
            "eligible",
            "district_id",
            "roster_id",
            "enterprise_id",
        ),
        # USCC lookups and prefix searches, paged in (uscc, id) order straight from the index (0021)
        Index("ix_roster_entries_uscc", "uscc", "id"),
        one_of("status", EntryStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # no index of its own: the unique (roster_id, enterprise_id) and the board index begin with it
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    name: Mapped[str] = mapped_column(String(200))  # as listed on this roster
    uscc: Mapped[str] = mapped_column(String(18))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    export_amount_usd: Mapped[Decimal] = mapped_column(Money())
    eligible: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.LISTED)
    check_digit_accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    # search: the name normalised (NFKC, case-folded, no spaces or punctuation) and its bigrams
    search_norm: Mapped[str] = mapped_column(String(200), default="")
    search_grams: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    roster = relationship("Roster")
    enterprise = relationship("Enterprise")
    district = relationship("District")


class Objection(db.Model):  # type: ignore[name-defined,misc]
    """异议 filed by the public against an entry during the notice period."""

    __tablename__ = "objections"
    __table_args__ = (one_of("status", ObjectionStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    roster_entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(String(254))  # email or phone
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ObjectionStatus.OPEN, index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    entry = relationship("RosterEntry")


class ImportJob(db.Model):  # type: ignore[name-defined,misc]
    """A roster upload: checked first (dry run), then applied; progress is polled by the page."""

    __tablename__ = "import_jobs"
    __table_args__ = (one_of("status", ImportStatus), one_of("phase", ImportPhase))

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str | None] = mapped_column(String(500))  # before 0011: the file on one host's disk
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))  # the upload, in the database
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED)
    phase: Mapped[str] = mapped_column(String(16), default=ImportPhase.CHECK)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0..100
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    good_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    ineligible: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # valid rows above the threshold, kept off the roster: {"row", "uscc", "name", "cents"} (0014)
    over_threshold: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    accept_good_rows: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_rows: Mapped[list[int]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    roster_id: Mapped[int | None] = mapped_column(ForeignKey("rosters.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last sign of life while running
