"""Claims that can never be issued: a policy still unissued when its programme's cover period ends
lapses (失效). It leaves the issuance queue and every alert, and says why (DOMAIN.md, "Policy claim
and certificate" 2). The scheduled job (reminders/lapse.py) picks the rows and tells the enterprise."""

from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..database import is_postgres
from ..extensions import db
from ..programmes.models import Programme
from .models import Policy, PolicyStatus


def reason(policy: Policy) -> LazyString:
    """Why the policy lapsed, in the reader's language."""
    return _l(
        "保险期限已于 %(end)s 结束，该领取申请在此之前未获签发，保单已失效",
        end=policy.programme.cover_end.isoformat(),
    )


def pick(now: datetime, limit: int) -> list[Policy]:
    """Up to `limit` claimed policies whose programme's cover has ended (Shanghai date), locked;
    rows another process holds are skipped (it lapses them)."""
    today = shanghai_date(now)
    stmt = (
        select(Policy)
        .join(Programme, Programme.id == Policy.programme_id)
        .where(Policy.status == PolicyStatus.CLAIMED, Programme.cover_end < today)
        .options(selectinload(Policy.enterprise), selectinload(Policy.programme))
        .order_by(Policy.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if is_postgres():
        stmt = stmt.with_for_update(of=Policy, skip_locked=True)
    return list(db.session.scalars(stmt))


def lapse(actor: Actor, policy: Policy) -> None:
    """Claimed → lapsed, audited; in the caller's transaction."""
    policy.status = PolicyStatus.LAPSED
    policy.version = (policy.version or 1) + 1
    audit.record(
        actor,
        "policy.lapse",
        obj=policy,
        summary=f"{policy.enterprise.uscc} {policy.programme.year}: unissued at the end of cover "
        f"{policy.programme.cover_end.isoformat()}",
        changes={"status": ["claimed", "lapsed"], "cover_end": policy.programme.cover_end},
    )
