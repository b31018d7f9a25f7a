"""Bulk upserts of enterprises and roster entries: batches staged in a temporary table (COPY, or
multi-row INSERTs on SQLite), then moved into place set-based (INSERT ... SELECT ... ON CONFLICT) in
a worker thread.

Runs inside the caller's transaction: a failure anywhere rolls everything back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, text

from ...coltypes import UTCDateTime
from ...database import foreign_keys_enforced
from ...extensions import db
from ..models import EntryStatus
from . import sqlite_bulk
from .references import References
from .validate import Entry, search_columns

CHUNK = 10_000  # rows per batch: staged, then upserted while the next batch is prepared
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
# SQLite: new enterprises get ids above the highest one, so counting them is a range scan, not a join
MAX_ENTERPRISE_ID = "SELECT COALESCE(MAX(id), 0) FROM enterprises"
CREATED_SINCE = "SELECT COUNT(*) FROM enterprises WHERE id > ?"
CLEAR = "DELETE FROM roster_import_rows"
SQLITE_CACHE_KIB = 16384  # a bigger page cache (16 MB, default 2 MB) while 100,000 rows of index entries go in


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


def _stamp(conn: Connection, moment: datetime) -> Any:
    """The timestamp as the UTCDateTime column would bind it (once, not per row)."""
    column_type = UTCDateTime().dialect_impl(conn.dialect)
    process = column_type.bind_processor(conn.dialect)
    return process(moment) if process else moment


def _tuples(entries: Sequence[Entry], accepted_by: dict[int, int]) -> list[tuple[Any, ...]]:
    norms, grams = search_columns([e.name for e in entries])
    return [
        (
            e.uscc,
            e.name,
            e.district_id,
            e.contact_name,
            e.mobile,
            e.email,
            e.cents,
            e.eligible,
            accepted_by.get(e.row) if accepted_by else None,
            e.row,
            norm,
            gram,
        )
        for e, norm, gram in zip(entries, norms, grams, strict=True)
    ]


def _load(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Stage the rows in the temporary table: COPY on PostgreSQL, multi-row INSERTs on SQLite."""
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name != "postgresql":
        sqlite_bulk.stage(raw, TEMP, rows)
        return
    cursor = raw.cursor()
    try:
        with cursor.copy(f"COPY {TEMP} ({', '.join(TEMP_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


class Writer:
    """Upserts the enterprises (by USCC) and their entries on one roster (by enterprise), set-based,
    inside the caller's transaction: each batch of rows is staged in a temporary table, then two
    INSERT ... SELECT ... ON CONFLICT statements move it into place.

    The set-based statements run in a worker thread: SQLite (inside sqlite3_step) and PostgreSQL
    (in the server) do that work without the GIL, so the caller reads and validates the next batch
    meanwhile. Only one thread uses the connection at a time: `add` waits for the previous batch's
    statements before it stages the next. Use as a context manager (the worker is always joined).

    On SQLite the statements go straight to the driver's connection (no SQLAlchemy round trip
    between them: fewer hand-overs of the GIL), and new entries enter the full-text index one batch
    at a time (`sqlite_bulk.DeferredSearchIndex`) instead of through the per-row trigger. When the
    connection does not check foreign keys (a SQLite bulk write, database.bulk_write), each batch's
    references are checked by `references.References` instead."""

    def __init__(
        self, *, programme_id: int, roster_id: int, now: datetime, accepted_by: dict[int, int] | None = None
    ) -> None:
        self.conn = db.session.connection()
        self.sqlite = self.conn.dialect.name == "sqlite"
        self.accepted_by = accepted_by or {}
        self.params = {
            "stamp": _stamp(self.conn, now),
            "roster_id": roster_id,
            "programme_id": programme_id,
            "status": str(EntryStatus.LISTED),
        }
        self.stats = WriteStats()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._previous_cache: int | None = None
        self._raw: Any = self.conn.connection.driver_connection if self.sqlite else None
        self._search_index: sqlite_bulk.DeferredSearchIndex | None = None
        self._references: References | None = None
        if not foreign_keys_enforced(self.conn):
            self._references = References(self.conn, roster_id=roster_id, programme_id=programme_id)

    def __enter__(self) -> Writer:
        conn = self.conn
        if self.sqlite:
            self._previous_cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or 0)
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TEMP}")
        conn.exec_driver_sql(TEMP_DDL)
        if self.sqlite:
            self._search_index = sqlite_bulk.DeferredSearchIndex(self._raw)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-import-writer")
        return self

    def add(self, entries: Sequence[Entry]) -> None:
        """Stage `entries` (computing their search columns) and start their upserts."""
        if not entries:
            return
        rows = _tuples(entries, self.accepted_by)
        self.wait()  # the connection is free from here on
        if self._references is not None:
            self._references.check(entries, self.accepted_by)
        _load(self.conn, rows)
        eligible = sum(1 for e in entries if e.eligible)
        self.stats.eligible += eligible
        self.stats.ineligible += len(entries) - eligible
        assert self._pool is not None, "use Writer as a context manager"
        self._pending = self._pool.submit(self._upsert, len(rows))

    def _upsert(self, count: int) -> None:
        if self.sqlite:
            known = self._sqlite_upsert(count)
        else:
            conn = self.conn
            known = int(conn.execute(text(COUNT_KNOWN)).scalar() or 0)
            conn.execute(text(UPSERT_ENTERPRISES), {"stamp": self.params["stamp"]})
            conn.execute(text(UPSERT_ENTRIES), self.params)
            conn.exec_driver_sql(CLEAR)
        self.stats.updated += known
        self.stats.created += count - known

    def _sqlite_upsert(self, count: int) -> int:
        """The same statements through the sqlite3 connection (it takes the `:name` parameters)."""
        cursor = self._raw.cursor()
        try:
            high = int(cursor.execute(MAX_ENTERPRISE_ID).fetchone()[0])
            known = None
            if high >= sqlite_bulk.ROWID_CEILING:  # new ids might not be above it: count by USCC
                known = int(cursor.execute(COUNT_KNOWN).fetchone()[0] or 0)
            cursor.execute(UPSERT_ENTERPRISES, {"stamp": self.params["stamp"]})
            if known is None:
                known = count - int(cursor.execute(CREATED_SINCE, (high,)).fetchone()[0])
            cursor.execute(UPSERT_ENTRIES, self.params)
            cursor.execute(CLEAR)
        finally:
            cursor.close()
        if self._search_index is not None:
            self._search_index.catch_up()
        return known

    def wait(self) -> None:
        """Block until the last batch is in place; re-raises its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def finish(self) -> WriteStats:
        self.wait()
        if self._search_index is not None:
            self._search_index.restore()
        self.conn.exec_driver_sql(f"DROP TABLE {TEMP}")
        return self.stats

    def __exit__(self, *exc: object) -> None:
        try:
            if self._pending is not None:
                wait([self._pending])  # never leave a statement running on a connection about to roll back
                self._pending = None
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            if self._search_index is not None and self._search_index.active:
                # not finished (an error): the caller rolls back, which brings the trigger back anyway;
                # restoring it here too means even a caller that commits regardless keeps its index whole
                with suppress(Exception):  # the original error is what matters; the rollback restores it
                    self._search_index.restore()
            if self._previous_cache is not None:
                self.conn.exec_driver_sql(f"PRAGMA cache_size={self._previous_cache}")


def write(
    entries: Sequence[Entry],
    *,
    programme_id: int,
    roster_id: int,
    now: datetime,
    accepted_by: dict[int, int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> WriteStats:
    """Upsert checked entries in batches of CHUNK (the next batch is staged while the previous
    one's upserts run)."""
    total = max(len(entries), 1)
    done = 0
    with Writer(programme_id=programme_id, roster_id=roster_id, now=now, accepted_by=accepted_by) as writer:
        for batch in chunks(entries):
            writer.add(batch)
            done += len(batch)
            if progress:
                progress(done / total)
        return writer.finish()
