"""The scheduled jobs by id: each queues what is due as of `now` (idempotent through dedupe keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..actors import NOTIFIER, Actor
from ..consultations.overdue import alert_overdue
from .alerts import queue_cover_end_alerts, queue_staff_alerts
from .deadline import queue_deadline_reminders
from .lapse import lapse_unissued
from .monthly import queue_monthly_notices

# the job ids, one list: the notifier schedules each (notifier/scheduler.py) and catches up on all of them
DEADLINE = "reminders.deadline"
MONTHLY = "notices.monthly"
ALERTS = "alerts.staff"
COVER_END_ALERTS = "alerts.cover_end"  # claims to issue before their cover ends: at once
LAPSE = "policies.lapse"  # claims unissued when cover ended lapse; the enterprise is told
CONSULTATIONS = "consultations.overdue"

JOBS: dict[str, Callable[..., int]] = {
    DEADLINE: queue_deadline_reminders,
    MONTHLY: queue_monthly_notices,
    ALERTS: queue_staff_alerts,
    COVER_END_ALERTS: queue_cover_end_alerts,
    LAPSE: lapse_unissued,
    CONSULTATIONS: alert_overdue,
}


def run_job(job_id: str, *, now: datetime, actor: Actor = NOTIFIER) -> int:
    return JOBS[job_id](actor, now=now)


def run_due(*, now: datetime, actor: Actor = NOTIFIER) -> dict[str, int]:
    """Every job's "what is due as of now": job id → messages queued."""
    return {job_id: run_job(job_id, now=now, actor=actor) for job_id in JOBS}
