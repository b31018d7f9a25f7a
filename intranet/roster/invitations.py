"""Invitations after a roster is confirmed: every listed, eligible enterprise of that roster
(and of no other) is invited to activate its account — `enterprises.service.invite`, which
creates the account and queues email + SMS.

About 7 ms per enterprise, so a roster of 100,000 takes minutes: the work runs in batches, each
its own short transaction (other writers are never blocked for long), with its progress in the
audit log. `invite` is idempotent (one message per enterprise, programme and channel), so an
interrupted run is simply run again. The CLI runs it inline; the web in a background thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from ..actors import Actor, SystemActor
from ..audit import service as audit
from ..audit.models import AuditLog
from ..db_tx import transactional
from ..enterprises import service as enterprises
from ..enterprises.models import Enterprise
from ..extensions import db
from ..security import ensure_role
from . import notice_service
from .models import EntryStatus, Roster, RosterEntry, RosterStatus
from .notice_service import CONFIRMERS, roster_label

log = logging.getLogger(__name__)
BATCH = 250
_threads: list[threading.Thread] = []


@dataclass
class Invited:
    listed: int = 0
    invited: int = 0  # enterprises with at least one message queued by this run
    messages: int = 0


def members(roster: Roster) -> list[int]:
    """Enterprise ids of the roster's listed, eligible entries, in roster order."""
    return list(
        db.session.scalars(
            select(RosterEntry.enterprise_id)
            .where(RosterEntry.roster_id == roster.id, RosterEntry.status == EntryStatus.LISTED, RosterEntry.eligible)
            .order_by(RosterEntry.id)
        )
    )


@transactional
def _invite_batch(actor: Actor, roster_id: int, ids: list[int], done: int, total: int, now: datetime) -> Invited:
    roster = db.session.get(Roster, roster_id)
    assert roster is not None
    programme = roster.programme
    result = Invited(listed=len(ids))
    batch = db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids))).all()
    order = {enterprise_id: i for i, enterprise_id in enumerate(ids)}
    for enterprise in sorted(batch, key=lambda e: order[e.id]):
        queued = enterprises.invite(enterprise, programme, now=now)
        result.invited += queued > 0
        result.messages += queued
    audit.record(
        actor,
        "roster.invite",
        obj=roster,
        summary=f"{roster_label(roster)}: {done + len(ids)}/{total}",
        changes={"done": done + len(ids), "of": total, "invited": result.invited, "messages": result.messages},
    )
    return result


def invite_members(
    actor: Actor, roster_id: int, *, now: datetime, progress: Callable[[int, int], None] | None = None
) -> Invited:
    """Invite every listed, eligible enterprise of a confirmed roster, batch by batch."""
    ensure_role(actor, *CONFIRMERS)
    roster = db.session.get(Roster, roster_id)
    if roster is None or roster.status != RosterStatus.CONFIRMED:
        raise ValueError(f"roster {roster_id} is not confirmed")
    ids = members(roster)
    total = Invited(listed=len(ids))
    for start in range(0, len(ids), BATCH):
        part = _invite_batch(actor, roster_id, ids[start : start + BATCH], start, len(ids), now)
        total.invited += part.invited
        total.messages += part.messages
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    return total


def progress_of(roster: Roster) -> dict[str, Any] | None:
    """The latest invitation progress recorded for the roster ({"done", "of", ...} and when)."""
    row = db.session.scalar(
        select(AuditLog)
        .where(
            AuditLog.action == "roster.invite", AuditLog.object_type == "rosters", AuditLog.object_id == str(roster.id)
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    if row is None or not row.changes:
        return None
    return {**row.changes, "at": row.at}


def unfinished(roster: Roster) -> bool:
    """A confirmed roster whose invitation run stopped before its last batch (or never began)."""
    if roster.status != RosterStatus.CONFIRMED:
        return False
    state = progress_of(roster)
    if state is None:
        return bool(members(roster))
    return int(state.get("done", 0)) < int(state.get("of", 0))


def background_actor(actor: Actor) -> SystemActor:
    """The same person, detached from the request's session (the thread has its own)."""
    return SystemActor(name=actor.label(), role=actor.role, id=actor.id)


def start(actor: Actor, roster_id: int, *, now: datetime) -> None:
    """Invite in a background thread with its own app context (the web's confirm button)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = background_actor(actor)
    thread = threading.Thread(target=_run, args=(app, worker, roster_id, now), name=f"invite-{roster_id}", daemon=True)
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def confirm_then_start(actor: Actor, programme: Any, *, now: datetime, roster_id: int) -> Any:
    """The web's confirm button: confirm (one short transaction), then invite in the background."""
    done = notice_service.confirm(actor, programme, now=now, roster_id=roster_id)
    start(actor, done.roster.id, now=now)
    return done


def running() -> bool:
    return any(t.is_alive() for t in _threads)


def _run(app: Flask, actor: SystemActor, roster_id: int, now: datetime) -> None:
    with app.app_context():
        try:
            invite_members(actor, roster_id, now=now)
        except Exception:
            log.exception("invitations for roster %s failed; run them again from the roster page", roster_id)


def wait(timeout: float = 120) -> None:
    """Join the background threads (tests and shutdown)."""
    while _threads:
        _threads.pop().join(timeout)
