"""Demo step: objections on the roster under notice (one open, one answered), via the real services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from ..actors import SystemActor
from ..extensions import db
from . import objections
from .board import notice_state
from .models import Roster, RosterEntry, RosterStatus

if TYPE_CHECKING:
    from ..demo.context import DemoContext

OPERATOR = SystemActor(name="demo")


def demo_step(ctx: DemoContext) -> None:
    roster = db.session.scalar(
        select(Roster).where(Roster.status == RosterStatus.NOTICE).order_by(Roster.id.desc()).limit(1)
    )
    if roster is None or notice_state(roster, ctx.now) != "open":
        return
    entries = list(
        db.session.scalars(select(RosterEntry).where(RosterEntry.roster_id == roster.id).order_by(RosterEntry.id))
    )
    if len(entries) < 2:
        return
    programme = roster.programme
    answered = objections.file_objection(
        programme,
        objections.ObjectionInput(
            uscc=entries[0].uscc,
            reason="听说该企业2023年出口额超过800万美元，请核实。",
            contact_name="张先生",
            contact="13900001111",
        ),
        ip="192.0.2.10",
        now=ctx.now,
    )
    objections.resolve(
        OPERATOR,
        answered,
        decision="dismissed",
        reply="经核对海关数据，该企业2023年出口额未超过800万美元，符合统保条件。感谢您的监督。",
        now=ctx.now,
    )
    objections.file_objection(
        programme,
        objections.ObjectionInput(
            uscc=entries[1].uscc,
            reason="该企业已于2023年底注销，不应列入名单。",
            contact_name="李女士",
            contact="objector@example.org",
        ),
        ip="192.0.2.11",
        now=ctx.now,
    )
