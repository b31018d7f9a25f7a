"""`tongbao notifier run`: wait for the leadership (standby), then run the scheduler until stopped.
`tongbao notifier tick`: every job due at an instant, then one delivery pass."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from flask import Flask

from intranet.clock import now as clock_now

from .delivery import Dispatcher
from .leader import leader_for
from .scheduler import DELIVER, build_scheduler

log = logging.getLogger("tongbao.notifier")
STANDBY_POLL = 2.0  # seconds between two tries of the leadership


def tick(app: Flask, at: datetime | None = None) -> dict[str, Any]:
    """Run what is due at `at` (default: the business clock), deliver, and summarise."""
    from intranet.reminders.service import run_due

    saved = app.config.get("TONGBAO_NOW")
    if at is not None:
        app.config["TONGBAO_NOW"] = at  # everything in this tick sees the same instant
    try:
        with app.app_context():
            moment = clock_now()
            jobs = run_due(now=moment)
            report = Dispatcher(clock=lambda: moment).deliver()
    finally:
        app.config["TONGBAO_NOW"] = saved
    jobs[DELIVER] = report.attempted
    return {"jobs": jobs, "sent": report.sent, "failed": report.failed, "deferred": report.deferred}


def _take_over(app: Flask) -> int:
    """Messages a previous (dead) leader left `sending` go back to the queue at once: only one
    notifier is active per deployment, so no one else is sending them."""
    from intranet.outbox.dispatch import recover_stuck

    with app.app_context():
        return recover_stuck(clock_now(), older_than=timedelta(0))


def run(app: Flask, stop: threading.Event | None = None, *, install_signals: bool = True) -> int:
    """Standby until this process holds the leadership, then the scheduler; 0 on a clean stop."""
    stop = stop or threading.Event()
    scheduler_box: dict[str, Any] = {}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()
        scheduler = scheduler_box.get("scheduler")
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    if install_signals:
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

    leader = leader_for(app)
    announced = False
    while not stop.is_set():
        if leader.try_acquire():
            break
        if not announced:
            log.info("standby: another notifier is active (%s)", leader.describe())
            announced = True
        stop.wait(STANDBY_POLL)
    if stop.is_set():
        return 0
    log.info("active: this notifier holds the leadership (%s)", leader.describe())
    try:
        recovered = _take_over(app)
        if recovered:
            log.info("took over %s messages left `sending` by the previous notifier", recovered)
        scheduler = build_scheduler(app, stop, leader=leader)
        scheduler_box["scheduler"] = scheduler
        if not stop.is_set():
            scheduler.start()  # blocks until shutdown
    finally:
        stop.set()
        leader.release()
        log.info("stopped")
    return 0
