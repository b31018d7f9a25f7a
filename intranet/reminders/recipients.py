"""Who gets a message and on which channel: the enterprise's choices, in one query for many."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..auth.models import Role, User
from ..extensions import db
from ..outbox.service import build_row, existing_keys, queue_many

CHANNEL_ORDER = ("email", "sms")


def enterprise_channels(row: Any, wanted: Sequence[str] = CHANNEL_ORDER) -> dict[str, str]:
    """Channel → address for an enterprise row (email, mobile, notify_email, notify_sms).

    The wanted channels the enterprise chose (and has an address for); when that leaves none,
    the chosen channels it has instead, then any address at all — deadline reminders and service
    messages always go out on at least one channel."""
    address = {"email": row.email or None, "sms": row.mobile or None}
    chosen = [c for c in CHANNEL_ORDER if address[c] and getattr(row, f"notify_{c}")]
    picked = [c for c in wanted if c in chosen]
    if not picked:
        picked = chosen[:1] if chosen else [c for c in CHANNEL_ORDER if address[c]][:1]
    return {c: str(address[c]) for c in picked}


def languages(enterprise_ids: Iterable[int]) -> dict[int, str]:
    """Enterprise id → message language ('en' when its login chose English, else 'zh')."""
    ids = list(set(enterprise_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.session.execute(
            select(User.enterprise_id, User.locale).where(
                User.enterprise_id.in_(chunk), User.role == Role.ENTERPRISE, User.locale == "en"
            )
        )
        found.update({int(eid): "en" for eid, _ in rows if eid is not None})
    return found


def staff(*roles: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(roles), User.active.is_(True), User.email.is_not(None)).order_by(User.id)
        )
    )


def base_url() -> str:
    return str(current_app.config["TONGBAO_BASE_URL"])


def queue_specs(specs: list[dict[str, Any]]) -> int:
    """Queue message specs (keyword arguments of `outbox.service.queue`) in order — the order is
    the delivery order — rendering only those whose dedupe key is not queued yet."""
    if not specs:
        return 0
    known = existing_keys(spec["dedupe_key"] for spec in specs)
    return queue_many([build_row(**spec) for spec in specs if spec["dedupe_key"] not in known])
