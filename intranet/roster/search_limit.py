"""The last guard of a board search: its statements run at most SEARCH_TIMEOUT_MS, then fail like an
unavailable database (503 with `Retry-After`). PostgreSQL: `SET LOCAL statement_timeout` (and serial
plans, never compiled); SQLite: a progress handler."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from ..extensions import db

SEARCH_TIMEOUT_MS = 2000  # a last guard: an indexed search takes milliseconds

_PG_SETTINGS = ("statement_timeout", "max_parallel_workers_per_gather", "jit", "enable_sort")
_PG_LIMIT = text(
    "SELECT "
    + ", ".join(f"current_setting('{name}')" for name in _PG_SETTINGS)
    + ", set_config('statement_timeout', :timeout, true), set_config('max_parallel_workers_per_gather', '0', true)"
    + ", set_config('jit', 'off', true)"
    + ", set_config('enable_sort', CASE WHEN :ordered THEN 'off' ELSE current_setting('enable_sort') END, true)"
)
_PG_RESTORE = text("SELECT " + ", ".join(f"set_config('{name}', :s{i}, true)" for i, name in enumerate(_PG_SETTINGS)))


@contextmanager
def time_limit(ms: int | None = None, *, ordered: bool = False) -> Iterator[None]:
    """Statements inside run at most about `ms` (default SEARCH_TIMEOUT_MS) milliseconds, then fail
    with OperationalError (the request answers 503).

    On PostgreSQL their plans are serial and never JIT-compiled: a parallel worker's start-up or a
    compilation costs more than a capped search. `ordered`: they also read rows in an index's order
    rather than sort them (without statistics the planner took the USCC prefix "91", held by the whole
    board, for one row, bitmapped every entry and sorted them); a sort no plan can avoid (a page of
    at most COUNT_CAP ids) still runs."""
    limit = SEARCH_TIMEOUT_MS if ms is None else ms
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
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
