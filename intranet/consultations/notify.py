"""Who is told about a consultation, through the outbox, in the transaction of its cause: the
district's account managers (a question or a follow-up), the enterprise (an answer), the insurer's
staff (a question waiting past its reply time). Messages carry the number, topic and a link, never the
thread's text (the outbox pages are open to bureau staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..auth.models import User
from ..clock import shanghai
from ..districts.models import AccountManager
from ..enterprises import messages as enterprise_messages
from ..extensions import db
from ..outbox import service as outbox
from .labels import topic_label
from .models import Consultation, ConsultationMessage

JOB = "consultation"
ALERT_JOB = "alert"


def base_url() -> str:
    return str(current_app.config["TONGBAO_BASE_URL"])


def staff_url(row: Consultation) -> str:
    return f"{base_url()}/staff/consultations/{row.id}"


def portal_url(row: Consultation) -> str:
    return f"{base_url()}/portal/consultations/{row.id}"


def insurer_staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == "insurer", User.active.is_(True), User.email.is_not(None)).order_by(User.id)
        )
    )


def district_managers(row: Consultation) -> list[AccountManager]:
    """The active account managers of the question's district who have an e-mail address."""
    if row.district is None:
        return []
    return [m for m in row.district.managers if m.active and m.email]


def _district_name(row: Consultation, language: str) -> str:
    if row.district is None:
        return ""
    return str(row.district.name_en if language == "en" else row.district.name_zh)


def _context(row: Consultation, language: str) -> dict[str, Any]:
    return {
        "consultation_id": row.id,
        "enterprise_name": row.enterprise.name,
        "uscc": row.enterprise.uscc,
        "district": _district_name(row, language),
        "topic": topic_label(row.topic, language),
        "asked_at": shanghai(row.asked_at).strftime("%Y-%m-%d %H:%M"),
    }


def managers(row: Consultation, message: ConsultationMessage, now: datetime) -> int:
    """An e-mail to each account manager of the district (a follow-up too); without one who has
    an address, to the insurer's staff, so that no question goes unseen."""
    recipients: list[tuple[str, str, str, int | None]] = [
        (str(m.email), m.name, f"manager:{m.id}", None) for m in district_managers(row)
    ]
    if not recipients:
        recipients = [(str(u.email), u.display_name or str(u.email), f"user:{u.id}", u.id) for u in insurer_staff()]
    queued = 0
    for address, name, who, user_id in recipients:
        with enterprise_messages.rendering():
            sent = outbox.queue(
                channel="email",
                recipient=address,
                job=JOB,
                template="consultation_question",
                context={
                    **_context(row, "zh"),
                    "staff_name": name,
                    "follow_up": len(row.messages) > 1,
                    "url": staff_url(row),
                },
                dedupe_key=f"consultation:{row.id}:{message.id}:{who}",
                now=now,
                user_id=user_id,
                language="zh",
            )
        queued += sent is not None
    return queued


def enterprise(row: Consultation, message: ConsultationMessage, now: datetime) -> int:
    """ "Consultation answered", on the enterprise's channels, in its language."""
    company = row.enterprise
    language = enterprise_messages.language_for(company)
    queued = 0
    for channel, recipient in enterprise_messages.channels_for(company).items():
        with enterprise_messages.rendering():
            sent = outbox.queue(
                channel=channel,
                recipient=recipient,
                job=JOB,
                template="consultation_answered",
                context={**_context(row, language), "url": portal_url(row)},
                dedupe_key=f"consultation:{row.id}:{message.id}:{channel}",
                now=now,
                enterprise_id=company.id,
                user_id=row.asked_by,
                language=language,
            )
        queued += sent is not None
    return queued


def overdue(row: Consultation, staff: list[User], now: datetime, reply_days: int) -> int:
    """The insurer's staff: this question has waited its `reply_days` working days (once per question)."""
    specs = []
    with enterprise_messages.rendering():
        for user in staff:
            language = "en" if user.locale == "en" else "zh"
            context = {
                **_context(row, language),
                "staff_name": user.display_name or user.email,
                "waiting_since": shanghai(row.waiting_since).strftime("%Y-%m-%d %H:%M"),
                "reply_days": reply_days,
                "url": staff_url(row),
            }
            specs.append(
                outbox.build_row(
                    channel="email",
                    recipient=str(user.email),
                    job=ALERT_JOB,
                    template="alert_consultation_overdue",
                    context=context,
                    dedupe_key=f"alert:consultation_overdue:{row.id}:{user.id}",
                    now=now,
                    user_id=user.id,
                    language=language,
                )
            )
    return outbox.queue_many(specs)
