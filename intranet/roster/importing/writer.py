"""Bulk upserts of enterprises and roster entries (Core, chunked executemany, ON CONFLICT).

Runs inside the caller's transaction: a failure anywhere rolls everything back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, text

from ...coltypes import UTCDateTime
from ...extensions import db
from ..models import EntryStatus
from .validate import Entry, search_fields

CHUNK = 5000
T = TypeVar("T")

TEMP = "roster_import_rows"
TEMP_COLUMNS = (
    "uscc",
    "name",
    "district_id",
    "contact_name",
    "mobile",
    "email",
    "cents",
    "eligible",
    "accepted_by",
    "source_row",
    "search_norm",
    "search_grams",
)
TEMP_DDL = (
    "CREATE TEMPORARY TABLE roster_import_rows (uscc VARCHAR(18), name VARCHAR(200), district_id INTEGER,"
    " contact_name VARCHAR(64), mobile VARCHAR(32), email VARCHAR(254), cents BIGINT, eligible BOOLEAN,"
    " accepted_by INTEGER, source_row INTEGER, search_norm VARCHAR(200), search_grams TEXT)"
)
# "WHERE TRUE" lets SQLite parse INSERT ... SELECT ... ON CONFLICT; PostgreSQL accepts it too.
UPSERT_ENTERPRISES = """
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
UPSERT_ENTRIES = """
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
COUNT_KNOWN = "SELECT COUNT(*) FROM roster_import_rows r JOIN enterprises e ON e.uscc = r.uscc"
SQLITE_CACHE_KIB = 16384  # a bigger page cache (16 MB, default 2 MB) while 100,000 rows of index entries go in


@dataclass
class WriteStats:
    created: int = 0  # enterprises new to the system
    updated: int = 0  # enterprises already known (name, district, contacts refreshed)
    eligible: int = 0
    ineligible: int = 0


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stamp(conn: Connection, moment: datetime) -> Any:
    """The timestamp as the UTCDateTime column would bind it (once, not per row)."""
    column_type = UTCDateTime().dialect_impl(conn.dialect)
    process = column_type.bind_processor(conn.dialect)
    return process(moment) if process else moment


def _tuples(entries: Sequence[Entry], accepted_by: dict[int, int]) -> Iterator[tuple[Any, ...]]:
    for e in entries:
        norm, grams = search_fields(e.name)
        yield (
            e.uscc,
            e.name,
            e.district_id,
            e.contact_name,
            e.mobile,
            e.email,
            e.cents,
            e.eligible,
            accepted_by.get(e.row),
            e.row,
            norm,
            grams,
        )


def _load(conn: Connection, rows: Iterator[tuple[Any, ...]], progress: Callable[[float], None] | None, n: int) -> None:
    """Stage the rows in a temporary table: COPY on PostgreSQL, executemany on SQLite."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    done = 0
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {TEMP} ({', '.join(TEMP_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if progress and done % CHUNK == 0:
                        progress(0.6 * done / n)
        else:
            insert = "INSERT INTO roster_import_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == CHUNK:
                    cursor.executemany(insert, batch)
                    done += len(batch)
                    batch.clear()
                    if progress:
                        progress(0.6 * done / n)
            if batch:
                cursor.executemany(insert, batch)
    finally:
        cursor.close()


def write(
    entries: Sequence[Entry],
    *,
    programme_id: int,
    roster_id: int,
    now: datetime,
    accepted_by: dict[int, int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> WriteStats:
    """Upsert the enterprises (by USCC) and their entries on `roster_id` (by enterprise), set-based:
    the rows are staged once in a temporary table, then two INSERT ... SELECT ... ON CONFLICT."""
    conn = db.session.connection()
    sqlite = conn.dialect.name == "sqlite"
    stamp = _stamp(conn, now)
    stats = WriteStats()
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TEMP}")
    conn.exec_driver_sql(TEMP_DDL)
    previous_cache = None
    if sqlite:
        previous_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        _load(conn, _tuples(entries, accepted_by or {}), progress, max(len(entries), 1))
        stats.updated = int(conn.execute(text(COUNT_KNOWN)).scalar() or 0)
        stats.created = len(entries) - stats.updated
        conn.execute(text(UPSERT_ENTERPRISES), {"stamp": stamp})
        if progress:
            progress(0.8)
        conn.execute(
            text(UPSERT_ENTRIES),
            {"stamp": stamp, "roster_id": roster_id, "programme_id": programme_id, "status": str(EntryStatus.LISTED)},
        )
        if progress:
            progress(1.0)
    finally:
        if previous_cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(previous_cache)}")
    conn.exec_driver_sql(f"DROP TABLE {TEMP}")
    stats.eligible = sum(1 for e in entries if e.eligible)
    stats.ineligible = len(entries) - stats.eligible
    return stats
