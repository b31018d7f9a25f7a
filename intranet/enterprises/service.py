"""Enterprises and their accounts: lookup, invitation on roster confirmation, activation links."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from flask import current_app, has_request_context
from sqlalchemy import func, select

from ..auth import service as auth
from ..auth.models import Role, User
from ..clock import shanghai_date
from ..districts.service import manager_line
from ..extensions import db
from ..outbox import service as outbox
from ..programmes.models import Programme
from .models import Enterprise


def find_by_uscc(uscc: str) -> Enterprise | None:
    return db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))


def account_for(enterprise: Enterprise) -> User | None:
    return db.session.scalar(
        select(User).where(User.enterprise_id == enterprise.id, User.role == Role.ENTERPRISE).order_by(User.id)
    )


def ensure_account(enterprise: Enterprise, *, now: datetime) -> User:
    """The enterprise's login, created (without a password) when missing."""
    user = account_for(enterprise)
    if user is not None:
        return user
    email = (enterprise.email or "").lower() or None
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        email = None  # the address already belongs to another login; USCC still works
    user = User(
        email=email,
        display_name=enterprise.name,
        role=Role.ENTERPRISE,
        enterprise_id=enterprise.id,
        password_hash=None,
        active=True,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def activation_url(token: str) -> str:
    return f"{current_app.config['TONGBAO_BASE_URL']}/activate/{token}"


def activation_link_for(user: User, *, now: datetime) -> str:
    token = auth.issue_activation_token(user, now=now)
    db.session.commit()
    return activation_url(token)


def claims_open(programme: Programme, now: datetime) -> bool:
    """A claim is still accepted (DOMAIN: none after the cover period has ended)."""
    return shanghai_date(now) <= programme.cover_end


def invite(enterprise: Enterprise, programme: Programme, *, now: datetime) -> int:
    """Create the account if needed and queue the invitation by email and SMS (in the caller's
    transaction). Returns how many messages were queued (0 when already invited, or when the cover
    period is over and nothing is left to claim). After the claim deadline the message states the
    late-claim rule instead of naming the deadline: it never names a past date."""
    if not claims_open(programme, now):
        return 0
    user = ensure_account(enterprise, now=now)
    if user.activated_at is not None:
        return 0
    keys = {ch: f"invite:{programme.year}:{enterprise.id}:{ch}" for ch in ("email", "sms")}
    wanted = {
        "email": enterprise.email if enterprise.email else None,
        "sms": enterprise.mobile if enterprise.mobile else None,
    }
    todo = {ch: to for ch, to in wanted.items() if to and not outbox.exists(keys[ch])}
    if not todo:
        return 0
    token = auth.issue_activation_token(user, now=now)
    context = {
        "enterprise_name": enterprise.name,
        "uscc": enterprise.uscc,
        "programme_year": programme.year,
        "programme_name": programme.name_zh,
        "claim_deadline": programme.claim_deadline.isoformat(),
        "late": shanghai_date(now) > programme.claim_deadline,  # then: cover from issue to cover_end
        "cover_end": programme.cover_end.isoformat(),
        "activation_url": activation_url(token),
        "link_expires_at": now + auth.ACTIVATION_VALID_FOR,  # the SMS's short link lives as long as the token
        "hotline": programme.hotline_consult,
        "account_managers": manager_line(enterprise.district, programme.year),
    }
    queued = 0
    # templates render with the app's context processors, which expect a request: give the CLI
    # (`tongbao roster confirm`) and the notifier one
    with nullcontext() if has_request_context() else current_app.test_request_context("/"):
        for channel, recipient in todo.items():
            queued += _queue_invitation(channel, str(recipient), keys[channel], context, enterprise, user, now)
    return queued


def _queue_invitation(
    channel: str,
    recipient: str,
    key: str,
    context: dict[str, object],
    enterprise: Enterprise,
    user: User,
    now: datetime,
) -> int:
    message = outbox.queue(
        channel=channel,
        recipient=recipient,
        job="invitation",
        template="invitation",
        context=context,
        dedupe_key=key,
        now=now,
        enterprise_id=enterprise.id,
        user_id=user.id,
    )
    return int(message is not None)
