"""Demo step: two weeks of outbox history (sent reminders and notices, a few failures, SMS waiting
for the morning), so the staff outbox page, its filters, retry and chart have something to show."""

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

DAYS = 14


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
        "days_left": 7,
        "deadline_day": False,
        "cover_start": programme.cover_start.isoformat(),
        "cover_end": programme.cover_end.isoformat(),
        "portal_url": f"{current_app.config['TONGBAO_BASE_URL']}/portal/",
        "hotline": programme.hotline_consult,
    }
    rows: list[dict[str, Any]] = []
    outcome: list[tuple[str, Any]] = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        moment = at_shanghai(day, programme.reminder_time)
        for i, enterprise in enumerate(ctx.enterprises[: 3 + (back * 7) % 9]):
            for channel, recipient in (("email", enterprise.email), ("sms", enterprise.mobile)):
                if not recipient or (channel == "sms" and i % 3):
                    continue
                rows.append(_reminder(enterprise, channel, recipient, context, f"demo:{day}", moment))
                failed = channel == "email" and (back + i) % 17 == 0
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
    # an SMS queued late yesterday waits for the end of the quiet hours
    evening = at_shanghai(today - timedelta(days=1), "22:15")
    enterprise = ctx.enterprises[0]
    if enterprise.mobile:
        late = _reminder(enterprise, "sms", enterprise.mobile, context, "demo:late", evening)
        late.update(status="deferred", next_attempt_at=quiet_until(evening) or evening)
        queue_many([late])
