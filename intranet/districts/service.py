"""Districts and account managers (客户经理): the table insurer staff maintain. Each manager's
worklist of unclaimed enterprises and the contact log are in worklist.py."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from ..security import ensure_role
from .models import AccountManager, District

EDITORS = ("insurer",)
_PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")


def districts() -> list[District]:
    stmt = select(District).options(selectinload(District.managers)).order_by(District.sort, District.id)
    return list(db.session.scalars(stmt))


def manager_lines(year: int | None = None) -> dict[int, str]:
    """Each district's active account managers (serving the programme of `year`, when given) as one
    line ("孙经理 88325712，许经理 88325648"), for messages; districts without one are left out."""
    lines = {district.id: manager_line(district, year) for district in districts()}
    return {district_id: line for district_id, line in lines.items() if line}


def manager_line(district: District | None, year: int | None = None) -> str:
    """One district's active account managers (of the programme of `year`) as one line ("" when none)."""
    return "，".join(f"{m.name} {m.phone}" for m in serving(district, year))


def serving(district: District | None, year: int | None) -> list[AccountManager]:
    """The district's account managers serving the programme of `year` (dated assignments: a past
    year's certificate shows that year's managers)."""
    return [m for m in (district.managers if district else []) if m.serves(year)]


def managers() -> list[AccountManager]:
    return list(
        db.session.scalars(
            select(AccountManager).options(selectinload(AccountManager.districts)).order_by(AccountManager.id)
        )
    )


def get_manager(manager_id: int) -> AccountManager:
    manager = db.session.get(AccountManager, manager_id)
    if manager is None:
        raise NotFound(_l("没有这位客户经理"), code="manager_not_found")
    return manager


def _snapshot(manager: AccountManager) -> dict[str, Any]:
    return {
        "name": manager.name,
        "phone": manager.phone,
        "email": manager.email,
        "active": bool(manager.active),
        "districts": [d.name_zh for d in manager.districts],
        "from_year": manager.from_year,
        "to_year": manager.to_year,
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
    years: tuple[int | None, int | None] = (None, None),
    now: datetime,
) -> AccountManager:
    """Create (manager=None) or edit an account manager; audited with what changed."""
    ensure_role(actor, *EDITORS)
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name:
        raise Invalid(_l("姓名不能为空"), field="name")
    if not _PHONE.match(phone):
        raise Invalid(_l("电话号码格式不正确：%(phone)s", phone=phone), field="phone")
    wanted = select(District).where(District.id.in_(district_ids or [])).order_by(District.sort)
    chosen = list(db.session.scalars(wanted))
    if len(chosen) != len(set(district_ids or [])):
        raise Invalid(_l("所选区域不存在"), field="districts")
    from_year, to_year = years
    if from_year is not None and to_year is not None and to_year < from_year:
        raise Invalid(_l("截止年度早于起始年度"), field="to_year")
    created = manager is None
    if manager is None:
        manager = AccountManager(name=name, phone=phone)
        db.session.add(manager)
    before = {} if created else _snapshot(manager)
    manager.name, manager.phone = name, phone
    manager.email = (email or "").strip() or None
    manager.active = bool(active)
    manager.districts = chosen
    manager.from_year, manager.to_year = from_year, to_year
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
