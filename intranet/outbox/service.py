"""Queueing messages. A message is a row written in the caller's transaction; the notifier
delivers it later. Nothing is ever sent from a web request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import OutboxMessage, OutboxStatus

CHANNELS = ("email", "sms")


def exists(dedupe_key: str) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


def _render(path: str, context: dict[str, Any]) -> str:
    return render_template(path, **context).strip()


def render_message(channel: str, template: str, language: str, context: dict[str, Any]) -> dict[str, Any]:
    """Subject and bodies from templates/messages/<language>/<template>.{subject.txt,txt,html,sms.txt}."""
    ctx = {"base_url": current_app.config["TONGBAO_BASE_URL"], "language": language, **context}
    base = f"messages/{language}/{template}"
    if channel == "sms":
        return {"subject": "", "body_text": _render(f"{base}.sms.txt", ctx), "body_html": None}
    html: str | None
    try:
        html = _render(f"{base}.html", ctx)
    except TemplateNotFound:
        html = None
    return {
        "subject": _render(f"{base}.subject.txt", ctx).replace("\n", " "),
        "body_text": _render(f"{base}.txt", ctx),
        "body_html": html,
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
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel}")
    if exists(dedupe_key):
        return None
    rendered = render_message(channel, template, language, context)
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        enterprise_id=enterprise_id,
        user_id=user_id,
        job=job,
        template=template,
        language=language,
        data={k: v for k, v in context.items() if isinstance(v, str | int | float | bool) or v is None},
        dedupe_key=dedupe_key,
        status=OutboxStatus.CREATED,
        attempts=0,
        created_at=now,
        next_attempt_at=send_after or now,
        **rendered,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return None  # another process queued the same message first
    return message
