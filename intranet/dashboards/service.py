"""Dashboard figures, each computed by the database with GROUP BY (rows are never loaded into Python).

Only the aggregated result sets (a row per district, week, cause, country or bucket) come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, and_, case, cast, false, func, literal, select

from ..clock import SHANGHAI
from ..credit_reports.models import CreditReportRequest
from ..districts.models import District
from ..extensions import db
from ..losses.models import LossReport
from ..policies import rules
from ..policies.models import Policy, PolicyStatus
from ..programmes.models import Programme
from ..roster.models import EntryStatus, Objection, Roster, RosterEntry, RosterStatus

ZERO = Decimal("0.00")


def _int(value: Any) -> int:
    return int(value or 0)


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0).quantize(Decimal("0.01"))


# --- bureau ------------------------------------------------------------------------------------


@dataclass
class DistrictShare:
    district_zh: str  # the district's name is data kept in both languages (i18n.localized)
    district_en: str
    listed: int
    claimed: int

    @property
    def share(self) -> Decimal:
        return (Decimal(self.claimed) / Decimal(self.listed)) if self.listed else Decimal(0)


@dataclass
class BureauStats:
    roster_size: int = 0  # listed entries (eligible, not removed) on every roster of the programme
    eligible: int = 0
    ineligible: int = 0
    removed: int = 0
    by_roster: list[dict[str, Any]] = field(default_factory=list)
    confirmed_listed: int = 0
    claimed: int = 0
    by_district: list[DistrictShare] = field(default_factory=list)
    weekly_claims: list[tuple[date, int]] = field(default_factory=list)
    objections: dict[str, int] = field(default_factory=dict)

    @property
    def claimed_share(self) -> Decimal:
        return Decimal(self.claimed) / Decimal(self.confirmed_listed) if self.confirmed_listed else Decimal(0)


def _roster_counts(programme: Programme, stats: BureauStats) -> dict[Any, int]:
    """Entries per roster by eligibility and status, and eligible entries of confirmed rosters per
    district — both from ONE GROUP BY over the programme's entries (an index-only scan); returns
    the per-district counts."""
    rosters = {
        r.id: r
        for r in db.session.scalars(select(Roster).where(Roster.programme_id == programme.id).order_by(Roster.seq))
    }
    counts: dict[int, dict[str, int]] = {rid: {"eligible": 0, "ineligible": 0, "removed": 0} for rid in rosters}
    listed: dict[Any, int] = {}
    for roster_id, status, eligible, district_id, n in db.session.execute(
        select(RosterEntry.roster_id, RosterEntry.status, RosterEntry.eligible, RosterEntry.district_id, func.count())
        .where(RosterEntry.programme_id == programme.id)
        .group_by(RosterEntry.roster_id, RosterEntry.status, RosterEntry.eligible, RosterEntry.district_id)
    ).all():
        key = "removed" if status != EntryStatus.LISTED else ("eligible" if eligible else "ineligible")
        counts.setdefault(roster_id, {"eligible": 0, "ineligible": 0, "removed": 0})[key] += _int(n)
        roster = rosters.get(roster_id)
        if key == "eligible" and roster is not None and roster.status == RosterStatus.CONFIRMED:
            listed[district_id] = listed.get(district_id, 0) + _int(n)
    for roster_id, roster in rosters.items():
        row = counts[roster_id]
        stats.by_roster.append({"seq": roster.seq, "status": roster.status, **row})
        stats.eligible += row["eligible"]
        stats.ineligible += row["ineligible"]
        stats.removed += row["removed"]
    stats.roster_size = stats.eligible
    return listed


def _district_shares(programme: Programme, stats: BureauStats, listed: dict[Any, int]) -> None:
    """Per district: eligible entries on confirmed rosters (`listed`), and how many of them claimed —
    policies joined to their entry, grouped by district (driven by the smaller policies table)."""
    confirmed = select(Roster.id).where(Roster.programme_id == programme.id, Roster.status == RosterStatus.CONFIRMED)
    on_roster = and_(
        RosterEntry.programme_id == programme.id,
        RosterEntry.status == EntryStatus.LISTED,
        RosterEntry.eligible.is_(True),
        RosterEntry.roster_id.in_(confirmed.scalar_subquery()),
    )
    claimed = dict(
        db.session.execute(
            select(RosterEntry.district_id, func.count())
            .select_from(Policy)
            .join(
                RosterEntry,
                and_(
                    RosterEntry.programme_id == Policy.programme_id,
                    RosterEntry.enterprise_id == Policy.enterprise_id,
                ),
            )
            .where(Policy.programme_id == programme.id, on_roster)
            .group_by(RosterEntry.district_id)
        ).all()
    )
    names = {d.id: d for d in db.session.scalars(select(District).order_by(District.sort, District.id))}
    order = [did for did in names if did in listed] + [did for did in listed if did not in names]
    for did in order:
        district = names.get(did) if did is not None else None
        share = DistrictShare(
            district.name_zh if district else "—",
            district.name_en if district else "—",
            _int(listed.get(did)),
            _int(claimed.get(did)),
        )
        stats.by_district.append(share)
        stats.confirmed_listed += share.listed
        stats.claimed += share.claimed


def _week_start(column: Any) -> Any:
    """The Monday (Shanghai calendar) of the week an instant falls in, computed by the database."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.date_trunc("week", func.timezone(str(SHANGHAI), column)), Date)
    offset = datetime(2000, 1, 1, tzinfo=SHANGHAI).utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return func.date(column, f"{hours:+d} hours", "-6 days", "weekday 1")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def weekly_claims(programme: Programme) -> list[tuple[date, int]]:
    """Policies claimed per week (Monday-based, Shanghai), with empty weeks filled in."""
    week = _week_start(Policy.claimed_at).label("week")
    rows = db.session.execute(
        select(week, func.count(Policy.id)).where(Policy.programme_id == programme.id).group_by(week).order_by(week)
    ).all()
    counts = {_as_date(w): _int(n) for w, n in rows}
    if not counts:
        return []
    series, day, last = [], min(counts), max(counts)
    while day <= last:
        series.append((day, counts.get(day, 0)))
        day += timedelta(days=7)
    return series


def bureau_stats(programme: Programme) -> BureauStats:
    stats = BureauStats()
    listed = _roster_counts(programme, stats)
    _district_shares(programme, stats, listed)
    stats.weekly_claims = weekly_claims(programme)
    stats.objections = {
        str(status): _int(n)
        for status, n in db.session.execute(
            select(Objection.status, func.count(Objection.id))
            .join(RosterEntry, RosterEntry.id == Objection.roster_entry_id)
            .where(RosterEntry.programme_id == programme.id)
            .group_by(Objection.status)
        ).all()
    }
    return stats


# --- insurer -----------------------------------------------------------------------------------


@dataclass
class InsurerStats:
    queue: list[tuple[str, int]] = field(default_factory=list)  # (bucket key, claims waiting)
    oldest_claim_at: datetime | None = None
    policies: dict[str, int] = field(default_factory=dict)
    causes: list[tuple[str, int, Decimal, Decimal]] = field(default_factory=list)  # cause, n, invoiced, paid
    countries: list[tuple[str, int, Decimal]] = field(default_factory=list)
    loss_status: dict[str, int] = field(default_factory=dict)
    utilisation: list[tuple[str, int, Decimal]] = field(default_factory=list)  # bucket, buyers, paid
    paid_total: Decimal = ZERO
    buyers_paid: int = 0
    credit_used: int = 0
    credit_quota: int = 0
    credit_by_use: list[tuple[int, int]] = field(default_factory=list)  # reports used → enterprises
    credit_status: dict[str, int] = field(default_factory=dict)


QUEUE_BUCKETS = ("day", "within_lag", "overdue", "long_overdue")
UTILISATION_BUCKETS = ("lt25", "lt50", "lt75", "lt100", "full")


def issuance_queue(programme: Programme, now: datetime) -> tuple[list[tuple[str, int]], datetime | None]:
    """Claims waiting for issuance by age: ≤ 1 day, within the issuance lag, over it, over twice it."""
    lag = programme.issuance_lag_days
    one_day, lag_ago, twice_ago = now - timedelta(days=1), now - timedelta(days=lag), now - timedelta(days=2 * lag)
    bucket = case(
        (Policy.claimed_at >= one_day, 0),
        (Policy.claimed_at >= lag_ago, 1),
        (Policy.claimed_at >= twice_ago, 2),
        else_=3,
    ).label("bucket")
    waiting = and_(Policy.programme_id == programme.id, Policy.status == PolicyStatus.CLAIMED)
    if rules.cover_ended(programme, now):
        waiting = and_(waiting, false())  # it lapses (policies/lapsing.py): nothing waits any more
    rows = db.session.execute(select(bucket, func.count(Policy.id)).where(waiting).group_by(bucket)).all()
    counts: dict[int, int] = {int(b): int(n) for b, n in rows}
    oldest = db.session.scalar(select(func.min(Policy.claimed_at)).where(waiting))
    return [(key, _int(counts.get(i))) for i, key in enumerate(QUEUE_BUCKETS)], oldest


def _losses(programme: Programme, stats: InsurerStats) -> None:
    """Loss reports by cause, by buyer country and by status: one GROUP BY (cause, country, status)
    whose few aggregate rows are then summed per dimension."""
    rows = db.session.execute(
        select(
            LossReport.cause,
            LossReport.buyer_country,
            LossReport.status,
            func.count(LossReport.id),
            func.sum(LossReport.invoice_total_usd),
            func.sum(LossReport.paid_usd),
        )
        .join(Policy, and_(Policy.id == LossReport.policy_id, Policy.programme_id == programme.id))
        .group_by(LossReport.cause, LossReport.buyer_country, LossReport.status)
    ).all()
    causes: dict[str, list[Any]] = {}
    countries: dict[str, list[Any]] = {}
    for cause, country, status, n, invoiced, paid in rows:
        c = causes.setdefault(cause, [0, ZERO, ZERO])
        c[0], c[1], c[2] = c[0] + _int(n), c[1] + _money(invoiced), c[2] + _money(paid)
        k = countries.setdefault(country, [0, ZERO])
        k[0], k[1] = k[0] + _int(n), k[1] + _money(invoiced)
        stats.loss_status[str(status)] = stats.loss_status.get(str(status), 0) + _int(n)
    stats.causes = sorted(((c, v[0], v[1], v[2]) for c, v in causes.items()), key=lambda r: (-r[1], r[0]))
    stats.countries = sorted(((c, v[0], v[1]) for c, v in countries.items()), key=lambda r: (-r[1], r[0]))


def _utilisation(programme: Programme, stats: InsurerStats) -> None:
    """Indemnity paid per limit party (same policy, same buyer — or issuing bank for an LC loss) against the limit."""
    per_buyer = (
        select(func.sum(LossReport.paid_usd).label("paid"))
        .join(Policy, and_(Policy.id == LossReport.policy_id, Policy.programme_id == programme.id))
        .where(LossReport.paid_usd.is_not(None), LossReport.paid_usd > literal(ZERO, LossReport.paid_usd.type))
        .group_by(LossReport.policy_id, LossReport.limit_party_id)
        .subquery()
    )
    limit = programme.per_buyer_limit_usd
    paid = per_buyer.c.paid

    def at_least(fraction: str) -> Any:
        return paid >= literal(limit * Decimal(fraction), LossReport.paid_usd.type)

    bucket = case(
        (at_least("1"), 4), (at_least("0.75"), 3), (at_least("0.5"), 2), (at_least("0.25"), 1), else_=0
    ).label("bucket")
    rows = dict(
        (b, (n, total))
        for b, n, total in db.session.execute(
            select(bucket, func.count(), func.sum(paid)).select_from(per_buyer).group_by(bucket)
        ).all()
    )
    for i, key in enumerate(UTILISATION_BUCKETS):
        n, total = rows.get(i, (0, ZERO))
        stats.utilisation.append((key, _int(n), _money(total)))
        stats.buyers_paid += _int(n)
        stats.paid_total += _money(total)


def _credit_reports(programme: Programme, stats: InsurerStats) -> None:
    counted = and_(
        CreditReportRequest.programme_id == programme.id,
        CreditReportRequest.free.is_(True),
        CreditReportRequest.status != "declined",
    )
    per_enterprise = (
        select(func.count(CreditReportRequest.id).label("used"))
        .where(counted)
        .group_by(CreditReportRequest.enterprise_id)
        .subquery()
    )
    stats.credit_by_use = [
        (_int(used), _int(n))
        for used, n in db.session.execute(
            select(per_enterprise.c.used, func.count()).group_by(per_enterprise.c.used).order_by(per_enterprise.c.used)
        ).all()
    ]
    stats.credit_used = sum(used * n for used, n in stats.credit_by_use)
    gone = (PolicyStatus.REVOKED, PolicyStatus.LAPSED)
    holders = sum(n for status, n in stats.policies.items() if status not in gone)
    stats.credit_quota = holders * programme.free_credit_reports
    stats.credit_status = {
        str(s): _int(n)
        for s, n in db.session.execute(
            select(CreditReportRequest.status, func.count(CreditReportRequest.id))
            .where(CreditReportRequest.programme_id == programme.id)
            .group_by(CreditReportRequest.status)
        ).all()
    }


def insurer_stats(programme: Programme, now: datetime) -> InsurerStats:
    stats = InsurerStats()
    stats.queue, stats.oldest_claim_at = issuance_queue(programme, now)
    stats.policies = {
        str(s): _int(n)
        for s, n in db.session.execute(
            select(Policy.status, func.count(Policy.id))
            .where(Policy.programme_id == programme.id)
            .group_by(Policy.status)
        ).all()
    }
    _losses(programme, stats)
    _utilisation(programme, stats)
    _credit_reports(programme, stats)
    return stats
