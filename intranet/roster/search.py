"""Substring search over roster names: normalised text and its character bigrams.

A query of n ≥ 2 characters matches a name exactly when the query's n−1 bigrams occur
consecutively in the name's bigram sequence (SQLite FTS5 phrase query, PostgreSQL array
containment plus a recheck). The indexes are built by migration 0003.

The public board reads only name, USCC and district here: export amounts and contacts are
never selected, so they cannot leak into a page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, Integer, Select, Text, cast, column, func, literal, select, table, text, true

from ..districts.models import District
from ..extensions import db
from .uscc import ALPHABET, normalize_uscc

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 60
COUNT_CAP = 1000  # counts stop here ("1000+") so a very common query stays fast
PER_PAGE = 20
_USCC_LIKE = re.compile(f"^[{ALPHABET}]{{2,18}}$")
_FTS = table("roster_entries_fts", column("rowid", Integer))


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


def _entries() -> Any:
    from .models import RosterEntry

    return RosterEntry.__table__


def _listed(roster_ids: list[int]) -> list[Any]:
    e = _entries()
    return [e.c.roster_id.in_(roster_ids), e.c.status == "listed", e.c.eligible == true()]


def _base(roster_ids: list[int]) -> Select[Any]:
    e = _entries()
    d = District.__table__
    return (
        select(e.c.id, e.c.roster_id, e.c.name, e.c.uscc, d.c.name_zh, d.c.name_en)
        .select_from(e)
        .outerjoin(d, d.c.id == e.c.district_id)
        .where(*_listed(roster_ids))
    )


def _browse(roster_ids: list[int], page: int, per_page: int) -> BoardPage:
    """Every listed entry by id: counted and paged on the covering index alone (deep pages
    skip index entries, not rows), then only the page's rows are read."""
    e = _entries()
    total = db.session.scalar(select(func.count()).select_from(e).where(*_listed(roster_ids))) or 0
    last = max(1, -(-total // per_page))
    page = max(1, min(page, last))
    ids = select(e.c.id).where(*_listed(roster_ids)).order_by(e.c.id).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(_base(roster_ids).where(e.c.id.in_(ids.scalar_subquery())).order_by(e.c.id)).all()
    return BoardPage(items=[BoardRow(*row) for row in rows], page=page, per_page=per_page, total=total, by="all")


def fts_phrase(norm: str) -> str:
    """The FTS5 query for a normalised text: the phrase of its bigrams (alphanumerics only)."""
    return '"' + " ".join(bigrams(norm)) + '"'


def _by_name(stmt: Select[Any], norm: str) -> Select[Any]:
    e = _entries()
    if db.engine.dialect.name == "sqlite":
        return (
            stmt.join(_FTS, _FTS.c.rowid == e.c.id)
            .where(text("roster_entries_fts MATCH :fts_query").bindparams(fts_query=fts_phrase(norm)))
            .order_by(_FTS.c.rowid)
        )
    grams = sorted(set(bigrams(norm)))
    return stmt.where(
        func.tb_bigrams(e.c.search_norm).op("@>")(cast(literal(grams, ARRAY(Text)), ARRAY(Text))),
        func.strpos(e.c.search_norm, norm) > 0,
    ).order_by(e.c.id)


def _by_uscc(stmt: Select[Any], prefix: str) -> Select[Any]:
    e = _entries()
    # a range, so the plain index on uscc serves it ("Z" sorts after every USCC character)
    return stmt.where(e.c.uscc >= prefix, e.c.uscc < prefix + "Z").order_by(e.c.uscc, e.c.id)


def _count(stmt: Select[Any], cap: int | None) -> tuple[int, bool]:
    inner = stmt.order_by(None)
    if cap is not None:
        inner = inner.limit(cap + 1)
    total = db.session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    if cap is not None and total > cap:
        return cap, True
    return total, False


def _page(stmt: Select[Any], page: int, per_page: int, *, cap: int | None, by: str) -> BoardPage:
    total, capped = _count(stmt, cap)
    last = max(1, -(-total // per_page))
    page = max(1, min(page, last))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    items = [BoardRow(*row) for row in rows]
    return BoardPage(items=items, page=page, per_page=per_page, total=total, capped=capped, by=by)


def search_board(roster_ids: list[int], query: Query, page: int = 1, per_page: int = PER_PAGE) -> BoardPage:
    """One page of the listed, eligible entries of `roster_ids` matching `query`, in a stable order.

    Name matches are ordered by entry id, USCC matches by USCC; counts stop at COUNT_CAP."""
    if not roster_ids or query.too_short:
        return BoardPage(items=[], page=1, per_page=per_page, total=0, by="none")
    base = _base(roster_ids)
    if query.is_empty:
        return _browse(roster_ids, page, per_page)
    if query.uscc_prefix:
        found = _page(_by_uscc(base, query.uscc_prefix), page, per_page, cap=COUNT_CAP, by="uscc")
        if found.total or len(query.norm) < MIN_QUERY_LENGTH:
            return found
    return _page(_by_name(base, query.norm), page, per_page, cap=COUNT_CAP, by="name")
