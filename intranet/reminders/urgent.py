"""An urgent risk alert sent now: a published risk alert (category `risk_alert`) goes at once to
the enterprises a monthly notice reaches (a policy in force, monthly notices not switched off),
instead of waiting for the notice day. The messages are the monthly push's own (same template,
same order, same dedupe keys), so nobody gets the alert twice: not from pressing twice, not again
on the notice day. Insurer staff confirm first (`confirmations`): the page says how many
enterprises and messages; the send is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai, shanghai_date
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Refused
from ..extensions import db
from ..notices.models import RiskNotice
from ..notices.service import PUBLISHED
from ..outbox.dispatch import quiet_until
from ..outbox.service import build_row, queue_many
from ..security import ensure_role
from .monthly import holders_query, notice_specs
from .recipients import languages

URGENT = "risk_alert"
ACTION = "notice.send_now"


@dataclass(frozen=True)
class Pending:
    specs: list[dict[str, Any]]  # the messages not queued yet, in delivery order
    names: list[str]  # the enterprises they reach, in that order

    @property
    def enterprises(self) -> int:
        return len(self.names)


def can_send_now(notice: RiskNotice) -> bool:
    return notice.status == PUBLISHED and notice.category == URGENT


def _check(notice: RiskNotice) -> None:
    if notice.status != PUBLISHED:
        raise Refused(_l("只有已发布的通报可以立即发送"), code="notice_not_published")
    if notice.category != URGENT:
        raise Refused(_l("只有风险预警可以立即发送，其他通报按每月推送计划发送"), code="notice_not_urgent")


def pending(notice: RiskNotice, now: datetime) -> Pending:
    """What sending `notice` now would queue (nothing already queued for it)."""
    holders = db.session.execute(holders_query(shanghai_date(now))).all()
    fresh = notice_specs(notice, holders, languages(h.id for h in holders), now)  # those not queued yet
    names = {row.id: row.name for row in holders}
    reached = list(dict.fromkeys(spec["enterprise_id"] for spec in fresh))
    return Pending(fresh, [names[eid] for eid in reached])


def send_now_plan(notice: RiskNotice, *, now: datetime) -> Plan:
    """The confirmation page: how many enterprises and messages, who first."""
    _check(notice)
    waiting = pending(notice, now)
    if not waiting.specs:
        raise Refused(
            _l("这条预警已发给所有有效保单企业（或没有可发送的企业），没有需要发送的消息"), code="nothing_to_send"
        )
    details: list[Any] = [_l("消息立即进入发送队列，不等每月推送日；已收到这条预警的企业不会重复收到。")]
    quiet = quiet_until(now)
    if quiet is not None and any(spec["channel"] == "sms" for spec in waiting.specs):
        details.append(
            _l("现在是短信免打扰时段，短信将于 %(time)s 发出，邮件立即发出。", time=shanghai(quiet).strftime("%H:%M"))
        )
    return Plan(
        action=ACTION,
        object_id=notice.id,
        title=_l("立即发送风险预警：%(title)s", title=notice.title),
        counts={"enterprises": waiting.enterprises, "messages": len(waiting.specs)},
        who=waiting.names[:10],
        who_total=waiting.enterprises,
        details=tuple(details),
        warning=_l("消息发出后不能撤回。"),
    )


@transactional
def send_now(actor: Actor, notice: RiskNotice, *, now: datetime) -> int:
    """Queue the alert's messages now (those not queued yet); returns how many were queued."""
    ensure_role(actor, "insurer")
    _check(notice)
    waiting = pending(notice, now)
    queued = queue_many([build_row(**spec) for spec in waiting.specs])
    audit.record(
        actor,
        ACTION,
        obj=notice,
        summary=f"{notice.month} {notice.title}",
        changes={"enterprises": waiting.enterprises, "queued": queued},
    )
    return queued
