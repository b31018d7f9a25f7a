"""Queueing messages. A message is a row written in the caller's transaction; the notifier
delivers it later. Nothing is ever sent from a web request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import OutboxMessage, OutboxStatus
from .segments import sms_segments
from .sms import fit, shorten_links

CHANNELS = ("email", "sms")


def exists(dedupe_key: str) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


def existing_keys(keys: Iterable[str]) -> set[str]:
    """Which of `keys` are already queued (one query per 500 keys)."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    if len(wanted) > 500 and db.engine.dialect.name == "postgresql":
        # the driver prepares a statement run this often, and PostgreSQL's generic plan for
        # "dedupe_key IN (500 parameters)" can be 50x slower than a plan for the values (a table
        # that grew since its statistics): plan each lookup for its values (this transaction only)
        db.session.execute(func.set_config("plan_cache_mode", "force_custom_plan", True).select())
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(chunk))))
    return found


def _render(path: str, context: dict[str, Any]) -> str:
    # the app's Jinja environment (filters, autoescape for .html) without the page context
    # processors: messages render the same from a request, the CLI or the notifier
    return current_app.jinja_env.get_template(path).render(context).strip()


def render_message(channel: str, template: str, language: str, context: dict[str, Any]) -> dict[str, Any]:
    """Subject and bodies from templates/messages/<language>/<template>.{subject.txt,txt,html,sms.txt}."""
    ctx = {"base_url": current_app.config["TONGBAO_BASE_URL"], "language": language, **context}
    base = f"messages/{language}/{template}"
    if channel == "sms":  # one segment: see outbox/sms.py
        return {"subject": "", "body_text": fit(lambda c: _render(f"{base}.sms.txt", c), ctx), "body_html": None}
    html: str | None
    try:
        html = _render(f"{base}.html", ctx)
    except TemplateNotFound:
        html = None
    return {
        "subject": _render(f"{base}.subject.txt", ctx).replace("\n", " ")[:300],
        "body_text": _render(f"{base}.txt", ctx),
        "body_html": html,
    }


def _plain_data(context: dict[str, Any]) -> dict[str, Any]:
    """The context's short scalar values, kept with the message (long texts are in its body)."""
    return {
        k: v
        for k, v in context.items()
        if (isinstance(v, int | float | bool) or v is None or (isinstance(v, str) and len(v) <= 500))
    }


def build_row(
    *,
    channel: str,
    recipient: str,
    job: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    now: datetime,
    enterprise_id: int | None = None,
    user_id: int | None = None,
    language: str = "zh",
    send_after: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one message, rendered (for `queue` and `queue_many`)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel}")
    if channel == "sms":
        context = shorten_links(context, now=now)
    rendered = render_message(channel, template, language, context)
    return {
        "channel": channel,
        "recipient": recipient,
        "enterprise_id": enterprise_id,
        "user_id": user_id,
        "job": job,
        "template": template,
        "language": language,
        "data": _plain_data(context),
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.CREATED.value,
        "attempts": 0,
        "segments": sms_segments(rendered["body_text"]) if channel == "sms" else None,
        "created_at": now,
        "next_attempt_at": send_after or now,
        **rendered,
    }


def queue(
    *,
    channel: str,
    recipient: str,
    job: str,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    now: datetime,
    enterprise_id: int | None = None,
    user_id: int | None = None,
    language: str = "zh",
    send_after: datetime | None = None,
) -> OutboxMessage | None:
    """Add a message unless one with the same dedupe key exists; returns None for a duplicate."""
    if exists(dedupe_key):
        return None
    values = build_row(
        channel=channel,
        recipient=recipient,
        job=job,
        template=template,
        context=context,
        dedupe_key=dedupe_key,
        now=now,
        enterprise_id=enterprise_id,
        user_id=user_id,
        language=language,
        send_after=send_after,
    )
    message = OutboxMessage(**values)
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return None  # another process queued the same message first
    return message


def queue_many(rows: list[dict[str, Any]]) -> int:
    """Insert many rendered rows (from `build_row`) in the caller's transaction, in order, skipping
    dedupe keys that exist already (also those another process inserts at the same moment, which
    the database refuses quietly). Returns how many rows were new when checked."""
    if not rows:
        return 0
    known = existing_keys(row["dedupe_key"] for row in rows)
    fresh = [row for row in rows if row["dedupe_key"] not in known]
    if not fresh:
        return 0
    table = OutboxMessage.__table__
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    for start in range(0, len(fresh), 2000):
        db.session.execute(stmt, fresh[start : start + 2000])
    return len(fresh)
