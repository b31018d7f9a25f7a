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

_PG_SETTINGS = ("statement_timeout", "max_parallel_workers_per_gather", "jit", "enable_bitmapscan", "enable_sort")
_ORDERED = ("enable_bitmapscan", "enable_sort")
_PG_LIMIT = text(
    "SELECT "
    + ", ".join(f"current_setting('{name}')" for name in _PG_SETTINGS)
    + ", set_config('statement_timeout', :timeout, true), set_config('max_parallel_workers_per_gather', '0', true)"
    + ", set_config('jit', 'off', true)"
    # an ordered search walks its index in order and stops at the page: without statistics the planner
    # estimates one match and would rather bitmap every match of "91" (the whole board) and sort it
    + "".join(
        f", set_config('{name}', CASE WHEN :ordered THEN 'off' ELSE current_setting('{name}') END, true)"
        for name in _ORDERED
    )
)
_PG_RESTORE = text("SELECT " + ", ".join(f"set_config('{name}', :s{i}, true)" for i, name in enumerate(_PG_SETTINGS)))
_PG_UNORDER = text("SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in _ORDERED))


class Limit:
    """The limit in force (what `time_limit` yields)."""

    def __init__(self, connection: Any, before: dict[str, str] | None, ordered: bool) -> None:
        self._connection, self._before, self.ordered = connection, before, ordered

    def unordered(self) -> None:
        """From here on, plans may bitmap and sort again (PostgreSQL: the settings from before)."""
        if self.ordered and self._before is not None:
            self._connection.execute(_PG_UNORDER, {name: self._before[name] for name in _ORDERED})
        self.ordered = False


@contextmanager
def time_limit(ms: int | None = None, *, ordered: bool = False) -> Iterator[Limit]:
    """Statements inside run at most about `ms` (default SEARCH_TIMEOUT_MS) milliseconds, then fail
    with OperationalError (the request answers 503). `ordered`: on PostgreSQL they also read their
    index in order, never a bitmap of every match to be sorted (the USCC prefix search), until
    `Limit.unordered()`."""
    limit = SEARCH_TIMEOUT_MS if ms is None else ms
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # serial plans, never compiled: a parallel worker's start-up or a JIT compilation costs more than
        # a capped search (and a plan told to avoid a sort it cannot avoid is costed high enough for JIT)
        row = connection.execute(_PG_LIMIT, {"timeout": str(max(1, int(limit))), "ordered": ordered}).one()
        before = dict(zip(_PG_SETTINGS, row, strict=False))
        # after an error the transaction is rolled back, and the settings with it
        yield Limit(connection, before, ordered)
        connection.execute(_PG_RESTORE, {f"s{i}": before[name] for i, name in enumerate(_PG_SETTINGS)})
        return
    raw: Any = connection.connection.driver_connection
    deadline = time.monotonic() + limit / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # nonzero: interrupt
    try:
        yield Limit(connection, None, ordered)
    finally:
        raw.set_progress_handler(None, 0)
