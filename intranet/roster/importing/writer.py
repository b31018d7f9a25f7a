"""Bulk upserts of enterprises and roster entries, the same on SQLite and PostgreSQL: each batch is
staged in a temporary table (one executemany through SQLAlchemy Core), then moved into place
set-based by two INSERT ... SELECT ... ON CONFLICT statements.

Runs inside the caller's transaction: a failure anywhere rolls everything back. The database checks
every reference (foreign keys), and on SQLite migration 0003's triggers add each new entry to the
full-text search index."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    text,
)
from sqlalchemy.exc import IntegrityError

from ...coltypes import UTCDateTime
from ...extensions import db
from ..models import EntryStatus
from .reader import FileRefused
from .search_columns import search_columns
from .validate import Entry

CHUNK = 10_000  # rows per batch: checked, staged and upserted before the next batch is read
T = TypeVar("T")

# the staging table: temporary (each connection its own, gone with the transaction on a rollback)
ROWS = Table(
    "roster_import_rows",
    MetaData(),
    Column("uscc", String(18)),
    Column("name", String(200)),
    Column("district_id", Integer),
    Column("contact_name", String(64)),
    Column("mobile", String(32)),
    Column("email", String(254)),
    Column("cents", BigInteger),
    Column("eligible", Boolean),
    Column("accepted_by", Integer),
    Column("source_row", Integer),
    Column("search_norm", String(200)),
    Column("search_grams", Text),
    prefixes=["TEMPORARY"],
)

# "WHERE TRUE" lets SQLite parse INSERT ... SELECT ... ON CONFLICT; PostgreSQL accepts it too.
UPSERT_ENTERPRISES = text(
    """
INSERT INTO enterprises (uscc, name, district_id, contact_name, mobile, email, notify_email, notify_sms,
                         monthly_notices, created_at, updated_at)
SELECT uscc, name, district_id, contact_name, mobile, email, TRUE, TRUE, TRUE, :stamp, :stamp
FROM roster_import_rows WHERE TRUE
ON CONFLICT (uscc) DO UPDATE SET
  name = excluded.name,
  district_id = excluded.district_id,
  contact_name = COALESCE(excluded.contact_name, enterprises.contact_name),
  mobile = COALESCE(excluded.mobile, enterprises.mobile),
  email = COALESCE(excluded.email, enterprises.email),
  updated_at = excluded.updated_at
"""
).bindparams(bindparam("stamp", type_=UTCDateTime()))
UPSERT_ENTRIES = text(
    """
INSERT INTO roster_entries (roster_id, programme_id, enterprise_id, name, uscc, district_id, export_amount_usd,
                            eligible, status, check_digit_accepted_by, source_row, search_norm, search_grams,
                            created_at, updated_at)
SELECT :roster_id, :programme_id, e.id, r.name, r.uscc, r.district_id, r.cents, r.eligible, :status,
       r.accepted_by, r.source_row, r.search_norm, r.search_grams, :stamp, :stamp
FROM roster_import_rows r JOIN enterprises e ON e.uscc = r.uscc WHERE TRUE
ON CONFLICT (roster_id, enterprise_id) DO UPDATE SET
  name = excluded.name,
  uscc = excluded.uscc,
  district_id = excluded.district_id,
  export_amount_usd = excluded.export_amount_usd,
  eligible = excluded.eligible,
  status = excluded.status,
  check_digit_accepted_by = excluded.check_digit_accepted_by,
  source_row = excluded.source_row,
  search_norm = excluded.search_norm,
  search_grams = excluded.search_grams,
  updated_at = excluded.updated_at
"""
).bindparams(bindparam("stamp", type_=UTCDateTime()))
COUNT_KNOWN = text("SELECT COUNT(*) FROM roster_import_rows r JOIN enterprises e ON e.uscc = r.uscc")
MISSING_REFERENCE = _l("文件中的所属区或审核人在数据库中已不存在（可能刚被删除），未导入任何数据，请重新导入")


@dataclass
class WriteStats:
    created: int = 0  # enterprises new to the system
    updated: int = 0  # enterprises already known (name, district, contacts refreshed)
    eligible: int = 0
    ineligible: int = 0


def chunks(items: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    size = size or CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _staged(entries: Sequence[Entry], accepted_by: dict[int, int]) -> list[dict[str, Any]]:
    norms, grams = search_columns([e.name for e in entries])
    return [
        {
            "uscc": e.uscc,
            "name": e.name,
            "district_id": e.district_id,
            "contact_name": e.contact_name,
            "mobile": e.mobile,
            "email": e.email,
            "cents": e.cents,
            "eligible": e.eligible,
            "accepted_by": accepted_by.get(e.row),
            "source_row": e.row,
            "search_norm": norm,
            "search_grams": gram,
        }
        for e, norm, gram in zip(entries, norms, grams, strict=True)
    ]


def _is_foreign_key(exc: IntegrityError) -> bool:
    """A foreign-key violation: SQLite says so in its message, PostgreSQL by SQLSTATE 23503."""
    return getattr(exc.orig, "sqlstate", None) == "23503" or "FOREIGN KEY" in str(exc.orig)


class Writer:
    """Upserts the enterprises (by USCC) and their entries on one roster (by enterprise), set-based,
    inside the caller's transaction. `add` writes one batch; `finish` drops the staging table and
    returns the counts. A batch naming a district or user that no longer exists is refused
    (FileRefused: the caller's transaction rolls back, nothing is imported)."""

    def __init__(
        self, *, programme_id: int, roster_id: int, now: datetime, accepted_by: dict[int, int] | None = None
    ) -> None:
        self.conn = db.session.connection()
        self.accepted_by = accepted_by or {}
        self.params = {"stamp": now, "roster_id": roster_id, "programme_id": programme_id}
        self.stats = WriteStats()
        ROWS.drop(self.conn, checkfirst=True)
        ROWS.create(self.conn)

    def add(self, entries: Sequence[Entry]) -> None:
        """Stage `entries` (computing their search columns) and upsert them."""
        if not entries:
            return
        self.conn.execute(ROWS.insert(), _staged(entries, self.accepted_by))
        eligible = sum(1 for e in entries if e.eligible)
        self.stats.eligible += eligible
        self.stats.ineligible += len(entries) - eligible
        self._upsert(len(entries))

    def _upsert(self, count: int) -> None:
        conn = self.conn
        known = int(conn.execute(COUNT_KNOWN).scalar() or 0)
        try:
            conn.execute(UPSERT_ENTERPRISES, {"stamp": self.params["stamp"]})
            conn.execute(UPSERT_ENTRIES, {**self.params, "status": str(EntryStatus.LISTED)})
        except IntegrityError as exc:
            if _is_foreign_key(exc):
                raise FileRefused(MISSING_REFERENCE) from exc
            raise
        conn.execute(ROWS.delete())
        self.stats.updated += known
        self.stats.created += count - known

    def finish(self) -> WriteStats:
        ROWS.drop(self.conn)
        return self.stats


def write(
    entries: Sequence[Entry],
    *,
    programme_id: int,
    roster_id: int,
    now: datetime,
    accepted_by: dict[int, int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> WriteStats:
    """Upsert checked entries in batches of CHUNK."""
    total = max(len(entries), 1)
    done = 0
    out = Writer(programme_id=programme_id, roster_id=roster_id, now=now, accepted_by=accepted_by)
    for batch in chunks(entries):
        out.add(batch)
        done += len(batch)
        if progress:
            progress(done / total)
    return out.finish()
