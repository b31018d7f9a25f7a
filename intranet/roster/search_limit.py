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

_PG_LIMIT = text(
    "SELECT current_setting('statement_timeout'), current_setting('max_parallel_workers_per_gather'), "
    "set_config('statement_timeout', :timeout, true), set_config('max_parallel_workers_per_gather', :workers, true)"
)


@contextmanager
def time_limit(ms: int | None = None) -> Iterator[None]:
    """Statements inside run at most about `ms` (default SEARCH_TIMEOUT_MS) milliseconds, then fail
    with OperationalError (the request answers 503)."""
    limit = SEARCH_TIMEOUT_MS if ms is None else ms
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # serial plans too: a parallel worker's start-up costs more than a capped search
        before = connection.execute(_PG_LIMIT, {"timeout": str(max(1, int(limit))), "workers": "0"}).one()
        yield  # after an error the transaction is rolled back, and the settings with it
        connection.execute(_PG_LIMIT, {"timeout": before[0], "workers": before[1]})
        return
    raw: Any = connection.connection.driver_connection
    deadline = time.monotonic() + limit / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # nonzero: interrupt
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)
