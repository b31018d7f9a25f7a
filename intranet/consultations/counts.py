"""What the bureau sees of online consultation: counts per district (asked, answered, waiting,
overdue), never a question's text, topic or enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..actors import Actor
from ..districts.models import District
from ..extensions import db
from ..security import ensure_role
from .models import Consultation, ConsultationStatus
from .overdue import ReplyTime

READERS = ("bureau", "insurer")


@dataclass
class DistrictCounts:
    district_id: int | None
    name_zh: str
    name_en: str
    asked: int = 0
    answered: int = 0
    waiting: int = 0
    overdue: int = 0


def by_district(actor: Actor, *, now: datetime, reply: ReplyTime) -> tuple[list[DistrictCounts], DistrictCounts]:
    """Every district (those without a question too), in the districts' order, and the total
    (overdue: waiting past `reply`, the reply time in force at `now`)."""
    ensure_role(actor, *READERS)
    rows: dict[int | None, DistrictCounts] = {
        d.id: DistrictCounts(d.id, d.name_zh, d.name_en)
        for d in db.session.scalars(select(District).order_by(District.sort, District.id))
    }
    grouped = db.session.execute(
        select(Consultation.district_id, Consultation.status, func.count(Consultation.id)).group_by(
            Consultation.district_id, Consultation.status
        )
    )
    for district_id, status, n in grouped:
        row = rows.setdefault(district_id, DistrictCounts(district_id, "—", "—"))
        row.asked += int(n)
        if status == ConsultationStatus.ANSWERED:
            row.answered += int(n)
        else:
            row.waiting += int(n)
    waiting = db.session.execute(
        select(Consultation.district_id, Consultation.waiting_since).where(
            Consultation.status == ConsultationStatus.OPEN
        )
    )
    for district_id, since in waiting:
        if reply.passed(since, now):
            rows.setdefault(district_id, DistrictCounts(district_id, "—", "—")).overdue += 1
    found = list(rows.values())
    total = DistrictCounts(None, "", "")
    for row in found:
        total.asked += row.asked
        total.answered += row.answered
        total.waiting += row.waiting
        total.overdue += row.overdue
    return found, total
