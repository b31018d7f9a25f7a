"""Accounts: creation, password login, sessions that can be ended, activation links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..uscc import normalize_uscc
from .models import ActivationToken, LoginAttempt, Role, User

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


def normalize_mobile(raw: str) -> str:
    """A mobile number as kept: digits only, without China's +86."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def looks_like_mobile(ident: str) -> bool:
    return bool(ident) and all(ch.isdigit() or ch in " +-" for ch in ident) and 7 <= len(normalize_mobile(ident)) <= 15


def find_user(identifier: str) -> User | None:
    """Login by email, by mobile (a user's own), or by USCC for an enterprise."""
    ident = identifier.strip()
    if not ident:
        return None
    if "@" in ident:
        return db.session.scalar(select(User).where(func.lower(User.email) == ident.lower()))
    if looks_like_mobile(ident):
        return db.session.scalar(select(User).where(User.mobile == normalize_mobile(ident)))
    uscc = normalize_uscc(ident)
    return db.session.scalar(
        select(User).where(User.enterprise.has(uscc=uscc), User.role == Role.ENTERPRISE).order_by(User.id).limit(1)
    )


@cache
def _dummy_hash(method: str) -> str:
    """What an unknown login's password is checked against: shaped like a stored hash of `method`
    (random salt and digest, so no password matches it), it costs one check like a known login's,
    and nothing to make."""
    return f"{method}${secrets.token_hex(8)}${secrets.token_hex(32)}"


@transactional
def authenticate(identifier: str, password: str, *, now: datetime, ip: str | None = None) -> User:
    """The user, or Invalid (wrong credentials). Exactly one password hash is checked whoever asks
    (an unknown login is checked against a dummy hash), so the answer's cost tells nothing. The
    attempt is recorded; throttling is the web layer's (intranet.limits), before this is called,
    and it never locks an account for everyone."""
    user = find_user(identifier)
    usable = user is not None and user.is_active and bool(user.password_hash)
    stored = user.password_hash if usable and user is not None else None
    matches = check_password_hash(stored or _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    ok = bool(usable and matches)
    db.session.add(
        LoginAttempt(user_id=user.id if user else None, identifier=identifier[:254], at=now, succeeded=ok, ip=ip)
    )
    if not ok or user is None:
        # the failure row must be kept even though we refuse: commit it, then raise
        db.session.commit()
        raise Invalid(_l("账号或密码不正确"), field="password")
    user.last_login_at = now
    return user


def end_sessions(user: User) -> None:
    """Every session cookie issued to `user` so far is refused from the next request on."""
    user.session_version = (user.session_version or 0) + 1


@transactional
def logout(user: User) -> None:
    """Logging out ends the user's sessions everywhere (a copied cookie included)."""
    end_sessions(user)


@transactional
def change_password(user: User, current: str, new: str, *, now: datetime) -> User:
    """Check the current password, set the new one and end every other session of the user."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise Invalid(_l("当前密码不正确"), field="current")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_sessions(user)
    audit.record(user, "user.password_change", obj=user)
    return user


@transactional
def deactivate_user(actor: Actor, user: User, *, now: datetime) -> User:
    """The login is refused from now on and its open sessions end."""
    user.active = False
    end_sessions(user)
    audit.record(actor, "user.deactivate", obj=user, summary=user.label())
    return user


@transactional
def deactivate_enterprise_logins(actor: Actor, enterprise_id: int, *, now: datetime) -> list[User]:
    """Every login of an enterprise is refused from now on and their open sessions end."""
    users = list(db.session.scalars(select(User).where(User.enterprise_id == enterprise_id).order_by(User.id)))
    for user in users:
        user.active = False
        end_sessions(user)
        audit.record(actor, "user.deactivate", obj=user, summary=user.label())
    return users


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
    end_sessions(user)
    row.used_at = now
    audit.record(user, "user.activate", obj=user)
    return user
