"""Read-only queries for the insurer's pages: the policy list and the issuance queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from ..clock import shanghai_date, start_of_day
from ..enterprises.models import Enterprise
from ..extensions import db
from ..programmes.models import Programme
from . import rules
from .models import Policy, PolicyStatus


@dataclass(frozen=True)
class QueueRow:
    policy: Policy
    days_waiting: int
    overdue: bool
    issue_by: date | None = None  # the cover's last day, when the usual lag would reach it (rules.must_alert_at_once)


def staff_query(*, status: str | None = None, year: int | None = None, q: str | None = None) -> Select[Any]:
    stmt = (
        select(Policy)
        .join(Enterprise, Enterprise.id == Policy.enterprise_id)
        .join(Programme, Programme.id == Policy.programme_id)
        .options(joinedload(Policy.enterprise), joinedload(Policy.programme))
        .order_by(Policy.claimed_at.desc(), Policy.id.desc())
    )
    if status:
        stmt = stmt.where(Policy.status == status)
    if year:
        stmt = stmt.where(Programme.year == year)
    if q and q.strip():
        term = q.strip()
        stmt = stmt.where(
            or_(
                Enterprise.name.contains(term),
                Enterprise.uscc == term.upper(),
                Policy.policy_no == term.upper(),
            )
        )
    return stmt


def queue_query(programme: Programme | None = None, *, now: datetime | None = None) -> Select[Any]:
    """Claimed policies awaiting issuance, oldest first (as of `now`: not those whose cover has
    ended, which lapse — policies/lapsing.py)."""
    stmt = (
        select(Policy)
        .options(joinedload(Policy.enterprise), joinedload(Policy.programme))
        .where(Policy.status == PolicyStatus.CLAIMED)
        .order_by(Policy.claimed_at, Policy.id)
    )
    if now is not None:
        running = select(Programme.id).where(Programme.cover_end >= shanghai_date(now))
        stmt = stmt.where(Policy.programme_id.in_(running.scalar_subquery()))
    if programme is not None:
        stmt = stmt.where(Policy.programme_id == programme.id)
    return stmt


def queue_rows(policies: list[Policy], now: datetime) -> list[QueueRow]:
    return [
        QueueRow(
            policy=p,
            days_waiting=rules.days_waiting(p.claimed_at, now),
            overdue=rules.is_overdue(p.programme, p.claimed_at, now),
            issue_by=p.programme.cover_end if rules.must_alert_at_once(p.programme, p.claimed_at) else None,
        )
        for p in policies
    ]


def queue_counts(now: datetime) -> dict[str, int]:
    """How many claims wait, and how many of them longer than their programme's issuance lag."""
    today = shanghai_date(now)
    waiting = overdue = 0
    per_programme = db.session.execute(
        select(Programme, func.count(Policy.id))
        .join(Policy, Policy.programme_id == Programme.id)
        .where(Policy.status == PolicyStatus.CLAIMED)
        .group_by(Programme.id)
    ).all()
    for programme, count in per_programme:
        if programme.cover_end < today:
            continue  # its unissued claims lapse: they wait for nothing
        waiting += int(count)
        # waiting more than `lag` days ⇔ claimed before the start of (today − lag) in Shanghai
        bound = start_of_day(today - timedelta(days=programme.issuance_lag_days))
        overdue += (
            db.session.scalar(
                select(func.count(Policy.id)).where(
                    Policy.programme_id == programme.id,
                    Policy.status == PolicyStatus.CLAIMED,
                    Policy.claimed_at < bound,
                )
            )
            or 0
        )
    return {"waiting": waiting, "overdue": overdue}


def holders(programme_id: int, enterprise_ids: Sequence[int]) -> set[int]:
    """Which of these enterprises hold a policy of the programme, in any state (they claimed)."""
    found: set[int] = set()
    ids = list(enterprise_ids)
    for start in range(0, len(ids), 500):
        found.update(
            db.session.scalars(
                select(Policy.enterprise_id).where(
                    Policy.programme_id == programme_id, Policy.enterprise_id.in_(ids[start : start + 500])
                )
            )
        )
    return found
