"""Monthly risk notices: from the notice day and time of a month, every notice published for that
month goes to every enterprise holding a policy in force (issued, not revoked, today within its
cover) that has not opted out — email in full, SMS as the title and a link. The job runs again all
month long (notifier/scheduler.py): a policy whose cover starts later (1 July, the programme's first
day, or a late claim's issue date) gets the month's notices from its first day, a notice published
after the notice day goes out too, and each message goes once (its dedupe key). A notice naming
countries goes first to the enterprises that named a buyer there (loss reports, credit-report
requests), then to the rest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, union

from ..actors import Actor
from ..clock import at_shanghai, shanghai_date
from ..credit_reports.models import CreditReportRequest
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..enterprises.preferences import opt_out_url
from ..extensions import db
from ..losses.models import LossReport
from ..notices.models import RiskNotice
from ..notices.service import PUBLISHED, render_markdown
from ..outbox.service import existing_keys
from ..policies.models import Policy, PolicyStatus
from ..security import ensure_role
from .recipients import base_url, enterprise_channels, languages, queue_specs
from .settings import setting

JOB = "notice"


def month_opens(day: date) -> datetime:
    first = day.replace(day=int(setting("NOTIFIER_NOTICE_DAY")))
    return at_shanghai(first, setting("NOTIFIER_NOTICE_TIME"))


def holders_query(today: date) -> Any:
    """Enterprises with a policy in force today that take monthly notices, by id."""
    in_force = (
        select(Policy.enterprise_id)
        .where(
            Policy.status == PolicyStatus.ISSUED,
            Policy.revoked_at.is_(None),
            Policy.cover_start <= today,
            Policy.cover_end >= today,
        )
        .distinct()
    )
    return (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.email,
            Enterprise.mobile,
            Enterprise.notify_email,
            Enterprise.notify_sms,
        )
        .where(Enterprise.id.in_(in_force), Enterprise.monthly_notices.is_(True))
        .order_by(Enterprise.id)
    )


def named_buyer_in(countries: list[str]) -> set[int]:
    """Enterprises that named a buyer in one of `countries` (loss reports or credit reports)."""
    if not countries:
        return set()
    stmt = union(
        select(LossReport.enterprise_id).where(LossReport.buyer_country.in_(countries)),
        select(CreditReportRequest.enterprise_id).where(CreditReportRequest.buyer_country.in_(countries)),
    )
    return set(db.session.scalars(stmt))


def ordered_recipients(notice: RiskNotice, holders: Sequence[Any]) -> list[Any]:
    targeted = named_buyer_in(list(notice.countries or []))
    return [h for h in holders if h.id in targeted] + [h for h in holders if h.id not in targeted]


def _context(notice: RiskNotice, row: Any, body_html: str) -> dict[str, Any]:
    return {
        "enterprise_name": row.name,
        "notice_id": notice.id,
        "title": notice.title,
        "month": notice.month,
        "category": notice.category,
        "countries": ", ".join(notice.countries or []),
        "body_md": notice.body_md,
        "body_html": body_html,
        "notice_url": f"{base_url()}/portal/notices/{notice.id}",
        "unsubscribe_url": opt_out_url(row.id),
        "preferences_url": f"{base_url()}/portal/notifications",
    }


@transactional
def queue_monthly_notices(actor: Actor, *, now: datetime) -> int:
    """Queue this month's published notices once the notice day and time have come; idempotent."""
    ensure_role(actor, "insurer")
    today = shanghai_date(now)
    if now < month_opens(today):
        return 0
    notices = list(
        db.session.scalars(
            select(RiskNotice)
            .where(RiskNotice.status == PUBLISHED, RiskNotice.month == today.strftime("%Y-%m"))
            .order_by(RiskNotice.published_at, RiskNotice.id)
        )
    )
    if not notices:
        return 0
    holders = db.session.execute(holders_query(today)).all()
    langs = languages(h.id for h in holders)
    specs = [spec for notice in notices for spec in notice_specs(notice, holders, langs, now)]
    return queue_specs(specs)


def notice_specs(
    notice: RiskNotice, holders: Sequence[Any], langs: dict[int, str], now: datetime
) -> list[dict[str, Any]]:
    """The messages of one notice to `holders` (rows of `holders_query`) not queued yet, in delivery
    order. The dedupe key is the notice's, the enterprise's and the channel's: a notice sent at once
    (reminders/urgent.py) is not sent again by the monthly job."""
    wanted = [
        (row, channel, recipient, f"notice:{notice.id}:{row.id}:{channel}")
        for row in ordered_recipients(notice, holders)
        for channel, recipient in enterprise_channels(row).items()
    ]
    # the job runs all month long (a policy that comes into force gets the month's notices on
    # its first day): only the messages not queued yet are built
    known = existing_keys(key for *_rest, key in wanted)
    body_html = render_markdown(notice.body_md) if len(known) < len(wanted) else ""
    specs: list[dict[str, Any]] = []
    for row, channel, recipient, key in wanted:
        if key in known:
            continue
        specs.append(
            {
                "channel": channel,
                "recipient": recipient,
                "job": JOB,
                "template": "notice",
                "context": _context(notice, row, body_html),
                "dedupe_key": key,
                "now": now,
                "enterprise_id": row.id,
                "language": langs.get(row.id, "zh"),
            }
        )
    return specs
