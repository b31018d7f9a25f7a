"""Demo step: outbox history (the deadline reminder ladder as it went out, a few failures, an SMS
waiting for the morning), so the staff outbox page, its filters, retry and chart have something to show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import update

from ..clock import at_shanghai, shanghai_date
from ..extensions import db
from .dispatch import quiet_until
from .models import OutboxMessage
from .service import build_row, queue_many

if TYPE_CHECKING:
    from ..demo.context import DemoContext

def _reminder(
    enterprise: Any, channel: str, recipient: str, context: dict[str, Any], key: str, moment: datetime
) -> dict[str, Any]:
    return build_row(
        channel=channel,
        recipient=recipient,
        job="reminder",
        template="reminder",
        context={**context, "enterprise_name": enterprise.name, "uscc": enterprise.uscc},
        dedupe_key=f"{key}:{enterprise.id}:{channel}",
        now=moment,
        enterprise_id=enterprise.id,
    )


def demo_step(ctx: DemoContext) -> None:
    programme = ctx.programmes[max(ctx.programmes)]
    today = shanghai_date(ctx.now)
    context: dict[str, Any] = {
        "programme_year": programme.year,
        "programme_name": programme.name_zh,
        "claim_deadline": programme.claim_deadline.isoformat(),
        "cover_start": programme.cover_start.isoformat(),
        "cover_end": programme.cover_end.isoformat(),
        "portal_url": f"{current_app.config['TONGBAO_BASE_URL']}/portal/",
        "hotline": programme.hotline_consult,
    }
    rows: list[dict[str, Any]] = []
    outcome: list[tuple[str, Any]] = []
    # the reminder ladder as the scheduler sends it: each rung once per enterprise and channel, on
    # its day before the deadline (only the days already past), fewer enterprises as they claim
    ladders = {"email": programme.reminder_email_days or [], "sms": programme.reminder_sms_days or []}
    for rung in sorted({*ladders["email"], *ladders["sms"]}, reverse=True):
        day = programme.claim_deadline - timedelta(days=rung)
        if day >= today:
            continue
        moment = at_shanghai(day, programme.reminder_time)
        step = {**context, "days_left": rung, "deadline_day": rung == 0}
        for i, enterprise in enumerate(ctx.enterprises[: 3 + rung % 9]):
            for channel, recipient in (("email", enterprise.email), ("sms", enterprise.mobile)):
                if not recipient or rung not in ladders[channel]:
                    continue
                rows.append(_reminder(enterprise, channel, recipient, step, f"demo:{day}", moment))
                failed = channel == "email" and (rung + i) % 17 == 0
                outcome.append(("failed" if failed else "sent", moment + timedelta(seconds=len(rows))))
    queue_many(rows)
    db.session.flush()
    for row, (status, when) in zip(rows, outcome, strict=True):
        values: dict[str, Any] = {"status": status, "attempts": 1, "last_attempt_at": when}
        if status == "sent":
            values.update(sent_at=when, provider_ref="outbox.log")
        else:
            values.update(attempts=6, error="550 5.1.1 mailbox unavailable (demo)")
        db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == row["dedupe_key"]).values(**values))
    # an SMS queued late yesterday waits for the end of the quiet hours: only while the deadline is
    # still ahead (delivered this morning, it must not name a date already past)
    yesterday = today - timedelta(days=1)
    evening = at_shanghai(yesterday, "22:15")
    enterprise = ctx.enterprises[0]
    if enterprise.mobile and programme.claim_deadline >= today:
        days_left = (programme.claim_deadline - yesterday).days
        step = {**context, "days_left": days_left, "deadline_day": False}
        late = _reminder(enterprise, "sms", enterprise.mobile, step, "demo:late", evening)
        late.update(status="deferred", next_attempt_at=quiet_until(evening) or evening)
        queue_many([late])
