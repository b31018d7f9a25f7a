"""Programmes start as drafts: a copied next-year programme is seen by staff only until the bureau
publishes it (a staff action with a confirmation step, audited). The public pages, the enterprises'
portal and the notifier read published programmes only (`service.current_programme`); an older
programme keeps what its own dates allow."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Refused
from ..security import ensure_role
from .models import Programme

PUBLISHERS = ("bureau",)


def _refuse_if_published(programme: Programme) -> None:
    if programme.is_published:
        raise Refused(_l("%(year)s 年度项目已经发布", year=programme.year), code="programme_published")


def publish_plan(actor: Actor, programme: Programme, *, now: datetime) -> Plan:
    """What publishing does, for the confirmation page."""
    ensure_role(actor, *PUBLISHERS)
    _refuse_if_published(programme)
    details = [
        _l(
            "保险期限 %(start)s 至 %(end)s，领取截止 %(deadline)s，出口额上限 %(threshold)s 美元。",
            start=programme.cover_start.isoformat(),
            end=programme.cover_end.isoformat(),
            deadline=programme.claim_deadline.isoformat(),
            threshold=f"{programme.threshold_usd:,.2f}",
        ),
        _l("发布后，首页、名单公示、凭证核验和服务页面自该项目年度起显示本项目；往年项目仍按其自身日期受理。"),
    ]
    if shanghai_date(now).year < programme.year:
        details.append(
            _l("项目年度尚未开始：在 %(year)s 年 1 月 1 日前，公开页面仍显示上一年度项目。", year=programme.year)
        )
    return Plan(
        action="programme.publish",
        object_id=programme.id,
        title=_l("发布 %(year)s 年度统保项目", year=programme.year),
        counts={},
        warning=_l("发布后不能撤回为草稿；参数仍可修改（记入审计日志）。"),
        details=details,
    )


@transactional
def publish(actor: Actor, programme: Programme, *, now: datetime) -> Programme:
    """Publish a draft programme (bureau staff; audited)."""
    ensure_role(actor, *PUBLISHERS)
    _refuse_if_published(programme)
    programme.published_at = now
    audit.record(actor, "programme.publish", obj=programme, summary=str(programme.year))
    return programme
