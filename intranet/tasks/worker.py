"""`tongbao worker`: Huey's consumer with process workers, plus a reaper that hands out again what
a dead worker (on any host) left behind."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from ..extensions import db
from . import queue, service

log = logging.getLogger(__name__)
REAP_EVERY = 10.0  # seconds; with the 30 s lease a dead worker's task runs again within a minute


def _reaper(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(REAP_EVERY):
        try:
            with app.app_context():
                again = service.reap()
                if again:
                    log.info("handed out again: %s", again[:20])
        except Exception:  # noqa: BLE001 — the database may be restarting; try again next round
            log.warning("reaper round failed", exc_info=True)


def run(app: Flask, workers: int) -> None:
    huey = queue.huey_of(app)

    @huey.on_startup()
    def _own_connections() -> None:  # each forked worker opens its own database connections
        with app.app_context():
            db.engine.dispose(close=False)
            for warm_up in app.extensions.get("tongbao_worker_warmups", []):
                warm_up()  # e.g. load WeasyPrint now, not during the first certificate

    with app.app_context():
        db.engine.dispose()  # nothing inherited by the forked workers
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="process",
        periodic=False,
        graceful_signal="TERM",  # SIGTERM finishes the task in hand (CONTRACT.md); SIGINT too
        check_worker_health=True,
        health_check_interval=5,
        max_delay=1.0,
    )
    stop = threading.Event()
    reaper = threading.Thread(target=_reaper, args=(app, stop), name="reaper", daemon=True)
    reaper.start()
    try:
        consumer.run()
    finally:
        stop.set()
