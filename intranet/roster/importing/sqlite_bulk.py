"""SQLite side of the bulk roster write: staging rows with multi-row INSERTs, and keeping the
full-text index of roster entries up to date set-based (one statement per batch) instead of by
migration 0003's per-row trigger.

Both run inside the writer's transaction; nothing here commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import suppress
from functools import lru_cache
from itertools import chain
from typing import Any

ROWS_PER_INSERT = 500  # rows bound to one INSERT ... VALUES (...), (...) statement (capped by the variable limit)

# migration 0003: each inserted entry is added to roster_entries_fts by this trigger, one row at a time
FTS_INSERT_TRIGGER = "roster_entries_fts_ai"
FTS_CATCH_UP = (
    "INSERT INTO roster_entries_fts(rowid, search_grams) SELECT id, search_grams FROM roster_entries WHERE id > ?"
)
MAX_ID = "SELECT COALESCE(MAX(id), 0) FROM roster_entries"
ROWID_CEILING = 2**62  # far below 2**63 - 1, past which SQLite stops giving new rows MAX(id) + 1


@lru_cache(maxsize=8)
def _values_sql(table: str, width: int, rows: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return f"INSERT INTO {table} VALUES " + ", ".join([row] * rows)  # noqa: S608 - constant names


def stage(raw: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (all of one width) into `table` a few hundred rows per statement: one
    sqlite3_step per statement instead of one per row (a third faster than executemany)."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, min(ROWS_PER_INSERT, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    flat = list(chain.from_iterable(rows))
    step = per * width
    whole = len(rows) // per * step
    cursor = raw.cursor()
    try:
        sql = _values_sql(table, width, per)
        for start in range(0, whole, step):
            cursor.execute(sql, flat[start : start + step])
        if whole < len(flat):
            cursor.execute(_values_sql(table, width, (len(flat) - whole) // width), flat[whole:])
    finally:
        cursor.close()


class DeferredSearchIndex:
    """Adds a whole batch of new roster entries to the FTS index in one INSERT ... SELECT.

    On entering, the per-row insert trigger is dropped — inside the import's transaction, so no
    other connection ever sees the schema without it, and a rollback (any failure, a crash) puts it
    back. `catch_up` then indexes every entry inserted since the last call (new rows get ids above
    the highest one: SQLite gives a new row MAX(id) + 1), and `restore` indexes the rest and
    creates the trigger again from its own stored SQL, so the committed schema is unchanged.

    Updated entries (a re-import) are still re-indexed by the update trigger, which is kept: the
    rows it touches are indexed already (entries that existed before, or entries inserted by an
    earlier batch and caught up). Each entry is written once per import (a USCC appearing twice in
    a file is refused), so no row inserted in a batch is updated within that batch."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.trigger_sql: str | None = None
        self.high = 0
        cursor = raw.cursor()
        try:
            found = cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_INSERT_TRIGGER,)
            ).fetchone()
            if found is None:
                return  # no such trigger (another schema): nothing to defer
            self.high = int(cursor.execute(MAX_ID).fetchone()[0])
            if self.high >= ROWID_CEILING:
                return  # new ids might not be above the highest one: leave the trigger alone
            cursor.execute(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
            self.trigger_sql = str(found[0])
        finally:
            cursor.close()

    @property
    def active(self) -> bool:
        return self.trigger_sql is not None

    def catch_up(self) -> None:
        """Index the entries inserted since the last call."""
        if not self.active:
            return
        cursor = self.raw.cursor()
        try:
            cursor.execute(FTS_CATCH_UP, (self.high,))
            self.high = int(cursor.execute(MAX_ID).fetchone()[0])
        finally:
            cursor.close()

    def restore(self) -> None:
        """Index what is left and put the trigger back (idempotent)."""
        if self.trigger_sql is None:
            return
        self.catch_up()
        sql, self.trigger_sql = self.trigger_sql, None
        self.raw.execute(sql)


def temporary_data_in_memory(raw: Any) -> None:
    """Keep this connection's temporary tables and statement journals in memory instead of temp
    files (a 100,000-row import stages each batch in a temporary table and its set-based statements
    journal tens of MB: as files, that is some 40,000 write() calls). Statement journals follow the
    setting from the next write transaction on, so call this before it begins. SQLite refuses the
    change once the connection has temporary tables open in a transaction: then it stays as it is."""
    with suppress(sqlite3.OperationalError):
        raw.execute("PRAGMA temp_store=MEMORY")
