"""Submit, run, retry and reap tasks. Times here are the real clock (leases), never the business
clock: a task that must act "as of" a business moment carries it in its payload."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..actors import SystemActor
from ..db_tx import transactional
from ..extensions import db
from . import queue
from .models import Task

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a running task's worker renews this every LEASE / 3
LOST_AFTER = timedelta(seconds=30)  # a queued task nobody picked while the queue is empty: re-send
RETRY_DELAYS = (5, 30, 120, 600)  # seconds before the 2nd, 3rd, … attempt after an error

T = TypeVar("T")
Handler = Callable[[Task], dict[str, Any] | None]


def wall_now() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def register(app: Flask, kind: str, handler: Handler) -> None:
    """A feature's handler for one kind of task (registered by the app factory)."""
    app.extensions.setdefault("tongbao_task_handlers", {})[kind] = handler


def actor_payload(actor: Any) -> dict[str, Any]:
    """Who asked for a task, carried in its payload (the worker acts as them)."""
    return {"actor_id": actor.id, "actor_role": actor.role, "actor_name": actor.label()}


def actor_from(payload: dict[str, Any]) -> SystemActor:
    """The same person in the worker, detached from any request's session."""
    return SystemActor(
        name=str(payload.get("actor_name") or "worker"),
        role=str(payload.get("actor_role") or "system"),
        id=payload.get("actor_id"),
    )


def submit(kind: str, payload: dict[str, Any] | None = None, *, key: str | None = None) -> Task:
    """A new task in the caller's transaction (sent to the workers once it commits). With a `key`,
    submitting again returns the task already made for it."""
    if key is not None:
        existing = db.session.scalar(select(Task).where(Task.key == key))
        if existing is not None:
            return existing
    moment = wall_now()
    task = Task(kind=kind, key=key, payload=payload or {}, created_at=moment, enqueued_at=moment)
    try:
        with db.session.begin_nested():
            db.session.add(task)
    except IntegrityError:  # the same key, submitted at the same moment elsewhere
        existing = db.session.scalar(select(Task).where(Task.key == key))
        if existing is None:
            raise
        return existing
    queue.push_after_commit(task.id)
    return task


def submit_many(
    kind: str, payloads: Sequence[tuple[str | None, dict[str, Any]]], *, batch: str | None = None
) -> list[int]:
    """Many tasks in a few statements. A key whose task is still waiting or running is skipped; one
    whose task has finished is freed for the new task. Returns the new ids."""
    if not payloads:
        return []
    keys = [k for k, _ in payloads if k is not None]
    taken: set[str] = set()
    for chunk in _chunks(keys, 500):
        db.session.execute(
            update(Task).where(Task.key.in_(chunk), Task.status.in_(("done", "failed"))).values(key=None)
        )
        taken.update(k for k in db.session.scalars(select(Task.key).where(Task.key.in_(chunk))) if k)
    moment = wall_now()
    rows = [
        {"kind": kind, "key": k, "batch": batch, "payload": p, "status": "queued", "attempts": 0, "max_attempts": 5,
         "progress_done": 0, "created_at": moment, "enqueued_at": moment}  # fmt: skip
        for k, p in payloads
        if k is None or k not in taken
    ]
    if not rows:
        return []
    ids = list(db.session.scalars(db.insert(Task).returning(Task.id), rows))
    for task_id in ids:
        queue.push_after_commit(task_id)
    return ids


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transactional
def _take(task_id: int, worker: str) -> bool:
    moment = wall_now()
    taken = db.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == "queued")
        .values(status="running", attempts=Task.attempts + 1, started_at=moment, lease_until=moment + LEASE,
                worker=worker)  # fmt: skip
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def claim(task_id: int, worker: str) -> Task | None:
    """Take a queued task for this worker (atomic: of two workers given the same id, one wins)."""
    if not _take(task_id, worker):
        return None
    return db.session.get(Task, task_id)


def execute(task_id: int) -> None:
    """Run one task to its end in this process (called by the worker, or inline in tests)."""
    worker = worker_name()
    task = claim(task_id, worker)
    if task is None:
        return
    handlers: dict[str, Handler] = current_app.extensions.get("tongbao_task_handlers", {})
    handler = handlers.get(task.kind)
    if handler is None:
        _end(task_id, worker, status="failed", error=f"no handler for task kind {task.kind!r}")
        return
    try:
        with _lease_kept(current_app._get_current_object(), task_id, worker):  # type: ignore[attr-defined]
            result = handler(task)
    except Exception as exc:  # noqa: BLE001 — any error: retry later, or give up after max_attempts
        db.session.rollback()
        log.exception("task %s (%s) failed", task_id, task.kind)
        _retry_or_fail(task_id, worker, f"{type(exc).__name__}: {exc}")
        return
    _end(task_id, worker, status="done", result=result)


def set_progress(task_id: int, done: int, total: int | None = None) -> None:
    """Progress for the pages that show it, on its own connection (the handler's transaction may be open)."""
    values: dict[str, Any] = {"progress_done": done}
    if total is not None:
        values["progress_total"] = total
    with db.engine.begin() as conn:
        conn.execute(update(Task).where(Task.id == task_id).values(**values))


@transactional
def _end(task_id: int, worker: str, *, status: str, result: dict[str, Any] | None = None, error: str = "") -> None:
    db.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.worker == worker, Task.status == "running")
        .values(status=status, finished_at=wall_now(), lease_until=None, result=result, error=error or None)
    )


def _retry_or_fail(task_id: int, worker: str, error: str) -> None:
    delay = _requeue_or_fail(task_id, worker, error)
    if delay is not None:
        queue.push([task_id], delay=delay)


@transactional
def _requeue_or_fail(task_id: int, worker: str, error: str) -> int | None:
    """Back to the queue after a delay (returned), or failed for good after max_attempts (None)."""
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None or task.worker != worker or task.status != "running":
        return None
    if task.attempts >= task.max_attempts:
        task.status, task.finished_at, task.lease_until, task.error = "failed", wall_now(), None, error[:4000]
        return None
    delay = RETRY_DELAYS[min(task.attempts - 1, len(RETRY_DELAYS) - 1)]
    task.status, task.lease_until, task.worker, task.error = "queued", None, None, error[:4000]
    task.enqueued_at = wall_now() + timedelta(seconds=delay)
    return delay


@contextmanager
def _lease_kept(app: Flask, task_id: int, worker: str) -> Iterator[None]:
    """Renew the lease every LEASE / 3 while the handler runs, from a thread of this worker process."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE.total_seconds() / 3):
            try:
                with app.app_context(), db.engine.begin() as conn:
                    conn.execute(
                        update(Task)
                        .where(Task.id == task_id, Task.worker == worker, Task.status == "running")
                        .values(lease_until=wall_now() + LEASE)
                    )
            except Exception:  # noqa: BLE001 — a missed renewal only risks a duplicate run, which is idempotent
                log.warning("could not renew the lease of task %s", task_id, exc_info=True)

    keeper = threading.Thread(target=renew, name=f"lease-{task_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def reap(now: datetime | None = None) -> list[int]:
    """Hand out again the tasks whose worker died (lease ran out), and the queued tasks whose message
    was lost (the queue is empty, yet they wait). Safe to run from every worker at once."""
    again = _reclaim(now or wall_now())
    if again:
        queue.push(again)
    return again


@transactional
def _reclaim(now: datetime) -> list[int]:
    expired = select(Task).where(Task.status == "running", Task.lease_until < now)
    if db.engine.dialect.name == "postgresql":
        expired = expired.with_for_update(skip_locked=True)
    again: list[int] = []
    for task in db.session.scalars(expired):
        if task.attempts >= task.max_attempts:
            task.status, task.finished_at, task.lease_until = "failed", now, None
            task.error = f"its worker stopped {task.attempts} times (last: {task.worker})"
        else:
            task.status, task.lease_until, task.worker, task.enqueued_at = "queued", None, None, now
            again.append(task.id)
    if queue.pending_messages() == 0:
        lost = db.session.scalars(
            select(Task.id).where(Task.status == "queued", Task.enqueued_at < now - LOST_AFTER).limit(10_000)
        ).all()
        if lost:
            db.session.execute(update(Task).where(Task.id.in_(lost)).values(enqueued_at=now))
            again.extend(lost)
    return again


@dataclass(frozen=True)
class BatchProgress:
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total


def batch_progress(batch: str) -> BatchProgress:
    rows = db.session.execute(select(Task.status, func.count(Task.id)).where(Task.batch == batch).group_by(Task.status))
    counts: dict[str, int] = {status: n for status, n in rows}
    return BatchProgress(sum(counts.values()), counts.get("done", 0), counts.get("failed", 0))


def wait_for_batch(batch: str, *, timeout: float, poll: float = 0.5) -> BatchProgress:
    """Block until every task of the batch has finished (done or failed), or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # a fresh snapshot each time
        progress = batch_progress(batch)
        if progress.finished:
            return progress
        if time.monotonic() > deadline:
            raise TimeoutError(f"{progress.total - progress.done - progress.failed} of {progress.total} tasks wait")
        time.sleep(poll)


def batch_results(batch: str) -> list[dict[str, Any]]:
    return [r or {} for r in db.session.scalars(select(Task.result).where(Task.batch == batch, Task.status == "done"))]


def waiting() -> int:
    return int(db.session.scalar(select(func.count(Task.id)).where(Task.status.in_(("queued", "running")))) or 0)
