"""The last guard of a board search: its statements run at most SEARCH_TIMEOUT_MS, then fail like an
unavailable database (503 with `Retry-After`). PostgreSQL: `SET LOCAL statement_timeout` (and serial
plans); SQLite: a progress handler."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from ..extensions import db

SEARCH_TIMEOUT_MS = 2000  # a last guard: an indexed search takes milliseconds

_PG_SETTINGS = ("statement_timeout", "max_parallel_workers_per_gather", "enable_bitmapscan", "enable_sort")
_PG_LIMIT = text(
    "SELECT "
    + ", ".join(f"current_setting('{name}')" for name in _PG_SETTINGS)
    + ", set_config('statement_timeout', :timeout, true), set_config('max_parallel_workers_per_gather', '0', true)"
    # an ordered search walks its index in order and stops at the page: without statistics the planner
    # estimates one match and would rather bitmap every match of "91" (the whole board) and sort it
    + "".join(
        f", set_config('{name}', CASE WHEN :ordered THEN 'off' ELSE current_setting('{name}') END, true)"
        for name in ("enable_bitmapscan", "enable_sort")
    )
)
_PG_RESTORE = text("SELECT " + ", ".join(f"set_config('{name}', :s{i}, true)" for i, name in enumerate(_PG_SETTINGS)))


@contextmanager
def time_limit(ms: int | None = None, *, ordered: bool = False) -> Iterator[None]:
    """Statements inside run at most about `ms` (default SEARCH_TIMEOUT_MS) milliseconds, then fail
    with OperationalError (the request answers 503). `ordered`: on PostgreSQL they also read their
    index in order, never a bitmap of every match to be sorted (the USCC prefix search)."""
    limit = SEARCH_TIMEOUT_MS if ms is None else ms
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # serial plans too: a parallel worker's start-up costs more than a capped search
        before = connection.execute(_PG_LIMIT, {"timeout": str(max(1, int(limit))), "ordered": ordered}).one()
        yield  # after an error the transaction is rolled back, and the settings with it
        connection.execute(_PG_RESTORE, {f"s{i}": before[i] for i in range(len(_PG_SETTINGS))})
        return
    raw: Any = connection.connection.driver_connection
    deadline = time.monotonic() + limit / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # nonzero: interrupt
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)
