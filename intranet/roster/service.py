"""Roster lifecycle shared by import and notice: which roster an import goes into."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select

from ..extensions import db
from ..programmes.models import Programme
from .models import EntryStatus, Roster, RosterEntry, RosterStatus


def entitling_entry() -> tuple[ColumnElement[bool], ...]:
    """Where-clauses of an entry that entitles its enterprise to a policy: listed and eligible on a
    confirmed roster (the query joins Roster on RosterEntry.roster_id)."""
    return (
        Roster.status == RosterStatus.CONFIRMED,
        RosterEntry.status == EntryStatus.LISTED,
        RosterEntry.eligible.is_(True),
    )


def rosters_of(programme: Programme) -> list[Roster]:
    return list(db.session.scalars(select(Roster).where(Roster.programme_id == programme.id).order_by(Roster.seq)))


def latest_roster(programme: Programme) -> Roster | None:
    return db.session.scalar(
        select(Roster).where(Roster.programme_id == programme.id).order_by(Roster.seq.desc()).limit(1)
    )


def draft_roster(programme: Programme, *, now: datetime) -> Roster:
    """The roster an import goes into: the latest one while it is a draft, otherwise a new
    one — the main roster (seq 1) first, then supplementary rosters (seq 2, 3, ...) once the
    earlier one has been published. Published and confirmed rosters are never edited."""
    latest = latest_roster(programme)
    if latest is not None and latest.status == RosterStatus.DRAFT:
        return latest
    roster = Roster(
        programme_id=programme.id,
        seq=(latest.seq + 1) if latest else 1,
        status=RosterStatus.DRAFT,
        created_at=now,
    )
    db.session.add(roster)
    db.session.flush()
    return roster
