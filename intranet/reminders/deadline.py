"""Deadline reminders: enterprises on a confirmed roster that have not claimed are reminded on the
days of the programme's ladder (email and SMS days before the claim deadline, 0 = the deadline
day), at the programme's reminder time. Each message says what claiming today gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select

from ..actors import Actor
from ..clock import at_shanghai, shanghai_date
from ..db_tx import transactional
from ..districts.service import manager_lines
from ..enterprises.models import Enterprise
from ..extensions import db
from ..policies.models import Policy
from ..programmes.models import Programme
from ..roster.models import Roster, RosterEntry
from ..roster.service import entitling_entry
from ..security import ensure_role
from .recipients import base_url, enterprise_channels, languages, queue_specs

JOB = "reminder"


@dataclass(frozen=True)
class Rung:
    days_before: int
    channels: tuple[str, ...]


def rung_for(programme: Programme, day: date) -> Rung | None:
    """The ladder rung of `day` for `programme`, or None when no reminder is due that day."""
    days = (programme.claim_deadline - day).days
    if days < 0:
        return None
    ladders = (("email", programme.reminder_email_days or []), ("sms", programme.reminder_sms_days or []))
    channels = tuple(channel for channel, ladder in ladders if days in ladder)
    return Rung(days, channels) if channels else None


def due_at(programme: Programme, day: date) -> datetime:
    return at_shanghai(day, programme.reminder_time)


def unclaimed_query(programme: Programme) -> Any:
    """Enterprises listed on a confirmed roster of the programme with no policy in it, by id."""
    claimed = select(Policy.id).where(
        Policy.enterprise_id == RosterEntry.enterprise_id, Policy.programme_id == programme.id
    )
    return (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.district_id,
            Enterprise.email,
            Enterprise.mobile,
            Enterprise.notify_email,
            Enterprise.notify_sms,
        )
        .select_from(RosterEntry)
        .join(Roster, Roster.id == RosterEntry.roster_id)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .where(RosterEntry.programme_id == programme.id, *entitling_entry(), ~exists(claimed))
        .distinct()
        .order_by(Enterprise.id)
    )


def _context(programme: Programme, rung: Rung, row: Any, language: str, managers: dict[int, str]) -> dict[str, Any]:
    return {
        "enterprise_name": row.name,
        "uscc": row.uscc,
        "programme_year": programme.year,
        "programme_name": programme.name_en if language == "en" else programme.name_zh,
        "claim_deadline": programme.claim_deadline.isoformat(),
        "days_left": rung.days_before,
        "deadline_day": rung.days_before == 0,
        "cover_start": programme.cover_start.isoformat(),
        "cover_end": programme.cover_end.isoformat(),
        "portal_url": f"{base_url()}/portal/",
        "hotline": programme.hotline_consult,
        "account_managers": managers.get(row.district_id, ""),
    }


def programmes_due(now: datetime) -> list[tuple[Programme, Rung]]:
    today = shanghai_date(now)
    due = []
    published = Programme.published_at.is_not(None)  # a draft programme reminds nobody
    for programme in db.session.scalars(select(Programme).where(Programme.claim_deadline >= today, published)):
        rung = rung_for(programme, today)
        if rung is not None and now >= due_at(programme, today):
            due.append((programme, rung))
    return due


def _queue_rung(programme: Programme, rung: Rung, now: datetime) -> int:
    rows = db.session.execute(unclaimed_query(programme)).all()
    langs = languages(row.id for row in rows)
    managers = manager_lines(programme.year)
    specs: list[dict[str, Any]] = []
    for row in rows:
        language = langs.get(row.id, "zh")
        context = _context(programme, rung, row, language, managers)
        for channel, recipient in enterprise_channels(row, rung.channels).items():
            specs.append(
                {
                    "channel": channel,
                    "recipient": recipient,
                    "job": JOB,
                    "template": "reminder",
                    "context": context,
                    "dedupe_key": f"reminder:{programme.year}:{row.id}:{rung.days_before}:{channel}",
                    "now": now,
                    "enterprise_id": row.id,
                    "language": language,
                }
            )
    return queue_specs(specs)


@transactional
def queue_deadline_reminders(actor: Actor, *, now: datetime) -> int:
    """Queue the reminders due as of `now` (today's rung, once its time has come); idempotent."""
    ensure_role(actor, "bureau")
    return sum(_queue_rung(programme, rung, now) for programme, rung in programmes_due(now))
