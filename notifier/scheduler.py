"""The notifier's schedule: APScheduler 3, a BlockingScheduler in Asia/Shanghai with stable job ids.

Every job opens an application context and calls a service; the services decide what is due as of
the business clock (idempotent through dedupe keys), so a job that runs late, twice, or at start-up
to catch up sends nothing twice."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from intranet import heartbeat
from intranet.clock import SHANGHAI
from intranet.clock import now as clock_now
from intranet.reminders.service import ALERTS, CONSULTATIONS, COVER_END_ALERTS, DEADLINE, JOBS, LAPSE, MONTHLY, run_job

from .delivery import Dispatcher

log = logging.getLogger("tongbao.notifier")

DELIVER = "outbox.deliver"
REFRESH = "scheduler.refresh"
WATCHDOG = "leader.watchdog"
HEARTBEAT = "notifier.heartbeat"
RETENTION = "outbox.retention"
# the monthly notices job again, every quarter of an hour all month long: a policy that comes into
# force after the notice day and time (cover from 1 July, issued that afternoon) gets the month's
# notices on its first day, and a notice published late goes out; the dedupe keys send each once
MONTHLY_AGAIN = "notices.monthly.again"

DELIVER_EVERY = 5  # seconds between outbox passes (a pass drains everything due)
REFRESH_EVERY = 600  # re-read the programme's reminder time
RETENTION_AT = (3, 30)  # daily, Shanghai: purge old messages' addresses and contents at a quiet hour
CONSULTATIONS_EVERY = 900  # look for questions waiting 2 working days (each alerted once)
WATCHDOG_EVERY = 15  # check that this notifier still holds the leadership
COVER_END_EVERY = 15 * 60  # seconds: claims at the end of cover are alerted and lapsed within this

# how late a job may still start after its time (the notifier was down or busy)
GRACE = {
    DELIVER: 60,
    DEADLINE: 6 * 3600,
    MONTHLY: 24 * 3600,
    MONTHLY_AGAIN: 600,
    ALERTS: 6 * 3600,
    COVER_END_ALERTS: COVER_END_EVERY,
    LAPSE: COVER_END_EVERY,
    CONSULTATIONS: 3600,
    REFRESH: 600,
    WATCHDOG: 30,
    RETENTION: 12 * 3600,
    HEARTBEAT: 30,  # a late beat is still worth writing; three missed ones and /healthz says "stale"
}


def _hm(value: str) -> tuple[int, int]:
    hour, minute = (int(part) for part in value.split(":"))
    return hour, minute


def reminder_time(app: Flask) -> str | None:
    """The current programme's reminder time (a programme parameter), None without a programme."""
    from intranet.programmes.service import current_programme

    with app.app_context():
        programme = current_programme(clock_now())
        return programme.reminder_time if programme else None


def triggers(app: Flask) -> dict[str, BaseTrigger]:
    from intranet.reminders.settings import setting

    with app.app_context():
        notice_day = int(setting("NOTIFIER_NOTICE_DAY"))
        notice_h, notice_m = _hm(setting("NOTIFIER_NOTICE_TIME"))
        alert_h, alert_m = _hm(setting("NOTIFIER_ALERT_TIME"))
    found: dict[str, BaseTrigger] = {
        DELIVER: IntervalTrigger(seconds=DELIVER_EVERY, timezone=SHANGHAI),
        MONTHLY: CronTrigger(day=notice_day, hour=notice_h, minute=notice_m, timezone=SHANGHAI),
        MONTHLY_AGAIN: CronTrigger(minute="*/15", timezone=SHANGHAI),
        ALERTS: CronTrigger(hour=alert_h, minute=alert_m, timezone=SHANGHAI),
        REFRESH: IntervalTrigger(seconds=REFRESH_EVERY, timezone=SHANGHAI),
        RETENTION: CronTrigger(hour=RETENTION_AT[0], minute=RETENTION_AT[1], timezone=SHANGHAI),
        COVER_END_ALERTS: IntervalTrigger(seconds=COVER_END_EVERY, timezone=SHANGHAI),
        LAPSE: IntervalTrigger(seconds=COVER_END_EVERY, timezone=SHANGHAI),
        CONSULTATIONS: IntervalTrigger(seconds=CONSULTATIONS_EVERY, timezone=SHANGHAI),
    }
    at = reminder_time(app)
    if at:
        hour, minute = _hm(at)
        found[DEADLINE] = CronTrigger(hour=hour, minute=minute, timezone=SHANGHAI)
    return found


class Jobs:
    """The job functions, bound to the app and the process's stop event."""

    def __init__(self, app: Flask, stop: threading.Event) -> None:
        self.app = app
        self.stop = stop
        self.host, self.pid, self.started_at = socket.gethostname(), os.getpid(), heartbeat.wall_now()

    def beat(self) -> None:
        with self.app.app_context():
            heartbeat.beat(self.host, self.pid, self.started_at)

    def deliver(self) -> None:
        with self.app.app_context():
            report = Dispatcher(stop=self.stop).deliver()
        if report.attempted or report.recovered:
            log.info(
                "job %s: sent %s, failed %s, deferred %s, recovered %s",
                DELIVER,
                report.sent,
                report.failed,
                report.deferred,
                report.recovered,
            )

    def retention(self) -> None:
        """Purge the addresses and contents of messages past the retention period (batched)."""
        from intranet.outbox.retention import purge
        from intranet.site import retention_days

        with self.app.app_context():
            purged = purge(clock_now(), days=retention_days())
        log.info("job %s ran: purged %s", RETENTION, purged)

    def scheduled(self, job_id: str) -> None:
        with self.app.app_context():
            queued = run_job(job_id, now=clock_now())
        log.info("job %s ran: queued %s", job_id, queued)

    def monthly_again(self) -> None:
        with self.app.app_context():
            queued = run_job(MONTHLY, now=clock_now())
        if queued:
            log.info("job %s queued %s", MONTHLY_AGAIN, queued)


def _add(
    scheduler: BaseScheduler,
    job_id: str,
    func: Callable[..., Any],
    trigger: BaseTrigger,
    *,
    args: tuple[Any, ...] = (),
    run_now: bool = False,
) -> None:
    options: dict[str, Any] = {}
    if run_now:
        options["next_run_time"] = datetime.now(SHANGHAI)  # catch up at start-up (idempotent)
    scheduler.add_job(
        func,
        trigger,
        args=args,
        id=job_id,
        name=job_id,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=GRACE[job_id],
        **options,
    )


def add_jobs(
    scheduler: BaseScheduler, app: Flask, stop: threading.Event, *, catch_up: bool = True, leader: Any = None
) -> None:
    jobs = Jobs(app, stop)
    found = triggers(app)
    _add(scheduler, DELIVER, jobs.deliver, found[DELIVER], run_now=catch_up)
    for job_id in JOBS:
        if job_id in found:
            _add(scheduler, job_id, jobs.scheduled, found[job_id], args=(job_id,), run_now=catch_up)

    def refresh() -> None:
        at = reminder_time(app)
        current = scheduler.get_job(DEADLINE)
        if at and (current is None or str(current.trigger) != str(triggers(app)[DEADLINE])):
            _add(scheduler, DEADLINE, jobs.scheduled, triggers(app)[DEADLINE], args=(DEADLINE,))
            log.info("job %s rescheduled at %s", DEADLINE, at)

    _add(scheduler, MONTHLY_AGAIN, jobs.monthly_again, found[MONTHLY_AGAIN])
    _add(scheduler, REFRESH, refresh, found[REFRESH])
    _add(scheduler, RETENTION, jobs.retention, found[RETENTION])
    beat_every = IntervalTrigger(seconds=heartbeat.BEAT_EVERY, timezone=SHANGHAI)
    _add(scheduler, HEARTBEAT, jobs.beat, beat_every, run_now=True)
    if leader is not None:

        def watchdog() -> None:
            if not leader.still_held():
                log.error("leadership lost (%s): stopping", leader.describe())
                stop.set()
                scheduler.shutdown(wait=False)

        _add(scheduler, WATCHDOG, watchdog, IntervalTrigger(seconds=WATCHDOG_EVERY, timezone=SHANGHAI))


def build_scheduler(
    app: Flask, stop: threading.Event | None = None, *, catch_up: bool = True, leader: Any = None
) -> BlockingScheduler:
    """The configured scheduler, not started."""
    scheduler = BlockingScheduler(timezone=SHANGHAI, executors={"default": ThreadPoolExecutor(4)})
    add_jobs(scheduler, app, stop or threading.Event(), catch_up=catch_up, leader=leader)
    return scheduler
