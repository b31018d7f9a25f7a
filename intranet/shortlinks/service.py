"""Making and resolving short links. An SMS is one segment (70 characters with Chinese) only when
its link is short: `http://127.0.0.1:5000/s/Ab3dE9x` instead of a 60-character activation link.

A code is 7 random base62 characters (62⁷ ≈ 3.5·10¹²; the public route is rate-limited and a
miss is a plain 404, so guessing one is hopeless), unique by the primary key. A link lives as long
as what it points to: the caller says until when (an invitation: the end of the claim period);
otherwise `DEFAULT_TTL`. Links to one target with one expiry made in one transaction share a code
(30,000 reminders pointing at the portal make one row). A link dead for `KEPT_AFTER_EXPIRY` is
deleted by the first link a later transaction makes (one indexed DELETE)."""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ..extensions import db
from .models import ShortLink

ALPHABET = string.digits + string.ascii_letters
CODE_LENGTH = 7
PREFIX = "/s/"
DEFAULT_TTL = timedelta(days=90)
MIN_TTL = timedelta(days=1)
KEPT_AFTER_EXPIRY = timedelta(days=30)  # `purge_expired` removes rows expired longer ago
_CACHE = "tongbao.shortlinks"


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    # a code is reused only within the transaction that wrote it (a rollback takes the row away)
    session.info.pop(_CACHE, None)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(char in ALPHABET for char in code)


def base_url() -> str:
    return str(current_app.config["TONGBAO_BASE_URL"]).rstrip("/")


def site_path(url: str) -> str | None:
    """The path (with query and fragment) of `url` when it is on this site, else None."""
    base = base_url()
    if url.startswith("/") and not url.startswith("//"):
        return url
    if not url.startswith(base + "/"):
        return None
    parts = urlsplit(url[len(base) :])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _insert(code: str, target: str, expires_at: datetime, now: datetime) -> bool:
    table = ShortLink.__table__
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(table).values(code=code, target=target, expires_at=expires_at, created_at=now)
    result = db.session.execute(stmt.on_conflict_do_nothing(index_elements=["code"]))
    return bool(getattr(result, "rowcount", 0))


def make(target: str, *, now: datetime, expires_at: datetime | None = None) -> str:
    """The code of a new short link to `target` (a path of this site), in the caller's transaction."""
    if not target.startswith("/") or target.startswith("//"):
        raise ValueError(f"a short link points to a path of this site, not {target!r}")
    expiry = max(expires_at or now + DEFAULT_TTL, now + MIN_TTL)
    if _CACHE not in db.session.info:  # the first link of a transaction clears out long-dead ones
        purge_expired(now)
    cache: dict[tuple[str, datetime], str] = db.session.info.setdefault(_CACHE, {})
    known = cache.get((target, expiry))
    if known is not None:
        return known
    for _ in range(10):
        code = new_code()
        if _insert(code, target, expiry, now):
            cache[(target, expiry)] = code
            return code
    raise RuntimeError("no free short-link code after 10 tries")  # pragma: no cover - 62⁷ codes


def short_url(url: str, *, now: datetime, expires_at: datetime | None = None) -> str:
    """`url` (absolute on this site, or a path) as `<base>/s/<code>`; a link elsewhere (or empty) as it is.

    The helper for anything that writes an SMS: `short_url(activation_url, now=now, expires_at=...)`.
    `outbox.service` already shortens every `*_url` value of an SMS's context this way."""
    path = site_path(url) if url else None
    if path is None or path.startswith(PREFIX):
        return url
    return f"{base_url()}{PREFIX}{make(path, now=now, expires_at=expires_at)}"


def resolve(code: str, now: datetime) -> str | None:
    """The target path of a live link, or None when unknown or expired."""
    if not valid_code(code):
        return None
    link = db.session.scalar(select(ShortLink).where(ShortLink.code == code))
    if link is None or link.expires_at <= now:
        return None
    return str(link.target)


def purge_expired(now: datetime) -> int:
    """Remove links that expired more than `KEPT_AFTER_EXPIRY` ago (in the caller's transaction)."""
    result = db.session.execute(delete(ShortLink).where(ShortLink.expires_at < now - KEPT_AFTER_EXPIRY))
    return int(getattr(result, "rowcount", 0) or 0)
