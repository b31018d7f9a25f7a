"""The public board of a programme's rosters (名单公示): which rosters the public may see and where each
stands in its notice period. Read on every request of the public board, so in one light query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, String, column, select, text

from ..clock import shanghai_date
from ..errors import NotFound
from ..extensions import db
from ..programmes.models import Programme
from .models import Roster, RosterStatus


def notice_state(roster: Roster | BoardRoster, now: datetime) -> str:
    """draft | upcoming (published, period not begun) | open | ended (awaiting confirmation) | confirmed"""
    if roster.status == RosterStatus.CONFIRMED:
        return "confirmed"
    if roster.status != RosterStatus.NOTICE or roster.notice_start is None or roster.notice_end is None:
        return "draft"
    today = shanghai_date(now)
    if today < roster.notice_start:
        return "upcoming"
    if today <= roster.notice_end:
        return "open"
    return "ended"


@dataclass(frozen=True)
class BoardProgramme:
    id: int
    year: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class BoardRoster:
    """What the board needs of a roster (read in one light query: the board is a hot page)."""

    id: int
    seq: int
    status: str
    notice_start: date | None
    notice_end: date | None

    @property
    def is_supplementary(self) -> bool:
        return self.seq > 1


@dataclass
class Board:
    """One programme's public board: the rosters the public may see and their periods."""

    programme: BoardProgramme
    rosters: list[BoardRoster]  # every published roster, upcoming ones included
    states: dict[int, str] = field(default_factory=dict)

    @property
    def visible(self) -> list[BoardRoster]:
        return [r for r in self.rosters if self.states[r.id] in {"open", "ended", "confirmed"}]

    @property
    def visible_ids(self) -> list[int]:
        return [r.id for r in self.visible]

    @property
    def objections_open(self) -> bool:
        return any(state == "open" for state in self.states.values())

    @property
    def by_id(self) -> dict[int, BoardRoster]:
        return {r.id: r for r in self.rosters}


_PUBLISHED = (RosterStatus.NOTICE, RosterStatus.CONFIRMED)  # what the public board shows


_BOARD = text(
    "SELECT p.id, p.year, p.name_zh, p.name_en, r.id, r.seq, r.status, r.notice_start, r.notice_end "
    "FROM programmes p LEFT JOIN rosters r ON r.programme_id = p.id AND r.status IN ('notice', 'confirmed') "
    "WHERE p.year = :year AND p.published_at IS NOT NULL ORDER BY r.seq"
).columns(
    column("programme_id", Integer),
    column("year", Integer),
    column("name_zh", String),
    column("name_en", String),
    column("roster_id", Integer),
    column("seq", Integer),
    column("status", String),
    column("notice_start", Date),
    column("notice_end", Date),
)


def board_for_year(year: int, now: datetime) -> Board:
    """The programme's board: its published rosters (notice or confirmed) and their states; a draft
    programme has no board (404) until the bureau publishes it.
    One light query (no ORM entities): this runs on every request of the public board."""
    rows = db.session.connection().execute(_BOARD, {"year": year}).all()
    if not rows:
        raise NotFound(_l("没有 %(year)s 年度的统保项目", year=year), code="programme_not_found")
    programme = BoardProgramme(*rows[0][:4])
    rosters = [BoardRoster(*row[4:]) for row in rows if row[4] is not None]
    return Board(programme=programme, rosters=rosters, states={x.id: notice_state(x, now) for x in rosters})


def board(programme: Programme, now: datetime) -> Board:
    return board_for_year(programme.year, now)


def public_boards(now: datetime) -> list[Board]:
    """Programmes with a roster under notice or confirmed, newest first (for /notices)."""
    years = db.session.scalars(
        select(Programme.year)
        .where(Programme.id.in_(select(Roster.programme_id).where(Roster.status.in_(_PUBLISHED))))
        .where(Programme.published_at.is_not(None))
        .order_by(Programme.year.desc())
    )
    return [board_for_year(year, now) for year in years]
