"""One SMS, one segment: links made short (`/s/<code>` on the site's own domain) and free text
(names, titles) shortened to what fits, so that a message with Chinese stays within 70 characters,
【统保】 and the link included.

Every SMS the outbox renders goes through here (`service.build_row`, `service.render_message`):
- each `url` or `*_url` value of the context that points into the site becomes a short link, expiring at
  the context's `link_expires_at` (an aware datetime: when what it points to ends — an invitation
  with the claim period) or after `shortlinks.service.DEFAULT_TTL`;
- when the text is still longer than one segment, the longest of the `SHORTENABLE` values is cut
  to fit and ends with "…" (never below `MIN_KEPT` characters); when that is not enough they are
  left out (an English message then falls back to GSM-7, where it has 160 characters).
A template names the shortenable values so that it reads well without them (`{% if buyer_name %}`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..shortlinks.service import short_url
from .segments import overflow

SHORTENABLE = ("enterprise_name", "buyer_name", "title", "colleague_name", "name")
MIN_KEPT = 4
ELLIPSIS = "…"
EXPIRY_KEY = "link_expires_at"


def url_keys(context: dict[str, Any]) -> list[str]:
    return [
        key
        for key, value in context.items()
        if (key == "url" or key.endswith("_url")) and key != "base_url" and isinstance(value, str) and value
    ]


def shorten_links(context: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The context with every link into the site as a short link (in the caller's transaction)."""
    expires = context.get(EXPIRY_KEY)
    expires_at = expires if isinstance(expires, datetime) else None
    short = {key: short_url(context[key], now=now, expires_at=expires_at) for key in url_keys(context)}
    return {**context, **short}


def cut(value: str, keep: int) -> str:
    return value if len(value) <= keep else value[: max(keep, 1)] + ELLIPSIS


def fit(render: Callable[[dict[str, Any]], str], context: dict[str, Any]) -> str:
    """`render(context)`, with the shortenable values cut until the text is one segment."""
    text = render(context)
    if overflow(text) <= 0:
        return text
    original = {k: context[k] for k in SHORTENABLE if isinstance(context.get(k), str) and context[k]}
    kept = {k: len(v) for k, v in original.items()}
    ctx = dict(context)
    for _ in range(4 * len(original) + 4):
        over = overflow(text)
        if over <= 0:
            return text
        longer = [k for k, n in kept.items() if n > MIN_KEPT]
        if not longer:
            break
        key = max(longer, key=lambda k: kept[k])
        shown = kept[key] + (1 if kept[key] < len(original[key]) else 0)  # with its "…"
        kept[key] = max(MIN_KEPT, shown - over - 1)
        ctx[key] = cut(original[key], kept[key])
        text = render(ctx)
    if overflow(text) > 0 and original:
        bare = render({**ctx, **{k: "" for k in original}})
        if overflow(bare) < overflow(text):
            return bare
    return text
