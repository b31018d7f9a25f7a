"""Outbox retention: after `TONGBAO_OUTBOX_RETENTION_DAYS` (default 180) a finished message's
personal data goes — its address, subject, bodies, template data and error text — while the row
stays with its channel, kind, status and dates, so the daily counts of the charts do not change.

Only finished messages (sent or failed) are purged: one still waiting would otherwise be sent
empty. A purged message is recognised by its blank address and cannot be retried."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..actors import NOTIFIER, Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..extensions import db
from .models import OutboxMessage, OutboxStatus

FINISHED = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value)
BATCH = 1000  # rows per transaction: short write locks on SQLite, bounded memory


def cutoff(now: datetime, days: int) -> datetime:
    """Messages created before this instant are past the retention period."""
    return now - timedelta(days=days)


def is_purged(message: OutboxMessage) -> bool:
    return not message.recipient


@transactional
def purge_batch(now: datetime, *, days: int, batch: int = BATCH, actor: Actor = NOTIFIER) -> int:
    """Blank the personal data of up to `batch` finished messages older than `days`; the number done."""
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.created_at < cutoff(now, days),
                OutboxMessage.status.in_(FINISHED),
                OutboxMessage.recipient != "",
            )
            .order_by(OutboxMessage.id)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(recipient="", subject="", body_text="", body_html=None, data={}, error=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        actor,
        "outbox.purge",
        object_type="outbox_messages",
        summary=f"按保存期限（{days} 天）删除 {len(ids)} 条消息的收件地址和内容",
        changes={"purged": len(ids), "retention_days": days, "first_id": ids[0], "last_id": ids[-1]},
    )
    return len(ids)


def purge(now: datetime, *, days: int, batch: int = BATCH, actor: Actor = NOTIFIER) -> int:
    """Every finished message past the retention period, batch by batch; the total purged."""
    if days <= 0:
        raise ValueError("the retention period must be at least one day")
    total = 0
    while True:
        done = purge_batch(now, days=days, batch=batch, actor=actor)
        total += done
        if done < batch:
            return total
