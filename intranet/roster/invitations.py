"""Invitations after a roster is confirmed: every listed, eligible enterprise of that roster
(and of no other) is invited to activate its account — `enterprises.service.invite`, which
creates the account and queues email + SMS.

Confirming queues the work set-based, in the confirming transaction: one task per batch of BATCH
enterprises (one statement reads the members, one inserts the tasks). Workers on any host invite
batch by batch, each batch its own short transaction; `invite` is idempotent (one message per
enterprise, programme and channel), so a batch whose worker died simply runs again. Progress is
the tasks' progress, read from the database by any web worker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..actors import Actor
from ..audit import service as audit
from ..auth.models import Role, User
from ..confirmations import Plan
from ..db_tx import transactional
from ..enterprises import service as enterprises
from ..enterprises.models import Enterprise
from ..errors import Refused
from ..extensions import db
from ..i18n import listing
from ..outbox.service import existing_keys
from ..security import ensure_role
from ..tasks import service as tasks
from ..tasks.models import Task
from . import notice_service
from .models import EntryStatus, Roster, RosterEntry, RosterStatus
from .notice_service import CONFIRMERS, roster_label

log = logging.getLogger(__name__)
BATCH = 250
KIND = "roster.invite"


@dataclass
class Invited:
    listed: int = 0
    invited: int = 0  # enterprises with at least one message queued by this run
    messages: int = 0


# Which of these enterprises hold a policy of the programme (any state): they are not invited. The
# policies layer sits above the roster, so the app factory registers the finder (`_init_tasks`).
HolderFinder = Callable[[int, Sequence[int]], set[int]]
HOLDERS = "tongbao_policy_holders"


def holders(programme_id: int, enterprise_ids: Sequence[int]) -> set[int]:
    finder: HolderFinder | None = current_app.extensions.get(HOLDERS)
    return finder(programme_id, enterprise_ids) if finder is not None and enterprise_ids else set()


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
def _invite_batch(roster_id: int, ids: list[int], now: datetime) -> Invited:
    roster = db.session.get(Roster, roster_id)
    assert roster is not None
    programme = roster.programme
    result = Invited(listed=len(ids))
    batch = db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids))).all()
    order = {enterprise_id: i for i, enterprise_id in enumerate(ids)}
    claimed = holders(programme.id, ids)  # an enterprise that claimed needs no invitation
    for enterprise in sorted((e for e in batch if e.id not in claimed), key=lambda e: order[e.id]):
        queued = enterprises.invite(enterprise, programme, now=now)
        result.invited += queued > 0
        result.messages += queued
    return result


def invite_task(task: Task) -> dict[str, Any]:
    """The task handler: invite one batch (kind `roster.invite`)."""
    payload = task.payload
    result = _invite_batch(int(payload["roster_id"]), [int(i) for i in payload["enterprise_ids"]],
                           datetime.fromisoformat(payload["as_of"]))  # fmt: skip
    return {"listed": result.listed, "invited": result.invited, "messages": result.messages}


@dataclass(frozen=True)
class Queued:
    batch: str
    listed: int
    tasks: int


@transactional
def queue_invitations(actor: Actor, roster_id: int, *, now: datetime) -> Queued:
    """Hand the invitations of a confirmed roster to the workers: one task per BATCH enterprises.
    A batch whose task still waits is not queued twice."""
    ensure_role(actor, *CONFIRMERS)
    roster = db.session.get(Roster, roster_id)
    if roster is None or roster.status != RosterStatus.CONFIRMED:
        raise ValueError(f"roster {roster_id} is not confirmed")
    ids = members(roster)
    batch = f"{KIND}:{roster_id}:{uuid.uuid4().hex[:12]}"
    common = {"roster_id": roster_id, "as_of": now.isoformat(), **tasks.actor_payload(actor)}
    parts = [
        (f"{KIND}:{roster_id}:{ids[start]}", {**common, "enterprise_ids": ids[start : start + BATCH]})
        for start in range(0, len(ids), BATCH)
    ]
    made = tasks.submit_many(KIND, parts, batch=batch)
    audit.record(
        actor,
        "roster.invite",
        obj=roster,
        summary=f"{roster_label(roster)}: {len(ids)} enterprises, {len(made)} tasks",
        changes={"batch": batch, "enterprises": len(ids), "tasks": len(made)},
    )
    return Queued(batch, len(ids), len(made))


@transactional
def confirm_and_invite(
    actor: Actor, programme: Any, *, now: datetime, roster_id: int | None = None
) -> tuple[notice_service.Confirmation, Queued]:
    """Confirm the roster and queue its invitations in one transaction: a confirmed roster always
    has its invitations on their way."""
    done = notice_service.confirm(actor, programme, now=now, roster_id=roster_id)
    return done, queue_invitations(actor, done.roster.id, now=now)


def batch_summary(batch: str) -> Invited:
    """What a finished batch of invitation tasks did."""
    total = Invited()
    for result in tasks.batch_results(batch):
        total.listed += int(result.get("listed", 0))
        total.invited += int(result.get("invited", 0))
        total.messages += int(result.get("messages", 0))
    return total


def _batches(roster: Roster) -> list[str]:
    return list(
        db.session.scalars(
            select(Task.batch)
            .where(Task.kind == KIND, Task.batch.like(f"{KIND}:{roster.id}:%"))
            .group_by(Task.batch)
            .order_by(func.min(Task.id))
        )
    )


@dataclass(frozen=True)
class Progress:
    done: int  # enterprises whose batch has run
    of: int  # enterprises listed
    waiting: int  # tasks queued or running
    failed: int  # tasks that gave up (their enterprises are not all invited)


def progress_of(roster: Roster) -> Progress | None:
    """How far the roster's invitations are, over every time they were queued (None: never)."""
    batches = _batches(roster)
    if not batches:
        return None
    rows = db.session.execute(select(Task.status, Task.result).where(Task.batch.in_(batches))).all()
    invited = sum(int((r or {}).get("listed", 0)) for status, r in rows if status == "done")
    waiting = sum(1 for status, _ in rows if status in ("queued", "running"))
    failed = sum(1 for status, _ in rows if status == "failed")
    listed = len(members(roster))
    return Progress(done=min(invited, listed), of=listed, waiting=waiting, failed=failed)


def unfinished(roster: Roster) -> bool:
    """A confirmed roster whose invitations gave up somewhere (or were never queued)."""
    if roster.status != RosterStatus.CONFIRMED:
        return False
    state = progress_of(roster)
    if state is None:
        return bool(members(roster))
    return state.failed > 0 and state.waiting == 0 and state.done < state.of


# --- what a confirmation says before the invitations go ---------------------------------------


@dataclass(frozen=True)
class Pending:
    enterprises: int  # enterprises that would get at least one message
    messages: int
    names: list[str]


def pending(roster: Roster, now: datetime) -> Pending:
    """What inviting the roster's members now would send (as `enterprises.service.invite` decides:
    not to holders of a policy, not to an activated account, not twice on one channel, nothing
    once the cover period is over)."""
    if not enterprises.claims_open(roster.programme, now):
        return Pending(0, 0, [])
    ids = members(roster)
    year = roster.programme.year
    claimed = holders(roster.programme_id, ids)
    activated: set[int] = set()
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        activated.update(
            db.session.scalars(
                select(User.enterprise_id).where(
                    User.enterprise_id.in_(chunk), User.role == Role.ENTERPRISE, User.activated_at.is_not(None)
                )
            )
        )
        rows.extend(
            db.session.execute(
                select(Enterprise.id, Enterprise.name, Enterprise.email, Enterprise.mobile).where(
                    Enterprise.id.in_(chunk)
                )
            )  # fmt: skip
        )
    order = {enterprise_id: i for i, enterprise_id in enumerate(ids)}
    wanted = {
        row.id: {ch: f"invite:{year}:{row.id}:{ch}" for ch, to in (("email", row.email), ("sms", row.mobile)) if to}
        for row in rows
        if row.id not in claimed and row.id not in activated
    }
    known = existing_keys(key for keys in wanted.values() for key in keys.values())
    todo = {eid: [k for k in keys.values() if k not in known] for eid, keys in wanted.items()}
    reached = sorted((row for row in rows if todo.get(row.id)), key=lambda row: order[row.id])
    return Pending(len(reached), sum(len(v) for v in todo.values()), [row.name for row in reached[:10]])


def confirm_plan(programme: Any, *, now: datetime, roster_id: int | None = None) -> Plan:
    """What confirming does: the roster becomes read-only and each member is invited."""
    roster = notice_service.roster_under_notice(programme)
    if roster is None or (roster_id is not None and roster.id != roster_id):
        raise Refused(_l("%(year)s 年度没有公示中的名单可确认", year=programme.year), code="no_roster_under_notice")
    reasons = notice_service.confirm_blockers(roster, now)
    if reasons:
        raise Refused(_l("%(reasons)s", reasons=listing(reasons, "；")), code="cannot_confirm")
    return _invitations_plan(
        roster,
        now,
        action="roster.confirm",
        title=_l("确认%(roster)s并发送账号激活邀请", roster=roster_label(roster)),
        warning=_l("确认后名单不可再修改（更正须通过补充名单），邀请发出后不能撤回。"),
    )


def resume_plan(roster: Roster, *, now: datetime) -> Plan:
    """What "继续发送邀请" sends: the invitations not yet sent."""
    return _invitations_plan(
        roster,
        now,
        action="roster.invite",
        title=_l("继续发送%(roster)s的账号激活邀请", roster=roster_label(roster)),
        warning=_l("邀请发出后不能撤回。"),
    )


def _invitations_plan(roster: Roster, now: datetime, *, action: str, title: Any, warning: Any) -> Plan:
    """The confirmation of an action that invites the roster's members not yet invited."""
    waiting = pending(roster, now)
    return Plan(
        action=action,
        object_id=roster.id,
        title=title,
        counts={"enterprises": waiting.enterprises, "messages": waiting.messages},
        who=waiting.names,
        who_total=waiting.enterprises,
        warning=warning,
    )
