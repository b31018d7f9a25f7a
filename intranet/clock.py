"""The business clock. Every rule asks `now()` (or receives `now`) — never the OS clock directly.

All calendar decisions ("on or before 30 June") are made in Asia/Shanghai, whatever the process's
own time zone is.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from .config import parse_frozen_now

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current business instant, timezone-aware (UTC). Honours TONGBAO_NOW."""
    frozen: datetime | None
    if has_app_context():
        frozen = current_app.config.get("TONGBAO_NOW")
    else:
        frozen = parse_frozen_now(os.environ.get("TONGBAO_NOW"))
    if frozen is not None:
        return frozen.astimezone(UTC)
    return datetime.now(UTC)


def shanghai(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; attach a timezone")
    return moment.astimezone(SHANGHAI)


def shanghai_date(moment: datetime) -> date:
    """The calendar date in Shanghai at that instant."""
    return shanghai(moment).date()


def start_of_day(day: date) -> datetime:
    """00:00:00 Shanghai time on `day`, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in Shanghai (exclusive bound is the next day's start)."""
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


def at_shanghai(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def on_or_before(moment: datetime, day: date) -> bool:
    """True when `moment` falls on or before the calendar day `day` in Shanghai."""
    return shanghai_date(moment) <= day
