"""Service messages to one enterprise (claim received, policy issued, credit report ready …): on
the channels it chose, in its language, through the outbox in the caller's transaction, once per
dedupe key and channel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context

from ..outbox import service as outbox
from .models import Enterprise
from .service import account_for


def channels_for(enterprise: Enterprise) -> dict[str, str]:
    """The enterprise's chosen channels; service messages always go out on at least one."""
    chosen = {}
    if enterprise.notify_email and enterprise.email:
        chosen["email"] = enterprise.email
    if enterprise.notify_sms and enterprise.mobile:
        chosen["sms"] = enterprise.mobile
    if not chosen:
        if enterprise.email:
            chosen["email"] = enterprise.email
        elif enterprise.mobile:
            chosen["sms"] = enterprise.mobile
    return chosen


@dataclass(frozen=True)
class Recipient:
    """Who a service message reaches: the addresses of the chosen channels, the language, the login."""

    channels: dict[str, str]
    language: str  # 'en' when the enterprise's login chose English, else 'zh'
    user_id: int | None


def recipient(enterprise: Enterprise) -> Recipient:
    account = account_for(enterprise)
    language = "en" if account is not None and account.locale == "en" else "zh"
    return Recipient(channels_for(enterprise), language, account.id if account is not None else None)


def language_for(enterprise: Enterprise) -> str:
    return recipient(enterprise).language


def base_url() -> str:
    return str(current_app.config["TONGBAO_BASE_URL"]).rstrip("/")


@contextmanager
def rendering() -> Iterator[None]:
    """Message templates may meet context processors that expect a request; a task worker or the
    CLI has none, so lend them one."""
    ctx = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with ctx:
        yield


def tell(
    enterprise: Enterprise,
    to: Recipient,
    *,
    job: str,
    template: str,
    key: str,
    context: dict[str, Any],
    now: datetime,
) -> int:
    """Queue `template` to the enterprise on each chosen channel (dedupe key `<key>:<channel>`), in
    one insert; returns how many messages are new (a retried step queues nothing twice)."""
    with rendering():
        rows = [
            outbox.build_row(
                channel=channel,
                recipient=address,
                job=job,
                template=template,
                context=context,
                dedupe_key=f"{key}:{channel}",
                now=now,
                enterprise_id=enterprise.id,
                user_id=to.user_id,
                language=to.language,
            )
            for channel, address in to.channels.items()
        ]
    return outbox.queue_many(rows)
