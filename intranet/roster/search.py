"""Substring search over roster names: normalised text and its character bigrams.

A query of n ≥ 2 characters matches a name exactly when the query's n−1 bigrams occur
consecutively in the name's bigram sequence (SQLite FTS5 phrase query, PostgreSQL array
containment plus a recheck). The indexes are built by migration 0003.

The public board reads only name, USCC and district here: export amounts and contacts are
never selected, so they cannot leak into a page.

Every name search starts from the full-text matches (SQLite: `CROSS JOIN` fixes the join order, so
the planner can never walk the board and re-run the phrase per entry, whatever its statistics say),
and runs under a time limit (`SEARCH_TIMEOUT_MS`): PostgreSQL `SET LOCAL statement_timeout`, SQLite
a progress handler. A search past it fails like an unavailable database: 503 with `Retry-After`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, text

from ..extensions import db
from ..uscc import ALPHABET, normalize_uscc

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 60
COUNT_CAP = 1000  # counts stop here ("1000+") so a very common query stays fast
PER_PAGE = 20
SEARCH_TIMEOUT_MS = 2000  # a last guard: an indexed search takes milliseconds
_USCC_LIKE = re.compile(f"^[{ALPHABET}]{{2,18}}$")


def normalize_for_search(text: str) -> str:
    """NFKC, case-folded, with spaces and punctuation removed."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def bigrams(norm: str) -> list[str]:
    return [norm[i : i + 2] for i in range(len(norm) - 1)]


def grams_for(norm: str) -> str:
    """The space-separated bigram sequence stored for the full-text index."""
    return " ".join(bigrams(norm))


@dataclass(frozen=True)
class Query:
    """A board query, classified: everything, a name substring or a USCC prefix."""

    raw: str
    norm: str
    uscc_prefix: str | None

    @property
    def is_empty(self) -> bool:
        return not self.raw

    @property
    def too_short(self) -> bool:
        return bool(self.raw) and self.uscc_prefix is None and len(self.norm) < MIN_QUERY_LENGTH


def parse_query(raw: str | None) -> Query:
    text_ = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    norm = normalize_for_search(text_)
    code = normalize_uscc(text_)
    # a USCC (or the start of one): its alphabet only, and at least one digit ("3M" aside)
    prefix = code if _USCC_LIKE.match(code) and any(ch.isdigit() for ch in code) else None
    return Query(raw=text_, norm=norm, uscc_prefix=prefix)


@dataclass(frozen=True)
class BoardRow:
    """What the public may see of an entry — and nothing else."""

    id: int
    roster_id: int
    name: str
    uscc: str
    district_zh: str | None
    district_en: str | None


@dataclass
class BoardPage:
    items: list[BoardRow]
    page: int
    per_page: int
    total: int
    capped: bool = False  # total is COUNT_CAP and there are more
    by: str = "all"  # all | name | uscc
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# The hot path is hand-written SQL (one string per dialect and kind, compiled once): the public
# board is the most requested page, and building SQLAlchemy expressions per request costs more
# than running the indexed query. Only public columns are ever selected.
_COLUMNS = "e.id, e.roster_id, e.name, e.uscc, d.name_zh, d.name_en"
_LISTED = "e.roster_id IN :ids AND e.status = 'listed' AND e.eligible = TRUE"
_DISTRICT = "LEFT JOIN districts d ON d.id = e.district_id"
_NAME = {
    # a phrase of the query's bigrams over the FTS5 index; FTS5 returns rowids in order. CROSS JOIN:
    # SQLite keeps this join order (the matches drive, entries are looked up by id); with a plain
    # JOIN and no statistics it may scan the board and re-run the phrase per entry (seconds)
    "sqlite": (
        "FROM roster_entries_fts f CROSS JOIN roster_entries e ON e.id = f.rowid {district} "
        "WHERE roster_entries_fts MATCH :fts AND {listed}",
        "ORDER BY f.rowid",
    ),
    # every bigram of the query in the name's bigram array (GIN), then the exact substring
    "postgresql": (
        "FROM roster_entries e {district} "
        "WHERE tb_bigrams(e.search_norm) @> CAST(:grams AS text[]) AND strpos(e.search_norm, :norm) > 0 AND {listed}",
        "ORDER BY e.id",
    ),
}
# a range, so the plain index on uscc serves it ("Z" sorts after every USCC character); the unary
# plus keeps SQLite off the board index (without statistics it scanned the whole board: 60 ms)
_USCC = (
    "FROM roster_entries e {district} WHERE e.uscc >= :lo AND e.uscc < :hi AND {listed}".replace(
        "{listed}", _LISTED.replace("e.roster_id IN", "+e.roster_id IN")
    ),
    "ORDER BY e.uscc, e.id",
)


_IN_DISTRICT = " AND e.district_id = :district"


@lru_cache(maxsize=64)
def _sql(kind: str, part: str, dialect: str, by_district: bool = False) -> Any:
    where, order = _USCC if kind == "uscc" else _NAME[dialect]
    # every WHERE ends with the listed-entries condition: a district filter is one more
    where += _IN_DISTRICT if by_district else ""
    if part == "count":
        body = where.format(district="", listed=_LISTED)
        sql = f"SELECT count(*) FROM (SELECT 1 {body} LIMIT :cap) AS matches"  # noqa: S608 - constants only
    else:
        body = where.format(district=_DISTRICT, listed=_LISTED)
        sql = f"SELECT {_COLUMNS} {body} {order} LIMIT :limit OFFSET :offset"  # noqa: S608 - constants only
    return text(sql).bindparams(bindparam("ids", expanding=True))


@lru_cache(maxsize=4)
def _browse_sql(part: str, by_district: bool) -> Any:
    listed = _LISTED + (_IN_DISTRICT if by_district else "")
    if part == "count":
        sql = f"SELECT count(*) FROM roster_entries e WHERE {listed}"  # noqa: S608 - constants only
    else:
        # deep pages skip entries of the covering index (roster_id, status, eligible), not rows
        sql = (
            f"SELECT {_COLUMNS} FROM roster_entries e {_DISTRICT} WHERE e.id IN ("  # noqa: S608 - constants only
            f"SELECT e.id FROM roster_entries e WHERE {listed} ORDER BY e.id LIMIT :limit OFFSET :offset) "
            "ORDER BY e.id"
        )
    return text(sql).bindparams(bindparam("ids", expanding=True))


_BY_USCC = text(
    f"SELECT {_COLUMNS} FROM roster_entries e {_DISTRICT} WHERE e.uscc = :uscc AND {_LISTED} "  # noqa: S608
    "ORDER BY e.roster_id DESC LIMIT 1"
).bindparams(bindparam("ids", expanding=True))
_DISTRICTS = text("SELECT id, name_zh, name_en FROM districts ORDER BY sort, id")


def _run(statement: Any, params: dict[str, Any]) -> Any:
    """Core execution on the session's connection (same transaction, none of the ORM's overhead)."""
    return db.session.connection().execute(statement, params)


def _last_page(page: int, total: int, per_page: int) -> int:
    return max(1, min(page, -(-total // per_page)))


def _browse(roster_ids: list[int], page: int, per_page: int, district: int | None = None) -> BoardPage:
    by_district = district is not None
    where: dict[str, Any] = {"ids": roster_ids, **({"district": district} if by_district else {})}
    total = _run(_browse_sql("count", by_district), where).scalar() or 0
    page = _last_page(page, total, per_page)
    params = {**where, "limit": per_page, "offset": (page - 1) * per_page}
    rows = _run(_browse_sql("page", by_district), params).all()
    return BoardPage(items=[BoardRow(*row) for row in rows], page=page, per_page=per_page, total=total, by="all")


def fts_phrase(norm: str) -> str:
    """The FTS5 query for a normalised text: the phrase of its bigrams (alphanumerics only)."""
    return '"' + " ".join(bigrams(norm)) + '"'


@contextmanager
def time_limit(ms: int | None = None) -> Iterator[None]:
    """Statements inside run at most about `ms` (default SEARCH_TIMEOUT_MS) milliseconds, then fail
    with OperationalError (the request answers 503)."""
    limit = SEARCH_TIMEOUT_MS if ms is None else ms
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(limit))}")
        yield  # after an error the transaction is rolled back, and the setting with it
        connection.exec_driver_sql("SET LOCAL statement_timeout = DEFAULT")
        return
    raw: Any = connection.connection.driver_connection
    deadline = time.monotonic() + limit / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # nonzero: interrupt
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _matches(kind: str, params: dict[str, Any], page: int, per_page: int) -> BoardPage:
    with time_limit():
        return _matches_now(kind, params, page, per_page)


def _matches_now(kind: str, params: dict[str, Any], page: int, per_page: int) -> BoardPage:
    dialect = db.engine.dialect.name
    by_district = params.get("district") is not None
    if not by_district:
        params = {k: v for k, v in params.items() if k != "district"}
    total = _run(_sql(kind, "count", dialect, by_district), {**params, "cap": COUNT_CAP + 1}).scalar() or 0
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    page = _last_page(page, total, per_page)
    window = {**params, "limit": per_page, "offset": (page - 1) * per_page}
    rows = _run(_sql(kind, "page", dialect, by_district), window).all()
    items = [BoardRow(*row) for row in rows]
    return BoardPage(items=items, page=page, per_page=per_page, total=total, capped=capped, by=kind)


def search_board(
    roster_ids: list[int], query: Query, page: int = 1, per_page: int = PER_PAGE, *, district: int | None = None
) -> BoardPage:
    """One page of the listed, eligible entries of `roster_ids` (in `district` when given) matching
    `query`, in a stable order.

    Name matches are ordered by entry id, USCC matches by USCC; counts stop at COUNT_CAP."""
    if not roster_ids or query.too_short:
        return BoardPage(items=[], page=1, per_page=per_page, total=0, by="none")
    if query.is_empty:
        return _browse(roster_ids, page, per_page, district)
    if query.uscc_prefix:
        prefix = query.uscc_prefix
        uscc = {"ids": roster_ids, "lo": prefix, "hi": prefix + "Z", "district": district}
        found = _matches("uscc", uscc, page, per_page)
        if found.total or len(query.norm) < MIN_QUERY_LENGTH:
            return found
    params: dict[str, Any] = {"ids": roster_ids, "district": district}
    if db.engine.dialect.name == "sqlite":
        params["fts"] = fts_phrase(query.norm)
    else:
        params["grams"] = sorted(set(bigrams(query.norm)))
        params["norm"] = query.norm
    return _matches("name", params, page, per_page)


@dataclass(frozen=True)
class DistrictOption:
    id: int
    name_zh: str
    name_en: str


def district_options() -> list[DistrictOption]:
    """The districts a board can be filtered by (the reference table: a dozen rows)."""
    return [DistrictOption(*row) for row in _run(_DISTRICTS, {}).all()]


def find_public_entry(roster_ids: list[int], uscc: str) -> BoardRow | None:
    """The listed entry with exactly this USCC on one of `roster_ids` (latest roster first)."""
    if not roster_ids:
        return None
    row = _run(_BY_USCC, {"ids": roster_ids, "uscc": normalize_uscc(uscc)}).first()
    return BoardRow(*row) if row else None
