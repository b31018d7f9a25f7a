"""Claim, issue and revoke policies (the queue's queries are in queries.py).

One policy per enterprise and programme is the database's unique constraint: a concurrent second
claim fails inside a savepoint and gets the first one back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..database import is_postgres
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..programmes.models import Programme
from ..roster.models import EntryStatus, Roster, RosterEntry, RosterStatus
from ..security import ensure_enterprise_permission, ensure_role
from . import messages, rules
from .models import Policy, PolicyStatus

STATUS_LABELS: dict[str, LazyString] = {
    PolicyStatus.CLAIMED: _l("已领取，待签发"),
    PolicyStatus.ISSUED: _l("已签发"),
    PolicyStatus.REVOKED: _l("已撤销"),
    PolicyStatus.LAPSED: _l("已失效"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class Standing:
    """An enterprise on a programme's rosters, as the claim rule and the API see it."""

    listed: bool  # listed on a CONFIRMED roster of the programme, eligible or not
    roster_status: str | None  # draft | notice | confirmed | removed | None (never listed)
    eligible: bool
    entry: RosterEntry | None = None

    @property
    def on_roster(self) -> bool:
        """On the roster as the notice means it: a row above the threshold is kept off the roster."""
        return self.listed and self.eligible

    @property
    def can_claim(self) -> bool:
        return self.on_roster


@dataclass
class ClaimResult:
    policy: Policy
    created: bool


# --- reading -------------------------------------------------------------------------------------

_STANDING_RANK: dict[str, int] = {RosterStatus.CONFIRMED: 3, RosterStatus.NOTICE: 2, RosterStatus.DRAFT: 1}


def standing(enterprise_id: int, programme: Programme) -> Standing:
    """The best of the enterprise's entries on the programme's rosters (main and supplementary)."""
    rows = db.session.execute(
        select(RosterEntry, Roster.status)
        .join(Roster, Roster.id == RosterEntry.roster_id)
        .where(RosterEntry.programme_id == programme.id, RosterEntry.enterprise_id == enterprise_id)
    ).all()
    best: tuple[tuple[int, int, int], RosterEntry, str] | None = None
    for entry, roster_status in rows:
        listed = entry.status == EntryStatus.LISTED
        rank = (int(listed), _STANDING_RANK.get(roster_status, 0), int(bool(entry.eligible)))
        if best is None or rank > best[0]:
            best = (rank, entry, roster_status)
    if best is None:
        return Standing(listed=False, roster_status=None, eligible=False)
    _, entry, roster_status = best
    if entry.status != EntryStatus.LISTED:
        return Standing(listed=False, roster_status="removed", eligible=bool(entry.eligible), entry=entry)
    return Standing(
        listed=roster_status == RosterStatus.CONFIRMED,
        roster_status=str(roster_status),
        eligible=bool(entry.eligible),
        entry=entry,
    )


def find_policy(programme_id: int, enterprise_id: int) -> Policy | None:
    return db.session.scalar(
        select(Policy).where(Policy.programme_id == programme_id, Policy.enterprise_id == enterprise_id)
    )


def policies_of(enterprise_id: int) -> list[Policy]:
    return list(
        db.session.scalars(
            select(Policy)
            .options(joinedload(Policy.programme))
            .where(Policy.enterprise_id == enterprise_id)
            .order_by(Policy.claimed_at.desc())
        )
    )


def get_policy(policy_id: int) -> Policy:
    policy = db.session.get(Policy, policy_id) if 0 < policy_id < 2**31 else None
    if policy is None:
        raise NotFound(_l("保单 %(id)s 不存在", id=policy_id), code="policy_not_found")
    return policy


def policy_for(actor: Actor, policy_id: int) -> Policy:
    """A policy the actor may read: staff and API clients any, an enterprise only its own (404 else)."""
    policy = get_policy(policy_id)
    if actor.role == "enterprise" and policy.enterprise_id != getattr(actor, "enterprise_id", None):
        raise NotFound(_l("保单 %(id)s 不存在", id=policy_id), code="policy_not_found")
    return policy


# --- claiming ------------------------------------------------------------------------------------


def _refuse_unless_claimable(enterprise: Enterprise, programme: Programme, now: datetime) -> rules.ClaimTerms:
    who = {"name": enterprise.name, "uscc": enterprise.uscc, "year": programme.year}
    if not programme.is_published:
        raise Refused(_l("%(year)s 年度统保项目尚未发布，暂不受理领取", year=programme.year), code="programme_draft")
    found = standing(enterprise.id, programme)
    if not found.listed:
        raise Refused(
            _l("%(name)s（%(uscc)s，%(year)s 年度）：不在已确认的统保名单上，不能领取保单", **who),
            code="not_on_roster",
        )
    if not found.eligible:
        raise Refused(
            _l(
                "%(name)s（%(uscc)s，%(year)s 年度）：出口额超过 %(threshold)s 美元，不符合统保条件",
                threshold=f"{programme.threshold_usd:,.2f}",
                **who,
            ),
            code="ineligible",
        )
    terms = rules.claim_terms(programme, now)
    if not terms.open:
        raise Refused(
            _l(
                "%(name)s（%(uscc)s，%(year)s 年度）：保险期限已于 %(end)s 结束，不再受理领取",
                end=programme.cover_end.isoformat(),
                **who,
            ),
            code="claim_closed",
        )
    return terms


@transactional
def claim(
    actor: Actor, enterprise: Enterprise, programme: Programme, *, now: datetime, via: str = "web"
) -> ClaimResult:
    """Claim the enterprise's policy; the existing one comes back however often it is asked."""
    ensure_role(actor, "enterprise", "api")
    ensure_enterprise_permission(actor, "claim")
    if actor.role == "enterprise" and getattr(actor, "enterprise_id", None) != enterprise.id:
        raise NotFound(_l("企业不存在"), code="enterprise_not_found")
    existing = find_policy(programme.id, enterprise.id)
    if existing is not None:
        return ClaimResult(existing, created=False)
    terms = _refuse_unless_claimable(enterprise, programme, now)
    policy = Policy(
        programme_id=programme.id,
        enterprise_id=enterprise.id,
        status=PolicyStatus.CLAIMED,
        claimed_at=now,
        claimed_via=via,
        claimed_on_time=terms.on_time,
        cover_start=terms.cover_start,
        cover_end=terms.cover_end,
        version=1,
    )
    try:
        with db.session.begin_nested():
            db.session.add(policy)
            db.session.flush()
    except IntegrityError:
        # a concurrent claim (another click, browser or the API) committed first: return that one
        existing = find_policy(programme.id, enterprise.id)
        if existing is None:
            raise
        return ClaimResult(existing, created=False)
    audit.record(
        actor,
        "policy.claim",
        obj=policy,
        summary=f"{enterprise.uscc} {programme.year} ({'on time' if terms.on_time else 'late'}, {via})",
        changes={"claimed_on_time": terms.on_time, "via": via},
    )
    messages.claim_received(policy, now)
    return ClaimResult(policy, created=True)


# --- issuing and revoking ------------------------------------------------------------------------


def _locked(policy_id: int) -> Policy:
    stmt = select(Policy).where(Policy.id == policy_id)
    if is_postgres():
        stmt = stmt.with_for_update(key_share=True)
    policy = db.session.scalar(stmt.execution_options(populate_existing=True)) if 0 < policy_id < 2**31 else None
    if policy is None:
        raise NotFound(_l("保单 %(id)s 不存在", id=policy_id), code="policy_not_found")
    return policy


def _lock_numbering(programme_ids: set[int]) -> None:
    """Policy numbers are handed out one programme at a time: lock its row (PostgreSQL; SQLite
    transactions that write are serialised already)."""
    if programme_ids and is_postgres():
        db.session.execute(
            select(Programme.id)
            .where(Programme.id.in_(sorted(programme_ids)))
            .order_by(Programme.id)
            .with_for_update(key_share=True)
        )


def _last_sequence(programme: Programme) -> int:
    prefix = rules.policy_prefix(programme)
    # a range on the unique index (not LIKE, which an index serves only under the C collation)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    highest = db.session.scalar(
        select(func.max(Policy.policy_no)).where(Policy.policy_no >= prefix, Policy.policy_no < upper)
    )
    return rules.sequence_of(highest, programme)


def _refuse_unless_issuable(policy: Policy, now: datetime) -> None:
    programme = policy.programme
    who = {"name": policy.enterprise.name, "uscc": policy.enterprise.uscc}
    if policy.status != PolicyStatus.CLAIMED:
        raise Refused(
            _l(
                "%(name)s（%(uscc)s）的保单已是「%(status)s」状态，不能再次签发",
                status=STATUS_LABELS.get(policy.status, policy.status),
                state=str(policy.status),
                **who,
            ),
            code=f"already_{policy.status}",
        )
    if not rules.can_issue_on(programme, now):
        raise Refused(
            _l("%(name)s（%(uscc)s）：保险期限已于 %(end)s 结束，不能签发", end=programme.cover_end.isoformat(), **who),
            code="cover_ended",
        )


def _apply_issue(actor: Actor, policy: Policy, sequence: int, now: datetime, batch: str | None = None) -> None:
    programme = policy.programme
    start, end = rules.cover_on_issue(programme, claimed_on_time=policy.claimed_on_time, issued_at=now)
    number = rules.policy_number(programme, sequence)
    policy.status = PolicyStatus.ISSUED
    policy.policy_no = number
    policy.verify_code = rules.new_verify_code()
    policy.issued_at = now
    policy.issue_date = shanghai_date(now)
    policy.issued_by = actor.id if actor.role != "system" else None
    policy.cover_start = start
    policy.cover_end = end
    audit.record(
        actor,
        "policy.issue",
        obj=policy,
        summary=f"{number} {policy.enterprise.uscc}",
        changes={
            "status": ["claimed", "issued"],
            "cover_start": start,
            "cover_end": end,
            "policy_no": number,
            **({"batch": batch} if batch else {}),
        },
    )


@transactional
def issue(actor: Actor, policy_id: int, *, now: datetime, batch: str | None = None) -> Policy:
    """Issue a claimed policy as of `now`: number, verification code, issue date and cover
    (`batch`: the bulk issuance it belongs to, kept in its audit record)."""
    ensure_role(actor, "insurer")
    policy = _locked(policy_id)
    _refuse_unless_issuable(policy, now)
    _lock_numbering({policy.programme_id})
    _apply_issue(actor, policy, _last_sequence(policy.programme) + 1, now, batch)
    db.session.flush()
    messages.policy_issued(policy, now)
    return policy


@transactional
def revoke(actor: Actor, policy_id: int, reason: str, *, now: datetime) -> Policy:
    """Revoke with a written reason (e.g. an upheld late objection); the certificate then verifies as revoked."""
    ensure_role(actor, "insurer")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("请填写撤销原因"), field="reason", code="reason_required")
    policy = _locked(policy_id)
    if policy.status == PolicyStatus.REVOKED:
        raise Refused(_l("保单 %(no)s 已撤销", no=policy.policy_no or policy.id), code="already_revoked")
    if policy.status == PolicyStatus.LAPSED:
        raise Refused(_l("领取申请 %(no)s 已失效，无可撤销", no=policy.id), code="already_lapsed")
    before = policy.status
    policy.status = PolicyStatus.REVOKED
    policy.version = (policy.version or 1) + 1
    policy.revoked_at = now
    policy.revoked_by = actor.id if actor.role != "system" else None
    policy.revoked_reason = reason
    audit.record(
        actor,
        "policy.revoke",
        obj=policy,
        summary=f"{policy.policy_no or policy.id} {policy.enterprise.uscc}: {reason}",
        changes={"status": [before, "revoked"], "version": policy.version, "reason": reason},
    )
    return policy
