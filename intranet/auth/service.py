"""Accounts: creation, password login with throttling, activation links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound, RateLimited, Refused
from ..extensions import db
from ..uscc import normalize_uscc
from .models import ActivationToken, LoginAttempt, Role, User

MAX_FAILURES_PER_HOUR = 100
MIN_PASSWORD_LENGTH = 10
ACTIVATION_VALID_FOR = timedelta(days=14)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _l("密码至少 %(n)s 位", n=MIN_PASSWORD_LENGTH),
            field="password",
        )


def find_user(identifier: str) -> User | None:
    """Login by email, or by USCC for an enterprise."""
    ident = identifier.strip()
    if not ident:
        return None
    if "@" in ident:
        return db.session.scalar(select(User).where(func.lower(User.email) == ident.lower()))
    uscc = normalize_uscc(ident)
    return db.session.scalar(
        select(User).where(User.enterprise.has(uscc=uscc), User.role == Role.ENTERPRISE).order_by(User.id).limit(1)
    )


def _recent_failures(user_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.user_id == user_id,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > now - timedelta(hours=1),
            )
        )
        or 0
    )


@transactional
def authenticate(identifier: str, password: str, *, now: datetime, ip: str | None = None) -> User:
    """The user, or Invalid (wrong credentials) / RateLimited (too many failures this hour)."""
    user = find_user(identifier)
    if user is not None and _recent_failures(user.id, now) >= MAX_FAILURES_PER_HOUR:
        raise RateLimited(
            _l("失败次数过多，请一小时后再试"),
            code="too_many_attempts",
        )
    ok = bool(
        user is not None and user.is_active and user.password_hash and check_password_hash(user.password_hash, password)
    )
    db.session.add(
        LoginAttempt(user_id=user.id if user else None, identifier=identifier[:254], at=now, succeeded=ok, ip=ip)
    )
    if not ok or user is None:
        # the failure row must be kept even though we refuse: commit it, then raise
        db.session.commit()
        raise Invalid(_l("账号或密码不正确"), field="password")
    user.last_login_at = now
    return user


@transactional
def create_user(
    actor: Actor,
    *,
    role: str,
    email: str | None,
    password: str | None,
    now: datetime,
    enterprise_id: int | None = None,
    display_name: str = "",
) -> User:
    if role not in {r.value for r in Role}:
        raise Invalid(_l("未知角色 %(role)s", role=role), field="role")
    if role == Role.ENTERPRISE and enterprise_id is None:
        raise Invalid(_l("企业账号需要统一社会信用代码"), field="uscc")
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise Refused(_l("邮箱 %(email)s 已被使用", email=email), field="email")
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email.lower() if email else None,
        display_name=display_name,
        role=role,
        enterprise_id=enterprise_id,
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=now,
        activated_at=now if password else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", obj=user, summary=f"{role} {email or ''}".strip())
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_activation_token(user: User, *, now: datetime) -> str:
    """A fresh single-use link token (the raw token goes in the message, only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ActivationToken(
            user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=now + ACTIVATION_VALID_FOR
        )
    )
    return token


def check_activation_token(token: str, *, now: datetime) -> ActivationToken:
    row = db.session.scalar(select(ActivationToken).where(ActivationToken.token_hash == _token_hash(token)))
    if row is None:
        raise NotFound(_l("激活链接无效"), code="invalid_token")
    if row.used_at is not None:
        raise Refused(_l("激活链接已使用过"), code="token_used")
    if row.expires_at <= now:
        raise Refused(_l("激活链接已过期，请联系客户经理"), code="token_expired")
    return row


@transactional
def activate(token: str, password: str, *, now: datetime) -> User:
    row = check_activation_token(token, now=now)
    check_password_strength(password)
    user = db.session.get(User, row.user_id)
    if user is None:
        raise NotFound(_l("账号不存在"))
    user.password_hash = hash_password(password)
    user.activated_at = now
    user.active = True
    row.used_at = now
    audit.record(user, "user.activate", obj=user)
    return user
