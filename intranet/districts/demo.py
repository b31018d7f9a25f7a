"""Demo step: account managers' contact log with a few unclaimed enterprises of their districts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from ..actors import SystemActor
from ..clock import shanghai_date
from ..extensions import db
from ..programmes.models import Programme
from . import worklist
from .models import AccountManager

if TYPE_CHECKING:
    from ..demo.context import DemoContext

OPERATOR = SystemActor(name="demo")
NOTES = [("phone", "已电话提醒在截止日前领取保单，企业表示本周内办理。"), ("visit", "上门介绍统保政策和报损流程。")]


def demo_step(ctx: DemoContext) -> None:
    today = shanghai_date(ctx.now)
    programme = db.session.scalar(select(Programme).where(Programme.year == today.year))
    for manager in db.session.scalars(select(AccountManager).order_by(AccountManager.id).limit(3)):
        rows = db.session.execute(worklist.worklist_query(manager, programme, today).limit(len(NOTES))).all()
        for row, (channel, note) in zip(rows, NOTES, strict=False):
            enterprise = worklist.get_enterprise(row.enterprise_id)
            worklist.log_contact(OPERATOR, manager, enterprise, programme, channel=channel, note=note, now=ctx.now)
