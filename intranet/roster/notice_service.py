"""Public notice of a roster (名单公示): publish, the board's state, confirm (确认名单).

A roster is a draft while it is imported, under notice once published (its period runs from
notice_start to notice_end, both whole Shanghai days) and confirmed after the period, when no
objection is open. A confirmed roster is read-only; corrections go into a supplementary roster
(seq ≥ 2) with its own notice period. Objections live in `objections.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..i18n import listing
from ..programmes.models import Programme
from ..security import ensure_role
from .models import EntryStatus, Objection, ObjectionStatus, Roster, RosterEntry, RosterStatus
from .service import rosters_of

PUBLISHERS = ("bureau",)
CONFIRMERS = ("bureau",)


def roster_label(roster: Roster) -> Any:
    """The roster's name in the page's language, e.g. "2024 主名单" (lazy)."""
    if roster.is_supplementary:
        return _l("%(year)s 补充名单%(n)s", year=roster.programme.year, n=roster.seq - 1)
    return _l("%(year)s 主名单", year=roster.programme.year)


def ensure_editable(roster: Roster) -> None:
    """Every edit path calls this: only a draft roster is changed; a confirmed one never."""
    if roster.status == RosterStatus.CONFIRMED:
        raise Refused(
            _l("%(roster)s已确认，不能修改；请通过补充名单更正", roster=roster_label(roster)),
            code="roster_confirmed",
        )
    if roster.status != RosterStatus.DRAFT:
        raise Refused(
            _l("%(roster)s正在公示，不能修改", roster=roster_label(roster)),
            code="roster_published",
        )


@dataclass
class RosterCounts:
    listed: int = 0
    removed: int = 0
    ineligible: int = 0
    open_objections: int = 0
    objections: int = 0


def roster_counts(roster_ids: list[int]) -> dict[int, RosterCounts]:
    counts = {rid: RosterCounts() for rid in roster_ids}
    if not roster_ids:
        return counts
    e = RosterEntry
    rows = db.session.execute(
        select(
            e.roster_id,
            func.sum(case(((e.status == EntryStatus.LISTED) & e.eligible, 1), else_=0)),
            func.sum(case((e.status == EntryStatus.REMOVED, 1), else_=0)),
            func.sum(case((e.eligible.is_(False), 1), else_=0)),
        )
        .where(e.roster_id.in_(roster_ids))
        .group_by(e.roster_id)
    ).all()
    for rid, listed, removed, ineligible in rows:
        counts[rid].listed, counts[rid].removed, counts[rid].ineligible = (
            int(listed or 0),
            int(removed or 0),
            int(ineligible or 0),
        )
    objection_rows = db.session.execute(
        select(e.roster_id, Objection.status, func.count(Objection.id))
        .join(e, e.id == Objection.roster_entry_id)
        .where(e.roster_id.in_(roster_ids))
        .group_by(e.roster_id, Objection.status)
    ).all()
    for rid, status, n in objection_rows:
        counts[rid].objections += int(n)
        if status == ObjectionStatus.OPEN:
            counts[rid].open_objections += int(n)
    return counts


# --- publish -------------------------------------------------------------------------------------


def default_end(programme: Programme, start: date) -> date:
    """programme.notice_days calendar days, both ends inclusive (20 May + 7 days → 26 May)."""
    return start + timedelta(days=programme.notice_days - 1)


def current_draft(programme: Programme) -> Roster | None:
    """The draft to publish next: the earliest one (a later draft waits for it)."""
    drafts = [r for r in rosters_of(programme) if r.status == RosterStatus.DRAFT]
    return drafts[0] if drafts else None


def _listed_count(roster: Roster) -> int:
    return (
        db.session.scalar(
            select(func.count(RosterEntry.id)).where(
                RosterEntry.roster_id == roster.id, RosterEntry.status == EntryStatus.LISTED, RosterEntry.eligible
            )
        )
        or 0
    )


def _draft_to_publish(programme: Programme, roster_id: int | None) -> Roster:
    roster = current_draft(programme)
    if roster is None or roster.status != RosterStatus.DRAFT or (roster_id is not None and roster.id != roster_id):
        raise Refused(
            _l("%(year)s 年度没有待公示的草稿名单，请先导入名单", year=programme.year),
            code="no_draft_roster",
        )
    return roster


def _check_publish(programme: Programme, roster: Roster, start: date, end: date, now: datetime) -> int:
    """Why the draft cannot be published with this period (raised), else its listed count."""
    if not programme.is_published:
        raise Refused(
            _l("%(year)s 年度统保项目尚未发布，发布项目后才能公示名单", year=programme.year),
            code="programme_draft",
        )
    earlier = [r for r in rosters_of(programme) if r.seq < roster.seq and r.status != RosterStatus.CONFIRMED]
    if earlier:
        raise Refused(
            _l("%(roster)s尚未确认，确认后才能公示下一份名单", roster=roster_label(earlier[0])),
            code="earlier_roster_unconfirmed",
        )
    today = shanghai_date(now)
    if start < today:
        raise Invalid(
            _l(
                "%(roster)s：公示开始日 %(start)s 早于今天 %(today)s",
                roster=roster_label(roster),
                start=str(start),
                today=str(today),
            ),
            field="start",
        )
    if end < start:
        raise Invalid(
            _l(
                "%(roster)s：公示结束日 %(end)s 早于开始日 %(start)s",
                roster=roster_label(roster),
                end=str(end),
                start=str(start),
            ),
            field="end",
        )
    listed = _listed_count(roster)
    if listed == 0:
        raise Refused(
            _l("%(roster)s没有符合条件的企业，不能公示", roster=roster_label(roster)),
            code="empty_roster",
        )
    return listed


def listed_names(roster: Roster, limit: int = 10) -> list[str]:
    """The first names of the roster's listed, eligible entries (a confirmation's summary of who)."""
    return list(
        db.session.scalars(
            select(RosterEntry.name)
            .where(RosterEntry.roster_id == roster.id, RosterEntry.status == EntryStatus.LISTED, RosterEntry.eligible)
            .order_by(RosterEntry.id)
            .limit(limit)
        )
    )


def publish_plan(
    programme: Programme, *, start: date, end: date | None = None, now: datetime, roster_id: int | None = None
) -> Plan:
    """What publishing will do: these enterprises' names, USCCs and districts go public."""
    roster = _draft_to_publish(programme, roster_id)
    end = end or default_end(programme, start)
    listed = _check_publish(programme, roster, start, end, now)
    return Plan(
        action="roster.publish",
        object_id=roster.id,
        title=_l(
            "发布%(roster)s公示：%(start)s 至 %(end)s",
            roster=roster_label(roster),
            start=str(start),
            end=str(end),
        ),
        counts={"enterprises": listed},
        who=listed_names(roster),
        who_total=listed,
        details=(_l("公示期内任何人都能查询这些企业的名称、统一社会信用代码和所属区，并提出异议。"),),
        warning=_l("发布后名单即对公众可见，不能撤回。"),
    )


@transactional
def publish(
    actor: Actor,
    programme: Programme,
    *,
    start: date,
    end: date | None = None,
    now: datetime,
    roster_id: int | None = None,
) -> Roster:
    """Open the public-notice period of the programme's current draft roster (audited)."""
    ensure_role(actor, *PUBLISHERS)
    roster = current_draft(programme)
    if roster is not None:
        db.session.refresh(roster, with_for_update=True)  # publishing twice at once: the second is refused
    roster = _draft_to_publish(programme, roster_id)
    end = end or default_end(programme, start)
    listed = _check_publish(programme, roster, start, end, now)
    roster.status = RosterStatus.NOTICE
    roster.notice_start, roster.notice_end = start, end
    roster.published_at = now
    roster.published_by = actor.id
    audit.record(
        actor,
        "roster.publish",
        obj=roster,
        summary=f"{roster_label(roster)}: {start} — {end}, {listed}",
        changes={"status": [RosterStatus.DRAFT, RosterStatus.NOTICE], "notice_start": start, "notice_end": end},
    )
    return roster


# --- confirm -------------------------------------------------------------------------------------


def roster_under_notice(programme: Programme) -> Roster | None:
    for roster in rosters_of(programme):
        if roster.status == RosterStatus.NOTICE:
            return roster
    return None


def open_objection_count(roster: Roster) -> int:
    return (
        db.session.scalar(
            select(func.count(Objection.id))
            .join(RosterEntry, RosterEntry.id == Objection.roster_entry_id)
            .where(RosterEntry.roster_id == roster.id, Objection.status == ObjectionStatus.OPEN)
        )
        or 0
    )


def confirm_blockers(roster: Roster, now: datetime) -> list[str]:
    """Why the roster cannot be confirmed now (empty when it can)."""
    if roster.status != RosterStatus.NOTICE:
        return [_l("%(roster)s不在公示中", roster=roster_label(roster))]
    reasons = []
    assert roster.notice_end is not None
    if shanghai_date(now) <= roster.notice_end:
        reasons.append(
            _l(
                "%(roster)s的公示期至 %(end)s 24:00 结束，结束后才能确认",
                roster=roster_label(roster),
                end=str(roster.notice_end),
            )
        )
    n = open_objection_count(roster)
    if n:
        reasons.append(_l("%(roster)s尚有 %(n)s 件异议未处理", roster=roster_label(roster), n=n))
    return reasons


@dataclass
class Confirmation:
    roster: Roster
    listed: int  # listed, eligible enterprises: each is invited (see invitations.py)


@transactional
def confirm(actor: Actor, programme: Programme, *, now: datetime, roster_id: int | None = None) -> Confirmation:
    """确认名单: after the period, with no objection open; read-only from then on (audited).

    `invitations.confirm_and_invite` calls this and queues the invitations in the same
    transaction: tasks of their own, so a roster of 100,000 never holds the database for minutes."""
    ensure_role(actor, *CONFIRMERS)
    roster = roster_under_notice(programme)
    if roster is not None:
        db.session.refresh(roster, with_for_update=True)  # confirming twice at once: the second is refused
    if roster is None or roster.status != RosterStatus.NOTICE or (roster_id is not None and roster.id != roster_id):
        raise Refused(
            _l("%(year)s 年度没有公示中的名单可确认", year=programme.year),
            code="no_roster_under_notice",
        )
    reasons = confirm_blockers(roster, now)
    if reasons:
        raise Refused(_l("%(reasons)s", reasons=listing(reasons, "；")), code="cannot_confirm")
    roster.status = RosterStatus.CONFIRMED
    roster.confirmed_at = now
    roster.confirmed_by = actor.id
    listed = _listed_count(roster)
    audit.record(
        actor,
        "roster.confirm",
        obj=roster,
        summary=f"{roster_label(roster)}: {listed} listed",
        changes={"status": [RosterStatus.NOTICE, RosterStatus.CONFIRMED], "listed": listed},
    )
    return Confirmation(roster=roster, listed=listed)


def get_roster(roster_id: int) -> Roster:
    roster = db.session.get(Roster, roster_id)
    if roster is None:
        raise NotFound(_l("没有编号为 %(id)s 的名单", id=roster_id), code="roster_not_found")
    return roster
