"""Jinja filters and globals: money, Shanghai dates, the business clock's date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for
from markupsafe import Markup

from .clock import now, shanghai


def money(value: Decimal | int | float | None, currency: str = "USD") -> str:
    if value is None:
        return "—"
    return f"{currency} {Decimal(value):,.2f}"


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = shanghai(value).date()
    return value.isoformat()


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return shanghai(value).strftime("%Y-%m-%d %H:%M")


def percent(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.0f}%"


def page_url(**changes: Any) -> str:
    """The current URL with some query arguments replaced (pagination, filters)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    assert request.endpoint is not None
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint, **values)


def nl2br(text: str | None) -> Markup:
    escaped = Markup.escape(text or "")
    return Markup("<br>").join(escaped.split("\n"))


def init_app(app: Flask) -> None:
    """The filters and globals of this module; what templates need from features (navigation, the
    site's programme) is registered by the app factory (intranet.create_app)."""
    app.jinja_env.filters.update(money=money, date=fmt_date, datetime=fmt_datetime, percent=percent, nl2br=nl2br)
    app.jinja_env.globals.update(page_url=page_url, business_now=now)
