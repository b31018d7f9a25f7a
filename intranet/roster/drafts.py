"""Draft rosters staff can fix before publishing: discard a draft, take one row off it (with a
reason), and choose where an import lands (a draft or a new roster). Only drafts change here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..actors import Actor
from ..audit import service as audit
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..programmes.models import Programme
from ..security import ensure_role
from .models import ImportJob, Roster, RosterEntry, RosterStatus
from .notice_service import ensure_editable, listed_names, roster_label
from .service import draft_roster, latest_roster, rosters_of

EDITORS = ("bureau",)
NEW = "new"  # an import's target: a new roster after the last one


def _entry_count(roster: Roster) -> int:
    return db.session.scalar(select(func.count(RosterEntry.id)).where(RosterEntry.roster_id == roster.id)) or 0


def _draft(roster_id: int) -> Roster:
    roster = db.session.get(Roster, roster_id)
    if roster is None:
        raise NotFound(_l("没有编号为 %(id)s 的名单", id=roster_id), code="roster_not_found")
    ensure_editable(roster)
    return roster


def discard_plan(roster_id: int) -> Plan:
    roster = _draft(roster_id)
    total = _entry_count(roster)
    return Plan(
        action="roster.discard",
        object_id=roster.id,
        title=_l("删除草稿名单：%(roster)s", roster=roster_label(roster)),
        counts={"enterprises": total},
        who=listed_names(roster),
        who_total=total,
        warning=_l("草稿中的全部企业行将被删除，不能恢复；企业资料保留，可以重新导入。"),
    )


@transactional
def discard(actor: Actor, roster_id: int, *, now: datetime) -> int:
    """Delete a draft roster and its rows (the enterprises stay); audited. Returns the rows removed."""
    ensure_role(actor, *EDITORS)
    roster = _draft(roster_id)
    db.session.refresh(roster, with_for_update=True)
    ensure_editable(roster)  # published in between: refused
    label, total = str(roster_label(roster)), _entry_count(roster)
    db.session.execute(update(ImportJob).where(ImportJob.roster_id == roster.id).values(roster_id=None))
    db.session.execute(delete(RosterEntry).where(RosterEntry.roster_id == roster.id))
    audit.record(
        actor,
        "roster.discard",
        obj=roster,
        summary=f"{label}: {total} rows",
        changes={"status": [RosterStatus.DRAFT, None], "seq": roster.seq, "rows": total, "at": now.isoformat()},
    )
    db.session.delete(roster)
    return total


@dataclass(frozen=True)
class Removed:
    roster_id: int
    name: str


def entry_roster_id(entry_id: int) -> int | None:
    return db.session.scalar(select(RosterEntry.roster_id).where(RosterEntry.id == entry_id))


@transactional
def remove_entry(actor: Actor, entry_id: int, *, reason: str, now: datetime) -> Removed:
    """Take one row off a draft roster, with the reason on the audit record."""
    ensure_role(actor, *EDITORS)
    entry = db.session.get(RosterEntry, entry_id)
    if entry is None:
        raise NotFound(_l("没有这一行"), code="entry_not_found")
    db.session.refresh(entry.roster, with_for_update=True)
    ensure_editable(entry.roster)
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise Invalid(_l("请填写移除原因"), field="reason")
    audit.record(
        actor,
        "roster.entry_remove",
        obj=entry.roster,
        summary=f"{entry.uscc} {entry.name}: {reason[:200]}",
        changes={
            "uscc": entry.uscc,
            "name": entry.name,
            "export_amount_usd": entry.export_amount_usd,
            "source_row": entry.source_row,
            "reason": reason,
            "at": now.isoformat(),
        },
    )
    removed = Removed(entry.roster_id, entry.name)
    db.session.delete(entry)
    return removed


# --- where an import lands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    value: str  # "new" or a draft roster's id
    label: Any


def _next_label(programme: Programme) -> Any:
    latest = latest_roster(programme)
    if latest is None:
        return _l("新建名单：%(year)s 主名单", year=programme.year)
    return _l("新建补充名单：%(year)s 补充名单%(n)s", year=programme.year, n=latest.seq)


def import_targets(programme: Programme) -> list[Target]:
    """Each draft of the programme (add to it), then a new roster after the last one."""
    drafts = [r for r in rosters_of(programme) if r.status == RosterStatus.DRAFT]
    found = [
        Target(str(r.id), _l("添加到草稿名单：%(roster)s（现有 %(n)s 行）", roster=roster_label(r), n=_entry_count(r)))
        for r in drafts
    ]
    return [*found, Target(NEW, _next_label(programme))]


def default_target(programme: Programme) -> str:
    """The latest draft when there is one (as before), else a new roster."""
    drafts = [r for r in rosters_of(programme) if r.status == RosterStatus.DRAFT]
    return str(drafts[-1].id) if drafts else NEW


def target_roster(programme: Programme, target: str | None, *, now: datetime) -> Roster:
    """The roster an import writes into: the chosen draft, or a new roster (seq after the last)."""
    if target is None:  # the CLI, and a job queued before the choice existed
        return draft_roster(programme, now=now)
    if target == NEW:
        latest = latest_roster(programme)
        roster = Roster(
            programme_id=programme.id, seq=(latest.seq + 1) if latest else 1, status=RosterStatus.DRAFT, created_at=now
        )
        db.session.add(roster)
        db.session.flush()
        return roster
    chosen = db.session.get(Roster, int(target)) if target.isdigit() else None
    if chosen is None or chosen.programme_id != programme.id:
        raise Refused(_l("所选的草稿名单已不存在，请重新选择"), code="import_target_gone")
    db.session.refresh(chosen, with_for_update=True)
    ensure_editable(chosen)
    return chosen
