"""Alerts to staff, once a day at the alert time: a notice period has ended (bureau: confirm the
roster now), claims have waited longer than the issuance lag (insurer), messages failed (staff).
And at once, whenever the job runs: a claim the lag alert would report too late — made in the last
days of cover, it must be issued before the cover ends or it lapses (insurer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..actors import Actor
from ..auth.models import User
from ..clock import at_shanghai, shanghai_date, start_of_day
from ..db_tx import transactional
from ..extensions import db
from ..outbox.models import OutboxMessage, OutboxStatus
from ..policies import rules
from ..policies.models import Policy, PolicyStatus
from ..programmes.models import Programme
from ..roster.models import Objection, ObjectionStatus, Roster, RosterEntry, RosterStatus
from ..security import ensure_role
from .recipients import base_url, queue_specs, staff
from .settings import setting

JOB = "alert"
LIST_LIMIT = 20


def _spec(user: User, template: str, key: str, context: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "channel": "email",
        "recipient": str(user.email),
        "job": JOB,
        "template": template,
        "context": {"staff_name": user.display_name or user.email, **context},
        "dedupe_key": key,
        "now": now,
        "user_id": user.id,
        "language": "en" if user.locale == "en" else "zh",
    }


def notice_periods_ended(now: datetime) -> list[dict[str, Any]]:
    today = shanghai_date(now)
    rosters = db.session.scalars(
        select(Roster)
        .where(Roster.status == RosterStatus.NOTICE, Roster.notice_end < today)
        .order_by(Roster.programme_id, Roster.seq)
    )
    specs = []
    bureau = staff("bureau")
    for roster in rosters:
        open_objections = db.session.scalar(
            select(func.count(Objection.id))
            .join(RosterEntry, RosterEntry.id == Objection.roster_entry_id)
            .where(RosterEntry.roster_id == roster.id, Objection.status == ObjectionStatus.OPEN)
        )
        context = {
            "programme_year": roster.programme.year,
            "roster_seq": roster.seq,
            "supplementary": roster.is_supplementary,
            "notice_start": roster.notice_start.isoformat() if roster.notice_start else "",
            "notice_end": roster.notice_end.isoformat() if roster.notice_end else "",
            "open_objections": int(open_objections or 0),
            "url": f"{base_url()}/staff/roster/",
        }
        for user in bureau:
            specs.append(_spec(user, "alert_notice_ended", f"alert:notice_ended:{roster.id}:{user.id}", context, now))
    return specs


def claims_overdue(now: datetime) -> list[dict[str, Any]]:
    today = shanghai_date(now)
    overdue: list[Policy] = []
    running = select(Programme).where(Programme.cover_end >= today).order_by(Programme.year)
    for programme in db.session.scalars(running):  # a claim whose cover has ended lapses: no alert
        limit = now - timedelta(days=programme.issuance_lag_days)
        overdue += db.session.scalars(
            select(Policy)
            .where(
                Policy.programme_id == programme.id,
                Policy.status == PolicyStatus.CLAIMED,
                Policy.claimed_at < limit,
            )
            .order_by(Policy.claimed_at)
        )
    if not overdue:
        return []
    context = {
        "count": len(overdue),
        "oldest": shanghai_date(overdue[0].claimed_at).isoformat(),
        "lines": [
            f"{p.enterprise.name}（{p.enterprise.uscc}）{shanghai_date(p.claimed_at).isoformat()}"
            for p in overdue[:LIST_LIMIT]
        ],
        "more": max(0, len(overdue) - LIST_LIMIT),
        "issuance_lag_days": overdue[0].programme.issuance_lag_days,
        "url": f"{base_url()}/staff/policies/queue",
    }
    return [
        _spec(user, "alert_claims_overdue", f"alert:claims_overdue:{today}:{user.id}", context, now)
        for user in staff("insurer")
    ]


def claims_due_before_cover_ends(now: datetime) -> list[dict[str, Any]]:
    """One alert per claim (at once, not at the alert time) that the lag alert would report on the
    last day of cover or later: the insurer must issue it before the cover ends."""
    today = shanghai_date(now)
    specs: list[dict[str, Any]] = []
    insurers = staff("insurer")
    if not insurers:
        return specs
    for programme in db.session.scalars(select(Programme).where(Programme.cover_end >= today)):
        since = start_of_day(programme.cover_end - timedelta(days=programme.issuance_lag_days + 1))
        claims = db.session.scalars(
            select(Policy)
            .where(Policy.programme_id == programme.id, Policy.status == PolicyStatus.CLAIMED)
            .where(Policy.claimed_at >= since)
            .order_by(Policy.claimed_at, Policy.id)
        )
        for policy in claims:
            if not rules.must_alert_at_once(programme, policy.claimed_at):
                continue
            context = {
                "enterprise_name": policy.enterprise.name,
                "uscc": policy.enterprise.uscc,
                "programme_year": programme.year,
                "claimed_on": shanghai_date(policy.claimed_at).isoformat(),
                "cover_end": programme.cover_end.isoformat(),
                "days_left": (programme.cover_end - today).days,
                "url": f"{base_url()}/staff/policies/{policy.id}",
            }
            for user in insurers:
                key = f"alert:cover_end:{policy.id}:{user.id}"
                specs.append(_spec(user, "alert_claim_cover_ending", key, context, now))
    return specs


def failed_messages(now: datetime) -> list[dict[str, Any]]:
    """Messages that failed in the day before today's alert time."""
    today = shanghai_date(now)
    until = at_shanghai(today, setting("NOTIFIER_ALERT_TIME"))
    since = until - timedelta(days=1)
    failed = list(
        db.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.job,
                OutboxMessage.error,
            )
            .where(
                OutboxMessage.status == OutboxStatus.FAILED,
                OutboxMessage.last_attempt_at >= since,
                OutboxMessage.last_attempt_at < until,
            )
            .order_by(OutboxMessage.id)
        )
    )
    if not failed:
        return []
    context = {
        "count": len(failed),
        "lines": [f"#{m.id} {m.channel} {m.job} → {m.recipient}: {(m.error or '')[:120]}" for m in failed[:LIST_LIMIT]],
        "more": max(0, len(failed) - LIST_LIMIT),
        "url": f"{base_url()}/staff/outbox?status=failed",
    }
    return [
        _spec(user, "alert_failed_messages", f"alert:failed:{today}:{user.id}", context, now)
        for user in staff("bureau", "insurer")
    ]


@transactional
def queue_staff_alerts(actor: Actor, *, now: datetime) -> int:
    """Queue today's staff alerts once the alert time has come; idempotent."""
    ensure_role(actor, "bureau", "insurer")
    if now < at_shanghai(shanghai_date(now), setting("NOTIFIER_ALERT_TIME")):
        return 0
    specs = notice_periods_ended(now) + claims_overdue(now) + failed_messages(now)
    return queue_specs(specs)


@transactional
def queue_cover_end_alerts(actor: Actor, *, now: datetime) -> int:
    """Queue the at-once alerts about claims that must be issued before their cover ends; idempotent."""
    ensure_role(actor, "bureau", "insurer")
    return queue_specs(claims_due_before_cover_ends(now))
