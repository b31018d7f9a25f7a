"""Demo step: policies claimed and issued through the real services, as of moments relative to
the demo's clock — on-time claims issued, late claims with cover from their issue date, one late
(or, before the deadline, overdue) claim waiting in the issuance queue, and a revoked policy."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from ..actors import SystemActor
from ..clock import SHANGHAI, shanghai_date
from ..enterprises.models import Enterprise
from ..programmes.models import Programme
from . import rules, service

if TYPE_CHECKING:
    from ..demo.context import DemoContext

API = SystemActor(name="api:单一窗口 (demo)", role="api")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _claim(enterprise: Enterprise, programme: Programme, moment: datetime, n: int) -> int:
    via = "api" if n % 3 == 0 else "web"
    return service.claim(API, enterprise, programme, now=moment, via=via).policy.id


def populate(ctx: DemoContext, programme: Programme, members: list[Enterprise], *, revoke_one: bool) -> None:
    """Claims and issues for `programme` among `members`, never later than the demo's clock."""
    insurer = ctx.users.get("insurer@demo.tongbao.cn") or SystemActor(name="demo")
    now = ctx.now
    today = shanghai_date(now)
    deadline = programme.claim_deadline
    lag = programme.issuance_lag_days
    on_time, late, rest = members[:24], members[24:28], members[28:]
    last_on_time_day = min(deadline, today - timedelta(days=1))
    waiting: list[int] = []
    for n, enterprise in enumerate(on_time):
        claimed = _at(last_on_time_day - timedelta(days=(n * 7) % 21), 9 + n % 8, (n * 13) % 60)
        if claimed >= now:
            continue
        policy_id = _claim(enterprise, programme, claimed, n)
        issue_at = claimed + timedelta(days=3)
        if today <= deadline and n < 3:
            waiting.append(policy_id)  # the newest claims still wait before the deadline
        elif issue_at < now:
            service.issue(insurer, policy_id, now=issue_at)
    if today > deadline:
        for n, enterprise in enumerate(late):
            claimed = _at(deadline + timedelta(days=10 + 9 * n), 10)
            issue_at = claimed + timedelta(days=2 + n)
            if issue_at < now and rules.can_issue_on(programme, issue_at):
                service.issue(insurer, _claim(enterprise, programme, claimed, n), now=issue_at)
    if rest:
        # one claim waiting in the queue, longer than the issuance lag so the queue highlights it
        claimed = now - timedelta(days=lag + 2)
        if rules.claim_terms(programme, claimed).open:
            _claim(rest[0], programme, claimed, 1)
        if today > deadline and rules.claim_terms(programme, now).open and len(rest) > 1:
            _claim(rest[1], programme, now - timedelta(hours=20), 2)  # late, waiting one day
    if revoke_one and len(on_time) > 5:
        policy = service.find_policy(programme.id, on_time[5].id)
        if policy is not None and policy.status == "issued":
            service.revoke(
                insurer,
                policy.id,
                "公示期后收到的异议经复核成立，该企业2023年出口额超过统保标准",
                now=max(now - timedelta(days=1), policy.issued_at or now),
            )


def demo_step(ctx: DemoContext) -> None:
    current_year = shanghai_date(ctx.now).year
    p2024 = ctx.programmes[2024]
    # the 2024 edition: the demo enterprise (contact1) holds an issued 2024 policy
    populate(ctx, p2024, ctx.enterprises[:40], revoke_one=True)
    current = ctx.programmes.get(current_year)
    if current is not None and current is not p2024:
        # leave the demo login's enterprise unclaimed so a newcomer can claim it
        populate(ctx, current, ctx.enterprises[1:50], revoke_one=False)
