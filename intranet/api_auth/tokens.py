"""Bearer tokens for integrating systems (单一窗口): stored hashed, revocable, every use audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..actors import Actor, SystemActor
from ..audit import service as audit
from ..clock import now, shanghai_date, start_of_day
from ..db_tx import transactional
from ..error_pages import json_error
from ..errors import Invalid
from ..extensions import db
from ..security import ensure_role
from .models import SCOPES, ApiToken

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_PREFIX = "tb_"  # noqa: S105 - a prefix, not a secret
MAX_DB_INT = 2**31 - 1  # INTEGER primary keys on PostgreSQL and SQLite alike
TOKEN_MANAGERS = ("bureau", "insurer")
DEFAULT_LIFETIME = timedelta(days=365)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def expiry(until: date | None, now: datetime) -> datetime:
    """A token given `--expires DATE` works through that day (Shanghai); without one, for a year."""
    if until is None:
        return now + DEFAULT_LIFETIME
    if until < shanghai_date(now):
        raise Invalid(_l("到期日不能早于今天"), field="expires")
    return start_of_day(until + timedelta(days=1))


@transactional
def create_token(
    actor: Actor,
    name: str,
    *,
    now: datetime,
    scopes: Iterable[str] | None = None,
    expires: date | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the raw value is returned once and never stored. Scopes default to all."""
    ensure_role(actor, *TOKEN_MANAGERS)
    name = name.strip()
    if not name:
        raise Invalid(_l("令牌名称不能为空"), field="name")
    chosen = set(SCOPES if scopes is None else scopes)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise Invalid(_l("未知的权限范围：%(scopes)s", scopes=", ".join(sorted(unknown))), field="scopes")
    if not chosen:
        raise Invalid(_l("请至少选择一项权限范围"), field="scopes")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        created_at=now,
        created_by=actor.id,
        scopes=" ".join(s for s in SCOPES if s in chosen),
        expires_at=expiry(expires, now),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.create", obj=token, summary=f"{name} [{token.scopes}] → {token.expires_at:%Y-%m-%d}")
    return token, raw


@transactional
def revoke_token(actor: Actor, token_id: int, *, now: datetime) -> ApiToken | None:
    ensure_role(actor, *TOKEN_MANAGERS)
    token = db.session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now
        audit.record(actor, "api_token.revoke", obj=token, summary=token.name)
    return token


def list_tokens(actor: Actor) -> list[ApiToken]:
    """Every token, newest first (hashes stay in the database; nobody can read a token back)."""
    ensure_role(actor, *TOKEN_MANAGERS)
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def token_actor(token: ApiToken) -> SystemActor:
    return SystemActor(name=f"api:{token.name}", role="api")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


@transactional
def _authenticate(raw: str, moment: datetime) -> ApiToken | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None or token.expired(moment):
        return None
    token.last_used_at = moment
    audit.record(
        token_actor(token),
        "api.call",
        object_type="api_token",
        object_id=token.id,
        summary=f"{request.method} {request.path}",
    )
    return token


def token_required(*scopes: str) -> Callable[[F], F]:
    """`@token_required("policies:claim")`: 401 JSON unless a valid, unrevoked, unexpired bearer
    token is sent, 403 (code `scope`) unless it holds one of `scopes`; sets g.api_actor."""
    unknown = set(scopes) - set(SCOPES)
    if not scopes or unknown:
        raise ValueError(f"token_required needs scopes among {SCOPES}, got {scopes}")

    def decorate(view: F) -> F:
        return _guarded(view, scopes)

    return decorate


def _guarded(view: F, scopes: tuple[str, ...]) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        raw = _bearer()
        if raw is None:
            return json_error(401, _l("缺少访问令牌（Authorization: Bearer …）"), "unauthorized")
        token = _authenticate(raw, now())
        if token is None:
            return json_error(401, _l("访问令牌无效、已过期或已撤销"), "unauthorized")
        if not set(scopes) & set(token.scope_list):
            message = _l("此令牌无权执行该操作（需要权限范围：%(scopes)s）", scopes=" | ".join(scopes))
            return json_error(403, message, "scope")
        g.api_token_id = token.id
        g.api_actor = token_actor(token)
        if any(isinstance(v, int) and not 0 <= v <= MAX_DB_INT for v in kwargs.values()):
            # an id beyond the databases' integer range names nothing (and must not reach the driver)
            return json_error(404, _l("未找到"), "not_found")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
