"""The delivery bookkeeping of the outbox: claim due messages, record each result, retry.

A dispatcher claims a batch (marks it `sending` and COMMITS) before sending anything, then records
each message's result in its own short transaction, so a crash re-sends at most the one message
that was on the wire. Several dispatchers share the queue on PostgreSQL (`FOR UPDATE SKIP LOCKED`);
a message left in `sending` by a crashed one is taken up again after a timeout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..actors import Actor
from ..audit import service as audit
from ..clock import SHANGHAI, shanghai
from ..db_tx import transactional
from ..errors import NotFound, Refused
from ..extensions import db
from ..security import ensure_role
from .models import OutboxMessage, OutboxStatus

CREATED, SENDING, SENT, FAILED, DEFERRED = (s.value for s in OutboxStatus)
STATUS_LABELS: dict[str, LazyString] = {
    CREATED: _l("待发送"),
    SENDING: _l("发送中"),
    SENT: _l("已发送"),
    FAILED: _l("失败"),
    DEFERRED: _l("延后"),
}
CHANNEL_LABELS: dict[str, LazyString] = {"email": _l("邮件"), "sms": _l("短信")}

# operational settings (not business numbers): app config overrides these defaults
DEFAULTS: dict[str, Any] = {
    "NOTIFIER_RETRY_DELAYS": (10, 60, 300, 3600, 4 * 3600),  # seconds before retry 1, 2, …; then failed
    "NOTIFIER_SENDING_TIMEOUT": 300,  # a message `sending` longer than this (a crash) is retried
    "NOTIFIER_RATE_EMAIL": 1200,  # per minute
    "NOTIFIER_RATE_SMS": 600,  # per minute
    "NOTIFIER_QUIET_HOURS": ("21:00", "08:00"),  # no SMS in between (Shanghai); deferred to the end
    "NOTIFIER_BATCH": 500,  # messages per claim (a claim sorts the due queue: fewer, larger ones)
    # connections per channel, drained side by side; a crash re-sends at most one message per
    # connection (the one on the wire), so 1 keeps "at most one duplicate"
    "NOTIFIER_CONNECTIONS_EMAIL": 1,
    "NOTIFIER_CONNECTIONS_SMS": 1,
}


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class Claimed:
    """What a channel needs to send one claimed message (a snapshot; no ORM object)."""

    id: int
    channel: str
    recipient: str
    job: str
    language: str
    subject: str
    body_text: str
    body_html: str | None
    data: dict[str, Any]
    attempts: int


_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.channel,
    OutboxMessage.recipient,
    OutboxMessage.job,
    OutboxMessage.language,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.data,
    OutboxMessage.attempts,
)


# --- quiet hours ---------------------------------------------------------------------------------


def _hhmm(value: str) -> time:
    hour, minute = (int(part) for part in value.split(":"))
    return time(hour, minute)


def quiet_until(moment: datetime) -> datetime | None:
    """The end of the SMS quiet period `moment` falls in (Shanghai), or None outside it."""
    start, end = (_hhmm(v) for v in setting("NOTIFIER_QUIET_HOURS"))
    local = shanghai(moment)
    clock_time = local.timetz().replace(tzinfo=None)
    day: date = local.date()
    if start > end:  # spans midnight: 21:00 → 08:00
        if clock_time >= start:
            return datetime.combine(day + timedelta(days=1), end, tzinfo=SHANGHAI)
        if clock_time < end:
            return datetime.combine(day, end, tzinfo=SHANGHAI)
        return None
    if start <= clock_time < end:
        return datetime.combine(day, end, tzinfo=SHANGHAI)
    return None


@transactional
def defer_quiet_sms(now: datetime) -> int:
    """In quiet hours, every due SMS waits (deferred) until the quiet period ends."""
    until = quiet_until(now)
    if until is None:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == "sms",
            OutboxMessage.status.in_((CREATED, DEFERRED)),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(status=DEFERRED, next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- crash recovery and rate --------------------------------------------------------------------


@transactional
def recover_stuck(now: datetime, *, older_than: timedelta | None = None) -> int:
    """Messages left `sending` by a dispatcher that died go back to the queue."""
    timeout = older_than if older_than is not None else timedelta(seconds=setting("NOTIFIER_SENDING_TIMEOUT"))
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.last_attempt_at <= now - timeout)
        .values(status=DEFERRED, next_attempt_at=now, error="interrupted while sending (dispatcher stopped)")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sent_last_minute(channel: str, now: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status == SENT,
                OutboxMessage.channel == channel,
                OutboxMessage.sent_at > now - timedelta(minutes=1),
                OutboxMessage.sent_at <= now,
            )
        )
        or 0
    )


@transactional
def recent_sends(now: datetime, channels: tuple[str, ...]) -> dict[str, int]:
    """Sends per channel in the last minute, in a transaction of its own (no read left open)."""
    return {channel: sent_last_minute(channel, now) for channel in channels}


def rate_per_minute(channel: str) -> int:
    return int(setting(f"NOTIFIER_RATE_{channel.upper()}"))


# --- claim and record ---------------------------------------------------------------------------


def _due_ids(channel: str, status: str, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == status, OutboxMessage.next_attempt_at <= now, OutboxMessage.channel == channel)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


@transactional
def claim(channel: str, now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages of `channel` (retries first, then new ones, oldest first),
    mark them `sending` and commit — nothing is sent before this commit."""
    if limit <= 0:
        return []
    ids = _due_ids(channel, DEFERRED, now, limit)
    if len(ids) < limit:
        ids += _due_ids(channel, CREATED, now, limit - len(ids))
    if not ids:
        return []
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status=SENDING, attempts=OutboxMessage.attempts + 1, last_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(select(*_COLUMNS).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
    by_id = {row.id: row for row in rows}
    return [Claimed(**by_id[i]._asdict()) for i in ids if i in by_id]


def _fast_commit() -> None:
    # a result row lost in a database-server crash only means one more resend; the process
    # crash the notifier must survive loses nothing, because the server already has the commit
    if db.engine.dialect.name == "postgresql":
        db.session.execute(func.set_config("synchronous_commit", "off", True).select())


_TABLE = OutboxMessage.__table__
# the hottest statement of the notifier (once per message sent): plain driver SQL, one round trip
_MARK_SENT_SQL = {
    "postgresql": (
        "UPDATE outbox_messages SET status = 'sent', sent_at = %(sent_at)s, provider_ref = %(provider_ref)s, "
        "error = NULL, segments = COALESCE(%(segments)s, segments) WHERE id = %(message_id)s AND status = 'sending'"
    ),
    "sqlite": (
        "UPDATE outbox_messages SET status = 'sent', sent_at = :sent_at, provider_ref = :provider_ref, "
        "error = NULL, segments = COALESCE(:segments, segments) WHERE id = :message_id AND status = 'sending'"
    ),
}


class SentLog:
    """Records "sent" results for one drain on a driver connection it keeps (opened with the first
    result): each result is ONE autocommitted UPDATE — its own committed transaction, so a crash
    re-sends at most the message on the wire — without a pool check-out, ping, BEGIN or COMMIT
    round trip per message. Like `_fast_commit`, the commit does not wait for the disk flush
    (PostgreSQL: synchronous_commit off; SQLite runs WAL with synchronous NORMAL anyway, see
    intranet/database.py): a process crash loses nothing, only a crash of the machine could lose
    the last results (= resends). The connection is closed, not pooled, at the end (its session
    settings go with it)."""

    def __init__(self) -> None:
        self.engine = db.engine
        self.raw: Any = None
        self.cursor: Any = None
        dialect = self.engine.dialect
        self.sql = _MARK_SENT_SQL[dialect.name]
        sent_at = _TABLE.c.sent_at.type.dialect_impl(dialect)  # the ORM's own conversion (UTC; text on SQLite)
        self.bind_sent_at = sent_at.bind_processor(dialect) or (lambda value: value)

    def _open(self) -> None:
        raw = self.engine.raw_connection()
        driver: Any = raw.driver_connection
        if self.engine.dialect.name == "postgresql":
            driver.autocommit = True
            driver.execute("SET synchronous_commit TO off")
        else:
            driver.isolation_level = None  # sqlite3: autocommit, each statement its own transaction
        self.raw, self.cursor = raw, driver.cursor()

    def sent(self, message_id: int, now: datetime, *, provider_ref: str | None, segments: int | None) -> None:
        if self.cursor is None:
            self._open()
        self.cursor.execute(
            self.sql,
            {
                "message_id": message_id,
                "sent_at": self.bind_sent_at(now),
                "provider_ref": provider_ref,
                "segments": segments,
            },
        )

    def close(self) -> None:
        raw, self.raw, self.cursor = self.raw, None, None
        if raw is not None:
            raw.detach()  # out of the pool: closed for good, its autocommit and settings with it
            raw.close()


def next_retry(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None when it is time to give up."""
    delays = setting("NOTIFIER_RETRY_DELAYS")
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1])


@transactional
def record_failure(message_id: int, attempts: int, now: datetime, *, error: str, permanent: bool) -> str:
    """A failed attempt: deferred with a growing delay, or `failed` when permanent or exhausted."""
    _fast_commit()
    retry_at = None if permanent else next_retry(attempts, now)
    values: dict[str, Any] = {"error": error[:2000]}
    if retry_at is None:
        values["status"] = FAILED
    else:
        values.update(status=DEFERRED, next_attempt_at=retry_at)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return str(values["status"])


@transactional
def release(message_ids: list[int], now: datetime) -> None:
    """Give back claimed messages that were not attempted (the dispatcher is stopping)."""
    if not message_ids:
        return
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == SENDING)
        .values(status=DEFERRED, next_attempt_at=now, attempts=OutboxMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )


# --- staff: retry a failed message --------------------------------------------------------------


@transactional
def retry(actor: Actor, message_id: int, *, now: datetime) -> OutboxMessage:
    """Put a failed message back in the queue with a fresh set of attempts (audited)."""
    ensure_role(actor, "bureau", "insurer")
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(_l("没有编号为 %(id)s 的消息", id=message_id), code="message_not_found")
    if message.status != FAILED:
        raise Refused(
            _l(
                "消息 %(id)s 状态为%(status)s，只有发送失败的消息可以重发",
                id=message_id,
                status=STATUS_LABELS.get(message.status, message.status),
                state=message.status,
            ),
            code="not_failed",
        )
    if not message.recipient:
        raise Refused(
            _l("消息 %(id)s 的收件地址和内容已按保存期限删除，不能重发", id=message_id), code="purged"
        )
    before = {"status": message.status, "attempts": message.attempts, "error": message.error}
    message.status = CREATED
    message.attempts = 0
    message.next_attempt_at = now
    audit.record(
        actor,
        "outbox.retry",
        obj=message,
        summary=f"重发消息 #{message.id}（{'邮件' if message.channel == 'email' else '短信'} → {message.recipient}）",
        changes={"status": [before["status"], CREATED], "attempts": [before["attempts"], 0], "error": before["error"]},
    )
    return message
