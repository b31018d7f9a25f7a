"""Single-use secrets sent to a user (a reset link or SMS code, a contact-confirmation code) and where
a user's messages go. Only a keyed hash of each secret is kept; a code allows `MAX_ATTEMPTS` tries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..i18n import LANGUAGES, current_language
from ..outbox import service as outbox
from .models import AccountCode, Role, User

VALID_FOR = timedelta(minutes=30)
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
MESSAGE_JOB = "account"  # private: staff see the envelope only (outbox.views.PRIVATE_JOBS)


def keyed_hash(secret: str) -> str:
    """HMAC-SHA256 under the app's secret key: a copy of the table alone reveals no code."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(user_id: int, code: str) -> str:
    return keyed_hash(f"{user_id}:{code.strip()}")


def issue(
    user: User, purpose: str, channel: str, secret_hash: str, *, now: datetime, target: str | None = None
) -> AccountCode:
    """A fresh code for `purpose`; the user's earlier unused ones for it stop working."""
    db.session.execute(
        update(AccountCode)
        .where(AccountCode.user_id == user.id, AccountCode.purpose == purpose, AccountCode.used_at.is_(None))
        .values(expires_at=now)
    )
    row = AccountCode(
        user_id=user.id,
        purpose=purpose,
        channel=channel,
        secret_hash=secret_hash,
        target=target,
        attempts=0,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    db.session.add(row)
    db.session.flush()
    return row


def by_link(purpose: str, token: str, *, now: datetime) -> AccountCode | None:
    """The live code a link's token belongs to, or None (unknown, used or expired)."""
    row = db.session.scalar(
        select(AccountCode).where(AccountCode.secret_hash == keyed_hash(token), AccountCode.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= now or row.channel != "email":
        return None
    return row


def live_code(user: User | None, purpose: str, *, now: datetime) -> AccountCode | None:
    if user is None:
        return None
    row = db.session.scalar(
        select(AccountCode)
        .where(AccountCode.user_id == user.id, AccountCode.purpose == purpose, AccountCode.used_at.is_(None))
        .order_by(AccountCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        return None
    return row


def check_code(user: User | None, purpose: str, code: str, *, now: datetime) -> AccountCode | None:
    """The live code `code` matches (one keyed hash is computed whoever asks); a miss counts a try."""
    row = live_code(user, purpose, now=now)
    offered = code_hash(user.id if user is not None else 0, code)
    if row is None:
        return None
    if not hmac.compare_digest(row.secret_hash, offered):
        row.attempts += 1
        return None
    return row


# --- where a user's messages go ------------------------------------------------------------------


def administrator_of(enterprise_id: int) -> User | None:
    """The enterprise's administrator: its first activated user still active."""
    return db.session.scalar(
        select(User)
        .where(
            User.enterprise_id == enterprise_id,
            User.role == Role.ENTERPRISE,
            User.active.is_(True),
            User.activated_at.is_not(None),
        )
        .order_by(User.activated_at, User.id)
        .limit(1)
    )


def _speaks_for_enterprise(user: User) -> bool:
    """The enterprise's own contact details reach this user (its main login or administrator)."""
    if user.enterprise_id is None:
        return False
    admin = administrator_of(user.enterprise_id)
    return admin is None or admin.id == user.id


def email_of(user: User) -> str | None:
    if user.email:
        return user.email
    if user.enterprise is not None and user.enterprise.email and _speaks_for_enterprise(user):
        return str(user.enterprise.email)
    return None


def mobile_of(user: User) -> str | None:
    if user.mobile:
        return user.mobile
    if user.enterprise is not None and user.enterprise.mobile and _speaks_for_enterprise(user):
        return str(user.enterprise.mobile)
    return None


def message_language(user: User | None = None) -> str:
    language = current_language()
    if language in LANGUAGES:
        return language
    return user.locale if user is not None and user.locale in LANGUAGES else "zh"


def send(
    *,
    row: AccountCode | None,
    user: User | None,
    channel: str,
    recipient: str | None,
    template: str,
    context: dict[str, Any],
    now: datetime,
) -> None:
    """Queue the message of `row` to `recipient`; with nobody to send to (an unknown account), the
    message is still rendered, so the request costs the same, and nothing is kept."""
    language = message_language(user)
    if row is None or user is None or not recipient:
        outbox.render_message(channel, template, language, context)
        return
    outbox.queue(
        channel=channel,
        recipient=recipient,
        job=MESSAGE_JOB,
        template=template,
        context=context,
        dedupe_key=f"{MESSAGE_JOB}:{row.id}:{channel}",
        now=now,
        enterprise_id=user.enterprise_id,
        user_id=user.id,
        language=language,
    )
