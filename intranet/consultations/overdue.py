"""A question unanswered for its reply time alerts the insurer's staff, once per question.

The reply time is the current programme's `consultation_reply_days` working days (2 in the notice
year's parameters), counted on the working calendar (`workdays`: Monday to Friday, less the public
holidays, plus the weekend days worked in their place). Waiting time counts only on working days: a
question asked on Friday at 10:00 is overdue on Tuesday at 10:00; one asked on Saturday, from
Wednesday 00:00; one asked before the National Day holiday waits through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..actors import Actor
from ..db_tx import transactional
from ..extensions import db
from ..programmes.service import current_programme
from ..security import ensure_role
from ..workdays.service import WorkCalendar, work_calendar
from . import notify
from .models import Consultation, ConsultationStatus


@dataclass(frozen=True)
class ReplyTime:
    """How long a question may wait: `days` working days of `calendar` (None: no programme is
    published, so no reply time is set and nothing is overdue)."""

    calendar: WorkCalendar
    days: int | None

    def deadline(self, since: datetime) -> datetime | None:
        return None if self.days is None else self.calendar.deadline(since, self.days)

    def passed(self, since: datetime, now: datetime) -> bool:
        due = self.deadline(since)
        return due is not None and due <= now

    def is_overdue(self, row: Consultation, now: datetime) -> bool:
        return row.status == ConsultationStatus.OPEN and self.passed(row.waiting_since, now)


def reply_time(now: datetime) -> ReplyTime:
    """The reply time in force at `now` (read once per page or run: the calendar is one query)."""
    programme = current_programme(now)
    return ReplyTime(work_calendar(), programme.consultation_reply_days if programme else None)


@transactional
def alert_overdue(actor: Actor, *, now: datetime) -> int:
    """Mark each question that has waited its reply time and queue its alert to every active
    insurer user, in one transaction; rows another notifier holds are skipped (never alerted twice).
    The outbox delivers after the commit. Returns the messages queued."""
    ensure_role(actor, "insurer")
    reply = reply_time(now)
    if reply.days is None:
        return 0
    # no question is overdue before as many calendar days: the database narrows, the calendar decides
    stmt = (
        select(Consultation)
        .where(
            Consultation.status == ConsultationStatus.OPEN,
            Consultation.alerted_at.is_(None),
            Consultation.waiting_since <= now - timedelta(days=reply.days),
        )
        .order_by(Consultation.waiting_since, Consultation.id)
        .with_for_update(skip_locked=True)
    )
    due = [row for row in db.session.scalars(stmt) if reply.is_overdue(row, now)]
    if not due:
        return 0
    staff = notify.insurer_staff()
    queued = 0
    for row in due:
        row.alerted_at = now
        queued += notify.overdue(row, staff, now, reply.days)
    return queued
