"""The transport: a Huey instance per app carrying task ids to workers.

`TONGBAO_REDIS_URL` set → Redis (many hosts); unset → a SQLite file under the instance folder (one
machine, nothing to start). Ids are pushed only after the transaction that created the task has
committed, so a worker never looks for a row it cannot see yet."""

from __future__ import annotations

import contextvars
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)
PENDING = "tongbao_tasks_pending"


def queue_name(database_url: str) -> str:
    """One queue per database: two deployments (or test runs) sharing a Redis never mix their tasks."""
    return "tongbao-" + hashlib.sha256(database_url.encode()).hexdigest()[:12]


def make_huey(app: Flask) -> Huey:
    name = queue_name(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    redis_url = app.config.get("TONGBAO_REDIS_URL")
    if app.config.get("TASKS_IMMEDIATE"):
        return Huey(name, immediate=True, results=False)  # tests: run where submitted
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    return SqliteHuey(name, filename=f"{app.instance_path}/tasks.db", results=False, timeout=30)


def init_app(app: Flask, execute: Callable[[int], None]) -> None:
    """Create the app's queue and its one Huey task, which runs a task row by id."""
    huey = make_huey(app)

    def run_task(task_id: int) -> None:
        # in a context of its own, as in a worker: run inline (tests), a task must not inherit the
        # submitter's request, language or open transaction state (db_tx's depth, SQLite's write intent)
        contextvars.Context().run(_run, task_id)

    def _run(task_id: int) -> None:
        with app.app_context():
            execute(task_id)

    app.extensions["tongbao_huey"] = huey
    app.extensions["tongbao_run_task"] = huey.task(name="tongbao.run_task")(run_task)
    app.extensions.setdefault("tongbao_task_handlers", {})


def huey_of(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["tongbao_huey"]  # type: ignore[no-any-return]


def push(task_ids: Iterable[int], *, delay: float = 0, app: Flask | None = None) -> None:
    """Hand ids to the workers now (the rows must already be committed)."""
    run_task: Any = (app or current_app).extensions["tongbao_run_task"]
    for task_id in task_ids:
        if delay:
            run_task.schedule(args=(task_id,), delay=delay)
        else:
            run_task(task_id)


def push_after_commit(task_id: int) -> None:
    db.session.info.setdefault(PENDING, []).append(task_id)


def pending_messages(app: Flask | None = None) -> int:
    huey = huey_of(app)
    if huey.immediate:
        return 0
    return int(huey.pending_count()) + int(huey.scheduled_count())


@event.listens_for(Session, "after_commit")
def _push_pending(session: Session) -> None:
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    try:
        push(ids)
    except Exception:  # the queue is down: the rows stay queued and a worker's reaper pushes them again
        log.exception("could not hand tasks %s to the queue; the reaper will", ids)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING, None)
