"""Districts and account managers (客户经理): the table insurer staff maintain, each manager's
worklist of unclaimed enterprises, and the contact log."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..audit import service as audit
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

EDITORS = ("insurer",)
CHANNELS = ("phone", "visit", "email", "sms", "wechat", "other")
_PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")


def districts() -> list[District]:
    stmt = select(District).options(selectinload(District.managers)).order_by(District.sort, District.id)
    return list(db.session.scalars(stmt))


def manager_lines() -> dict[int, str]:
    """Each district's active account managers as one line ("孙经理 88325712，许经理 88325648"),
    for messages; districts without an active manager are left out."""
    lines = {district.id: manager_line(district) for district in districts()}
    return {district_id: line for district_id, line in lines.items() if line}


def manager_line(district: District | None) -> str:
    """One district's active account managers as one line ("" when it has none)."""
    return "，".join(f"{m.name} {m.phone}" for m in (district.managers if district else []) if m.active)


def managers() -> list[AccountManager]:
    return list(
        db.session.scalars(
            select(AccountManager).options(selectinload(AccountManager.districts)).order_by(AccountManager.id)
        )
    )


def get_manager(manager_id: int) -> AccountManager:
    manager = db.session.get(AccountManager, manager_id)
    if manager is None:
        raise NotFound("没有这位客户经理 / No such account manager", code="manager_not_found")
    return manager


def _snapshot(manager: AccountManager) -> dict[str, Any]:
    return {
        "name": manager.name,
        "phone": manager.phone,
        "email": manager.email,
        "active": bool(manager.active),
        "districts": [d.name_zh for d in manager.districts],
    }


@transactional
def save_manager(
    actor: Actor,
    manager: AccountManager | None,
    *,
    name: str,
    phone: str,
    email: str | None,
    district_ids: list[int],
    active: bool,
    now: datetime,
) -> AccountManager:
    """Create (manager=None) or edit an account manager; audited with what changed."""
    ensure_role(actor, *EDITORS)
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name:
        raise Invalid("姓名不能为空 / The name is empty", field="name")
    if not _PHONE.match(phone):
        raise Invalid(f"电话号码格式不正确：{phone} / Not a telephone number: {phone}", field="phone")
    wanted = select(District).where(District.id.in_(district_ids or [])).order_by(District.sort)
    chosen = list(db.session.scalars(wanted))
    if len(chosen) != len(set(district_ids or [])):
        raise Invalid("所选区域不存在 / Unknown district", field="districts")
    created = manager is None
    if manager is None:
        manager = AccountManager(name=name, phone=phone)
        db.session.add(manager)
    before = {} if created else _snapshot(manager)
    manager.name, manager.phone = name, phone
    manager.email = (email or "").strip() or None
    manager.active = bool(active)
    manager.districts = chosen
    db.session.flush()
    after = _snapshot(manager)
    audit.record(
        actor,
        "manager.create" if created else "manager.edit",
        obj=manager,
        summary=name,
        changes=after if created else audit.diff(before, after),
    )
    return manager


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
        raise Invalid(f"未知联系方式 {channel} / Unknown channel {channel}", field="channel")
    note = (note or "").strip()
    if not note:
        raise Invalid("请填写联系记录 / Write what was said or agreed", field="note")
    if enterprise.district_id not in {d.id for d in manager.districts}:
        raise Invalid(
            f"{enterprise.name} 不在 {manager.name} 负责的区域 / The enterprise is outside this manager's districts",
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
        raise NotFound("没有这家企业 / No such enterprise", code="enterprise_not_found")
    return enterprise
