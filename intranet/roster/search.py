"""Substring search over roster names: normalised text, its character bigrams and trigrams.

A query of 2 characters is one bigram (the bigram index of migration 0003: SQLite FTS5 over
search_grams, PostgreSQL GIN over tb_bigrams). A longer one asks the trigram index of 0020 (SQLite
FTS5 'trigram' over search_norm, PostgreSQL GIN over tb_trigrams) for the names holding its
trigrams, and the exact substring is rechecked on those few candidates: on names sharing a stem
(深圳市某某NNNNNN贸易有限公司) every bigram of a fragment is common, its trigrams are not.

The public board reads only name, USCC and district here: export amounts and contacts are
never selected, so they cannot leak into a page.

Every name search starts from the full-text matches (SQLite: `CROSS JOIN` fixes the join order;
both: the unary plus keeps the board's own indexes out of the plan), so the planner never walks the
board computing the search per entry, whatever its statistics say; it fetches at most
COUNT_CAP + 1 ids (on PostgreSQL a common word is read from the start of the board instead of a
GIN bitmap of the whole board) and, in the same statement, the page's rows. Each search runs under
a time limit (`search_limit.SEARCH_TIMEOUT_MS`): PostgreSQL `SET LOCAL statement_timeout`, SQLite a
progress handler. A search past it fails like an unavailable database: 503 with `Retry-After`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, text

from ..extensions import db
from ..uscc import ALPHABET, normalize_uscc
from .search_limit import time_limit

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 60
# counts stop here ("200+": narrow it down): a fragment in hundreds of names finds nobody in particular,
# and counting them all is most of such a search's work (the plain board still pages through everything)
COUNT_CAP = 200
RARE_TERM = 1000  # SQLite: a trigram held by at most this many names picks the candidates alone
PER_PAGE = 20
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
# the unary plus keeps the planner off the board's own indexes (roster_id first): without statistics
# they look selective, and the plan then walked the board computing the search per entry (seconds)
_LISTED_AFTER = _LISTED.replace("e.roster_id IN", "+e.roster_id IN")
_DISTRICT = "LEFT JOIN districts d ON d.id = e.district_id"
# Name searches fetch the ids of at most COUNT_CAP + 1 matches in one pass that starts from the
# full-text index, and the page's rows by id in the same statement. A query of 2 characters is one
# bigram; a longer one asks for trigrams (migration 0020), orders of magnitude rarer than bigrams on
# names sharing a stem, and the exact substring is rechecked on the few candidates.
_NAME_IDS = {
    # FTS5 returns rowids in order. CROSS JOIN: SQLite keeps this join order (the matches drive,
    # entries are looked up by id), whatever its statistics say
    ("sqlite", 2): "SELECT e.id FROM roster_entries_fts f CROSS JOIN roster_entries e ON e.id = f.rowid "
    "WHERE roster_entries_fts MATCH :match AND {listed} ORDER BY f.rowid LIMIT :cap",
    ("sqlite", 3): "SELECT e.id FROM roster_entries_tri f CROSS JOIN roster_entries e ON e.id = f.rowid "
    "WHERE roster_entries_tri MATCH :match AND instr(e.search_norm, :norm) > 0 AND {listed} "
    "ORDER BY f.rowid LIMIT :cap",
    # every gram of the query in the name's gram array (GIN: a bitmap, in storage order), then the
    # substring. OFFSET 0 keeps the inner query apart: its only conditions are the grams and the
    # substring, so its one plan is the GIN index (the gram functions are costed as expensive)
    ("postgresql", 2): "SELECT s.id FROM (SELECT e.id, e.roster_id, e.status, e.eligible, e.district_id "
    "FROM roster_entries e "
    "WHERE tb_bigrams(e.search_norm) @> CAST(:grams AS text[]) AND strpos(e.search_norm, :norm) > 0 OFFSET 0) AS s "
    "WHERE {listed} LIMIT :cap",
    ("postgresql", 3): "SELECT s.id FROM (SELECT e.id, e.roster_id, e.status, e.eligible, e.district_id "
    "FROM roster_entries e "
    "WHERE tb_trigrams(e.search_norm) @> CAST(:grams AS text[]) AND strpos(e.search_norm, :norm) > 0 OFFSET 0) AS s "
    "WHERE {listed} LIMIT :cap",
}
# PostgreSQL's GIN index answers with a bitmap of *every* entry holding the grams: for a common word
# (深圳, in nine names of ten) that is the whole board. So a word is first looked for in the latest
# DENSE_PROBE entries (the primary key backwards; the board under notice is the latest roster): when
# they hold more than COUNT_CAP matches, those answer ("200+"); otherwise the index does, and its
# bitmap then holds under a fifth of the board. Either way the work is capped, whatever the statistics
# say. Every other word pays for the probe (about 0.8 ms per 1,000 entries), so it is 5 × COUNT_CAP.
DENSE_PROBE = 5 * COUNT_CAP
_DENSE_IDS = (
    "SELECT s.id FROM (SELECT e.id, e.roster_id, e.status, e.eligible, e.district_id, e.search_norm "
    "FROM roster_entries e "
    "ORDER BY e.id DESC LIMIT :probe) AS s WHERE {listed} AND strpos(s.search_norm, :norm) > 0 LIMIT :cap"
)
# One round trip: how many matches there are (up to COUNT_CAP + 1, counted by the database) and the
# public columns of one page of them (part 0: the count; part 1: the rows). On PostgreSQL the GIN
# part runs only when the probe found too few (an uncorrelated condition: a one-time filter, the
# branch is never started otherwise).
_COUNTED_PAGE = (
    "WITH {ctes} SELECT 0, count(*), NULL, NULL, NULL, NULL, NULL FROM m UNION ALL "  # noqa: S608 - constants only
    f"SELECT 1, {_COLUMNS} FROM ({{page}}) AS p JOIN roster_entries e ON e.id = p.id {_DISTRICT}"
)
_NAME_PAGE = "SELECT id FROM m ORDER BY id LIMIT :limit OFFSET :offset"
_MATCHES = {
    "sqlite": "m AS MATERIALIZED ({ids})",
    "postgresql": "dense AS MATERIALIZED ({dense}), m AS MATERIALIZED ("
    "SELECT id FROM dense WHERE (SELECT count(*) FROM dense) > :full UNION ALL "
    "SELECT g.id FROM ({ids}) AS g WHERE (SELECT count(*) FROM dense) <= :full)",
}
# A USCC prefix: a range, so the (uscc, id) index serves it ("Z" sorts after every USCC character),
# in order and up to the cap (migration 0021; searches run `ordered`: no plan sorts what an index
# reads in order, see `search_limit`); the page is picked by position in that order
_USCC_MATCHES = (
    "m AS MATERIALIZED (SELECT e.id, row_number() OVER (ORDER BY e.uscc, e.id) AS n FROM roster_entries e "
    "WHERE e.uscc >= :lo AND e.uscc < :hi AND {listed} ORDER BY e.uscc, e.id LIMIT :cap)"
)
_USCC_PAGE = "SELECT id FROM m WHERE n > :offset AND n <= :offset + :limit"


# the board filtered by one district: one more condition after the listed entries
_IN_DISTRICT = " AND e.district_id = :district"


@lru_cache(maxsize=64)
def _sql(kind: str, dialect: str = "", size: int = 3, by_district: bool = False) -> Any:
    """The counted page (`_COUNTED_PAGE`) of `kind`: uscc (a prefix), or name (by bigrams when `size`
    is 2, trigrams when 3) on `dialect`, in one district when `by_district`."""
    in_district = _IN_DISTRICT if by_district else ""
    if kind == "uscc":
        ctes = _USCC_MATCHES.format(listed=_LISTED_AFTER + in_district)
        return text(_COUNTED_PAGE.format(ctes=ctes, page=_USCC_PAGE)).bindparams(bindparam("ids", expanding=True))
    listed = _LISTED_AFTER + in_district if dialect == "sqlite" else (_LISTED + in_district).replace("e.", "s.")
    ids = _NAME_IDS[(dialect, size)].format(listed=listed)
    ctes = _MATCHES[dialect].format(ids=ids, dense=_DENSE_IDS.format(listed=listed))
    return text(_COUNTED_PAGE.format(ctes=ctes, page=_NAME_PAGE)).bindparams(bindparam("ids", expanding=True))


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


def _in(district: int | None) -> dict[str, Any]:
    """The district parameter, when the board is filtered by one."""
    return {} if district is None else {"district": district}


def _browse(roster_ids: list[int], page: int, per_page: int, district: int | None = None) -> BoardPage:
    where: dict[str, Any] = {"ids": roster_ids, **_in(district)}
    total = _run(_browse_sql("count", district is not None), where).scalar() or 0
    page = _last_page(page, total, per_page)
    params = {**where, "limit": per_page, "offset": (page - 1) * per_page}
    rows = _run(_browse_sql("page", district is not None), params).all()
    return BoardPage(items=[BoardRow(*row) for row in rows], page=page, per_page=per_page, total=total, by="all")


def trigram_cover(norm: str) -> list[str]:
    """Trigrams of `norm` that cover every character (every third one, and the last): together with
    the substring recheck they find exactly the names holding `norm`, with few terms to intersect."""
    starts = list(range(0, len(norm) - 2, 3))
    if starts[-1] != len(norm) - 3:
        starts.append(len(norm) - 3)
    return [norm[i : i + 3] for i in starts]


def fts_match(norm: str) -> str:
    """The SQLite FTS5 query for a normalised text (alphanumerics only, so nothing needs escaping):
    its one bigram (2 characters, the bigram index), or its trigram cover (the trigram index)."""
    terms = [norm] if len(norm) == 2 else trigram_cover(norm)
    return " ".join(f'"{term}"' for term in terms)


@lru_cache(maxsize=8)
def _term_counts(terms: int) -> Any:
    probes = (
        f"(SELECT count(*) FROM (SELECT 1 FROM roster_entries_tri WHERE roster_entries_tri MATCH :t{i} LIMIT :cap))"  # noqa: S608 - constants only
        for i in range(terms)
    )
    return text("SELECT " + ", ".join(probes))


def _sqlite_match(norm: str) -> str:
    """The FTS5 query for `norm` on SQLite. FTS5 intersects its terms entry by entry, so a trigram
    held by every name (贸易有 on the shared-stem board) makes each candidate cost a seek in a list of
    100,000: when one trigram of the cover is rare (at most RARE_TERM names, counted up to there),
    it alone picks the candidates and the substring recheck does the rest."""
    if len(norm) == 2:
        return fts_match(norm)
    terms = [f'"{term}"' for term in trigram_cover(norm)]
    if len(terms) > 1:
        params = {f"t{i}": term for i, term in enumerate(terms)} | {"cap": RARE_TERM + 1}
        counts = list(_run(_term_counts(len(terms)), params).one())
        rarest = min(range(len(terms)), key=counts.__getitem__)
        if counts[rarest] <= RARE_TERM:
            return terms[rarest]
    return " ".join(terms)


def _counted_page(statement: Any, params: dict[str, Any], page: int, per_page: int, by: str) -> BoardPage:
    """One page of a counted search (`_COUNTED_PAGE`): the matches' count stops at COUNT_CAP + 1,
    and no page goes past the COUNT_CAP-th match; asked past the end, the last page."""

    def run(page: int) -> tuple[int, list[BoardRow]]:
        offset = (page - 1) * per_page
        window = {**params, "cap": COUNT_CAP + 1, "offset": offset, "limit": max(0, min(per_page, COUNT_CAP - offset))}
        rows = _run(statement, window).all()
        found = next(row[1] for row in rows if row[0] == 0)
        items = [BoardRow(*row[1:]) for row in rows if row[0] == 1]
        items.sort(key=(lambda r: (r.uscc, r.id)) if by == "uscc" else (lambda r: r.id))
        return found, items

    found, items = run(page)
    total = min(found, COUNT_CAP)
    last = _last_page(page, total, per_page)
    if last != page:
        page = last
        found, items = run(page)
    return BoardPage(items=items, page=page, per_page=per_page, total=total, capped=found > COUNT_CAP, by=by)


def _name_matches(roster_ids: list[int], norm: str, page: int, per_page: int, district: int | None = None) -> BoardPage:
    """Listed entries of `roster_ids` (in `district` when given) whose name holds `norm`, in id order."""
    dialect = db.engine.dialect.name
    size = 2 if len(norm) == 2 else 3
    params: dict[str, Any] = {"ids": roster_ids, "norm": norm, **_in(district)}
    if dialect == "sqlite":
        params["match"] = _sqlite_match(norm)
    else:
        params.update(probe=DENSE_PROBE, full=COUNT_CAP)
        params["grams"] = sorted({norm[i : i + size] for i in range(len(norm) - size + 1)})
    return _counted_page(_sql("name", dialect, size, district is not None), params, page, per_page, "name")


def _uscc_matches(roster_ids: list[int], prefix: str, page: int, per_page: int, district: int | None) -> BoardPage:
    """Listed entries of `roster_ids` (in `district` when given) whose USCC starts with `prefix`."""
    params = {"ids": roster_ids, "lo": prefix, "hi": prefix + "Z", **_in(district)}
    return _counted_page(_sql("uscc", by_district=district is not None), params, page, per_page, "uscc")


def search_board(
    roster_ids: list[int], query: Query, page: int = 1, per_page: int = PER_PAGE, *, district: int | None = None
) -> BoardPage:
    """One page of the listed, eligible entries of `roster_ids` (in `district` when given) matching
    `query`, in a stable order; every search runs under the time limit.

    Name matches are ordered by entry id, USCC matches by USCC; counts stop at COUNT_CAP."""
    if not roster_ids or query.too_short:
        return BoardPage(items=[], page=1, per_page=per_page, total=0, by="none")
    if query.is_empty:
        return _browse(roster_ids, page, per_page, district)
    with time_limit(ordered=True):
        if query.uscc_prefix:
            found = _uscc_matches(roster_ids, query.uscc_prefix, page, per_page, district)
            if found.total or len(query.norm) < MIN_QUERY_LENGTH:
                return found
        return _name_matches(roster_ids, query.norm, page, per_page, district)


@dataclass(frozen=True)
class DistrictOption:
    id: int
    name_zh: str
    name_en: str


# the board asks on every request; districts are reference data, seeded and never edited on a page
DISTRICTS_KEPT_SECONDS = 300


def district_options() -> list[DistrictOption]:
    """The districts a board can be filtered by (the reference table: a dozen rows), kept by each
    worker for DISTRICTS_KEPT_SECONDS."""
    kept = current_app.extensions.get("tongbao.district_options")
    moment = time.monotonic()
    if kept is not None and moment < kept[0]:
        return list(kept[1])
    options = [DistrictOption(*row) for row in _run(_DISTRICTS, {}).all()]
    current_app.extensions["tongbao.district_options"] = (moment + DISTRICTS_KEPT_SECONDS, tuple(options))
    return options


def find_public_entry(roster_ids: list[int], uscc: str) -> BoardRow | None:
    """The listed entry with exactly this USCC on one of `roster_ids` (latest roster first)."""
    if not roster_ids:
        return None
    row = _run(_BY_USCC, {"ids": roster_ids, "uscc": normalize_uscc(uscc)}).first()
    return BoardRow(*row) if row else None
