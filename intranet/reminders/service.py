"""The scheduled jobs by id: each queues what is due as of `now` (idempotent through dedupe keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..actors import NOTIFIER, Actor
from .alerts import queue_staff_alerts
from .deadline import queue_deadline_reminders
from .monthly import queue_monthly_notices

JOBS: dict[str, Callable[..., int]] = {
    "reminders.deadline": queue_deadline_reminders,
    "notices.monthly": queue_monthly_notices,
    "alerts.staff": queue_staff_alerts,
}


def run_job(job_id: str, *, now: datetime, actor: Actor = NOTIFIER) -> int:
    return JOBS[job_id](actor, now=now)


def run_due(*, now: datetime, actor: Actor = NOTIFIER) -> dict[str, int]:
    """Every job's "what is due as of now": job id → messages queued."""
    return {job_id: run_job(job_id, now=now, actor=actor) for job_id in JOBS}
