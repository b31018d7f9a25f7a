"""A question unanswered for 2 working days alerts the insurer's staff, once per question.

Working days are Monday to Friday in Asia/Shanghai (the codebase keeps no holiday calendar yet;
`HOLIDAYS` is where one would go). Waiting time counts only on working days: a question asked on
Friday at 10:00 is overdue on Tuesday at 10:00; one asked on Saturday, from Wednesday 00:00."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..actors import Actor
from ..clock import SHANGHAI, shanghai, start_of_day
from ..db_tx import transactional
from ..extensions import db
from ..security import ensure_role
from . import notify
from .models import Consultation, ConsultationStatus

WORKING_DAYS = 2
HOLIDAYS: frozenset[date] = frozenset()  # no official calendar in the codebase yet


def is_working_day(day: date, holidays: Iterable[date] = HOLIDAYS) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def working_deadline(since: datetime, days: int = WORKING_DAYS, holidays: Iterable[date] = HOLIDAYS) -> datetime:
    """The instant `days` working days after `since` (Shanghai calendar): the same time of day on the
    `days`-th following working day; from a day off, counting starts at the next working day's 00:00."""
    off = set(holidays)
    local = shanghai(since)
    if not is_working_day(local.date(), off):
        day = local.date()
        while not is_working_day(day, off):
            day += timedelta(days=1)
        local = start_of_day(day)
    day, left = local.date(), days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, off):
            left -= 1
    return datetime.combine(day, local.time(), tzinfo=SHANGHAI)


def is_overdue(row: Consultation, now: datetime) -> bool:
    return row.status == ConsultationStatus.OPEN and working_deadline(row.waiting_since) <= now


@transactional
def alert_overdue(actor: Actor, *, now: datetime) -> int:
    """Mark each question that has waited 2 working days and queue its alert to every active
    insurer user, in one transaction; rows another notifier holds are skipped (never alerted twice).
    The outbox delivers after the commit. Returns the messages queued."""
    ensure_role(actor, "insurer")
    # no question is overdue before 2 calendar days: the database narrows, the calendar decides
    stmt = (
        select(Consultation)
        .where(
            Consultation.status == ConsultationStatus.OPEN,
            Consultation.alerted_at.is_(None),
            Consultation.waiting_since <= now - timedelta(days=WORKING_DAYS),
        )
        .order_by(Consultation.waiting_since, Consultation.id)
        .with_for_update(skip_locked=True)
    )
    due = [row for row in db.session.scalars(stmt) if is_overdue(row, now)]
    if not due:
        return 0
    staff = notify.insurer_staff()
    queued = 0
    for row in due:
        row.alerted_at = now
        queued += notify.overdue(row, staff, now)
    return queued
