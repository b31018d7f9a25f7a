"""An account manager's worklist (enterprises of their districts listed on a confirmed roster,
eligible, without a policy; the online questions of their districts that wait for an answer) and
their contact log: read on the districts' staff pages and by the demo. It reads rosters, policies,
enterprises and consultations, so it sits above them (DEVELOPERS.md, Layers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select

from ..actors import Actor
from ..audit import service as audit
from ..consultations import service as consultations
from ..consultations.models import Consultation
from ..consultations.overdue import reply_time
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..errors import Invalid, NotFound
from ..extensions import db
from ..policies.models import Policy
from ..programmes.models import Programme
from ..roster.models import Roster, RosterEntry
from ..roster.service import entitling_entry
from ..security import ensure_role
from .models import AccountManager, District, ManagerContact
from .service import EDITORS

CHANNELS = ("phone", "visit", "email", "sms", "wechat", "other")


# --- the worklist: listed on a confirmed roster, eligible, no policy, in the manager's districts ---


def worklist_query(manager: AccountManager, programme: Programme | None, today: date) -> Select[*tuple[Any, ...]]:
    """Unclaimed enterprises of the manager's districts, by claim deadline then name.

    Without a programme: every programme whose claims are still accepted (cover not ended)."""
    district_ids = [d.id for d in manager.districts]
    last_contact = (
        select(func.max(ManagerContact.at))
        .where(ManagerContact.enterprise_id == RosterEntry.enterprise_id, ManagerContact.manager_id == manager.id)
        .correlate(RosterEntry)
        .scalar_subquery()
    )
    has_policy = exists().where(
        Policy.programme_id == RosterEntry.programme_id, Policy.enterprise_id == RosterEntry.enterprise_id
    )
    stmt = (
        select(
            Enterprise.id.label("enterprise_id"),
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.contact_name,
            Enterprise.mobile,
            Enterprise.email,
            District.name_zh.label("district"),
            Programme.year,
            Programme.claim_deadline,
            last_contact.label("last_contact_at"),
        )
        .distinct()
        .select_from(RosterEntry)
        .join(Roster, Roster.id == RosterEntry.roster_id)
        .join(Programme, Programme.id == RosterEntry.programme_id)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .join(District, District.id == RosterEntry.district_id)
        .where(*entitling_entry(), RosterEntry.district_id.in_(district_ids), ~has_policy)
        .order_by(Programme.claim_deadline, Enterprise.name, Enterprise.id)
    )
    if programme is not None:
        stmt = stmt.where(RosterEntry.programme_id == programme.id)
    else:
        stmt = stmt.where(Programme.cover_end >= today)
    return stmt


def on_worklist(manager: AccountManager, enterprise_id: int, programme: Programme | None, today: date) -> bool:
    stmt = worklist_query(manager, programme, today).where(Enterprise.id == enterprise_id)
    return db.session.execute(stmt.limit(1)).first() is not None


@transactional
def log_contact(
    actor: Actor,
    manager: AccountManager,
    enterprise: Enterprise,
    programme: Programme | None,
    *,
    channel: str,
    note: str,
    now: datetime,
) -> ManagerContact:
    """Record that the manager contacted an enterprise of their districts (call, visit, message)."""
    ensure_role(actor, *EDITORS)
    if channel not in CHANNELS:
        raise Invalid(_l("未知联系方式 %(channel)s", channel=channel), field="channel")
    note = (note or "").strip()
    if not note:
        raise Invalid(_l("请填写联系记录"), field="note")
    if enterprise.district_id not in {d.id for d in manager.districts}:
        raise Invalid(
            _l("%(enterprise)s 不在 %(manager)s 负责的区域", enterprise=enterprise.name, manager=manager.name),
            field="enterprise",
        )
    contact = ManagerContact(
        manager_id=manager.id,
        enterprise_id=enterprise.id,
        programme_id=programme.id if programme else None,
        at=now,
        by_user_id=actor.id,
        channel=channel,
        note=note,
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        actor,
        "manager.contact",
        obj=contact,
        summary=f"{manager.name} → {enterprise.name} ({channel})",
        changes={"enterprise_id": enterprise.id, "channel": channel},
    )
    return contact


def contacts(manager: AccountManager, enterprise_id: int | None = None, limit: int = 20) -> list[Any]:
    stmt = (
        select(ManagerContact, Enterprise.name)
        .join(Enterprise, Enterprise.id == ManagerContact.enterprise_id)
        .where(ManagerContact.manager_id == manager.id)
        .order_by(ManagerContact.at.desc(), ManagerContact.id.desc())
        .limit(limit)
    )
    if enterprise_id is not None:
        stmt = stmt.where(ManagerContact.enterprise_id == enterprise_id)
    return list(db.session.execute(stmt).all())


def get_enterprise(enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_l("没有这家企业"), code="enterprise_not_found")
    return enterprise


def waiting_questions(manager: AccountManager, now: datetime) -> list[tuple[Consultation, bool]]:
    """The online questions of the manager's districts that wait for an answer, oldest first, each
    with whether it has waited past its reply time."""
    rows = consultations.waiting_in([d.id for d in manager.districts])
    reply = reply_time(now)
    return [(row, reply.is_overdue(row, now)) for row in rows]
