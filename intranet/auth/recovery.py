"""A forgotten password: a reset link by e-mail or a code by SMS, single use, valid 30 minutes.

Asking gives the same answer and costs the same work whether or not the account exists (a secret is
made and hashed and the message rendered either way; only a known account's is kept and queued).
Throttling is the web layer's (intranet.limits), before this is called. A reset ends every session of
the user and is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..actors import PUBLIC
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from . import codes
from .models import CodePurpose, Role, User
from .service import (
    check_password_strength,
    end_sessions,
    find_user,
    hash_password,
    looks_like_mobile,
    normalize_mobile,
)

CHANNELS = ("email", "sms")
TEMPLATE = "password_reset"


def find_account(identifier: str) -> User | None:
    """The login an identifier names: e-mail, USCC, the user's mobile, or the enterprise's contact
    mobile for the login that speaks for the enterprise."""
    user = find_user(identifier)
    if user is None and looks_like_mobile(identifier.strip()):
        for candidate in db.session.scalars(
            select(User)
            .where(User.role == Role.ENTERPRISE, User.enterprise.has(mobile=normalize_mobile(identifier)))
            .order_by(User.activated_at.is_(None), User.activated_at, User.id)
        ):
            if codes.mobile_of(candidate):
                return candidate
    return user


def reset_url(token: str) -> str:
    return f"{current_app.config['TONGBAO_BASE_URL']}/password/reset/{token}"


@transactional
def request_reset(identifier: str, channel: str, *, now: datetime) -> None:
    """Send a reset link (e-mail) or code (SMS) if the account exists and has that contact;
    say nothing either way."""
    if channel not in CHANNELS:
        raise Invalid(_l("请选择接收方式"), field="channel")
    user = find_account(identifier[:254])
    usable = user if user is not None and user.is_active else None
    recipient = None
    if usable is not None:
        recipient = codes.email_of(usable) if channel == "email" else codes.mobile_of(usable)
    context: dict[str, Any]
    if channel == "email":
        secret = codes.new_link_token()
        hashed = codes.keyed_hash(secret)
        context = {"reset_url": reset_url(secret), "code": ""}
    else:
        secret = codes.new_code()
        hashed = codes.code_hash(usable.id if usable is not None else 0, secret)
        context = {"reset_url": "", "code": secret}
    context.update(
        minutes=int(codes.VALID_FOR.total_seconds() // 60),
        name=(usable.display_name or usable.label()) if usable is not None else "",
    )
    row = None
    if usable is not None and recipient:
        row = codes.issue(usable, CodePurpose.RESET, channel, hashed, now=now, target=recipient)
        audit.record(PUBLIC, "user.password_reset_request", obj=usable, summary=channel)
    codes.send(row=row, user=usable, channel=channel, recipient=recipient, template=TEMPLATE, context=context, now=now)


def link_is_valid(token: str, *, now: datetime) -> bool:
    return codes.by_link(CodePurpose.RESET, token, now=now) is not None


def _apply(user: User, password: str, channel: str, now: datetime) -> User:
    user.password_hash = hash_password(password)
    if user.activated_at is None:
        user.activated_at = now  # the mailbox or phone was proven: as good as the activation link
    end_sessions(user)
    audit.record(user, "user.password_reset", obj=user, summary=channel)
    return user


@transactional
def reset_by_link(token: str, password: str, *, now: datetime) -> User:
    row = codes.by_link(CodePurpose.RESET, token, now=now)
    if row is None:
        raise NotFound(_l("重置链接无效或已过期，请重新申请"), code="invalid_token")
    check_password_strength(password)
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotFound(_l("重置链接无效或已过期，请重新申请"), code="invalid_token")
    row.used_at = now
    return _apply(user, password, "email", now)


@transactional
def reset_by_code(identifier: str, code: str, password: str, *, now: datetime) -> User:
    """The SMS code sent for `identifier`; a wrong code counts one of the code's tries."""
    check_password_strength(password)
    user = find_account(identifier[:254])
    row = codes.check_code(user, CodePurpose.RESET, code, now=now)
    if row is None or user is None or not user.is_active:
        db.session.commit()  # keep the counted try
        raise Invalid(_l("验证码不正确或已过期"), field="code")
    row.used_at = now
    return _apply(user, password, "sms", now)
