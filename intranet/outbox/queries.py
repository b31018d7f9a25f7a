"""Read side of the outbox for staff pages: filtered lists, counts, sent/failed/deferred per day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select

from ..clock import shanghai_date, start_of_day
from ..enterprises.models import Enterprise
from ..extensions import db
from .models import OutboxMessage, OutboxStatus

STATUSES = tuple(s.value for s in OutboxStatus)
CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    channel: str | None = None
    job: str | None = None
    enterprise: str | None = None  # name or USCC fragment
    enterprise_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        def pick(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
            value = (args.get(name) or "").strip()
            if not value or (allowed is not None and value not in allowed):
                return None
            return value[:200]

        try:
            enterprise_id = int(args.get("enterprise_id") or 0) or None
        except ValueError:
            enterprise_id = None
        return cls(
            status=pick("status", STATUSES),
            channel=pick("channel", CHANNELS),
            job=pick("job"),
            enterprise=pick("enterprise"),
            enterprise_id=enterprise_id,
        )

    @property
    def active(self) -> bool:
        return any((self.status, self.channel, self.job, self.enterprise, self.enterprise_id))


def staff_query(filters: Filters) -> Select[Any]:
    stmt: Select[Any] = select(  # type: ignore[assignment]
        OutboxMessage, Enterprise.name.label("enterprise_name")
    ).outerjoin(Enterprise, Enterprise.id == OutboxMessage.enterprise_id)
    if filters.status:
        stmt = stmt.where(OutboxMessage.status == filters.status)
    if filters.channel:
        stmt = stmt.where(OutboxMessage.channel == filters.channel)
    if filters.job:
        stmt = stmt.where(OutboxMessage.job == filters.job)
    if filters.enterprise_id:
        stmt = stmt.where(OutboxMessage.enterprise_id == filters.enterprise_id)
    if filters.enterprise:
        needle = filters.enterprise.upper()
        stmt = stmt.where(or_(Enterprise.name.contains(filters.enterprise), Enterprise.uscc.contains(needle)))
    return stmt.order_by(OutboxMessage.id.desc())


def jobs() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.job).distinct().order_by(OutboxMessage.job)))


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    found = dict.fromkeys(STATUSES, 0)
    found.update({status: int(count) for status, count in rows})
    return found


def _shanghai_day(column: Any) -> ColumnElement[Any]:
    """The Shanghai calendar day of a UTC timestamp column, as 'YYYY-MM-DD' text, per dialect."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return cast(func.date(column, "+8 hours"), String)  # Shanghai has no DST


def _per_day(column: Any, since: datetime, *conditions: Any) -> dict[str, int]:
    day = _shanghai_day(column).label("day")
    rows = db.session.execute(select(day, func.count()).where(column >= since, *conditions).group_by(day))
    return {str(d): int(n) for d, n in rows}


def daily_counts(now: datetime, days: int = 14) -> list[tuple[date, int, int, int]]:
    """(day, sent, failed, deferred) for the last `days` Shanghai days up to today: sent by the day
    it was sent, failed by the day of its last attempt, deferred (waiting now) by the day it was
    last tried or, if never, queued."""
    today = shanghai_date(now)
    first = today - timedelta(days=days - 1)
    since = start_of_day(first)
    sent = _per_day(OutboxMessage.sent_at, since, OutboxMessage.status == OutboxStatus.SENT)
    failed = _per_day(OutboxMessage.last_attempt_at, since, OutboxMessage.status == OutboxStatus.FAILED)
    waiting = func.coalesce(OutboxMessage.last_attempt_at, OutboxMessage.created_at)
    deferred = _per_day(waiting, since, OutboxMessage.status == OutboxStatus.DEFERRED)
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        key = day.isoformat()
        out.append((day, sent.get(key, 0), failed.get(key, 0), deferred.get(key, 0)))
    return out


def get(message_id: int) -> OutboxMessage | None:
    return db.session.get(OutboxMessage, message_id)
