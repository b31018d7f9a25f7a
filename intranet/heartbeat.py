"""The notifier's heartbeat (foundation): the active notifier writes it every few seconds; `/healthz`
and `tongbao notifier status` read it. Real clock, never the business clock: a frozen TONGBAO_NOW
must not make a dead notifier look alive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .coltypes import UTCDateTime
from .db_tx import transactional
from .extensions import db
from .outbox.models import OutboxMessage, OutboxStatus

BEAT_EVERY = 10  # seconds between two beats of the active notifier
STALE_AFTER = 60  # seconds without a beat: the notifier is reported "stale"
ROW = 1


class NotifierHeartbeat(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "notifier_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


def wall_now() -> datetime:
    return datetime.now(UTC)


@transactional
def beat(host: str, pid: int, started_at: datetime, now: datetime | None = None) -> None:
    """Record that the notifier on `host` is alive (one row, updated in place)."""
    now = now or wall_now()
    row = db.session.get(NotifierHeartbeat, ROW)
    if row is None:
        db.session.add(NotifierHeartbeat(id=ROW, host=host, pid=pid, started_at=started_at, beat_at=now))
    else:
        row.host, row.pid, row.started_at, row.beat_at = host, pid, started_at, now


def age_seconds(now: datetime | None = None) -> float | None:
    beat_at = db.session.scalar(select(NotifierHeartbeat.beat_at).where(NotifierHeartbeat.id == ROW))
    if beat_at is None:
        return None
    return max(0.0, ((now or wall_now()) - beat_at).total_seconds())


def notifier_state(now: datetime | None = None) -> str:
    age = age_seconds(now)
    return "ok" if age is not None and age <= STALE_AFTER else "stale"


def status(tasks_waiting: int, now: datetime | None = None) -> dict[str, Any]:
    """CONTRACT.md `tongbao notifier status`: leader, heartbeat age and queue depths."""
    now = now or wall_now()
    row = db.session.get(NotifierHeartbeat, ROW)
    age = age_seconds(now) if row is not None else None
    waiting = (OutboxStatus.CREATED, OutboxStatus.DEFERRED, OutboxStatus.SENDING)
    counts = dict(
        db.session.execute(
            select(OutboxMessage.channel, func.count(OutboxMessage.id))
            .where(OutboxMessage.status.in_(waiting))
            .group_by(OutboxMessage.channel)
        ).all()
    )
    return {
        "leader": row.host if row is not None and age is not None and age <= STALE_AFTER else None,
        "heartbeat_age_s": None if age is None else round(age, 1),
        "queued": {"email": int(counts.get("email", 0)), "sms": int(counts.get("sms", 0))},
        "tasks_waiting": tasks_waiting,
    }
