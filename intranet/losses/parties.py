"""Who a loss is charged to (DOMAIN.md "Losses and claims" 2): buyers and issuing banks per policy.

A buyer is its registration number and country when given, else its normalised name and country
(`rules.party_key`); a bank is its SWIFT BIC institution code when known, else the same. The limit's
party is the issuing bank for a loss under a letter of credit and the buyer otherwise. Staff may
merge two records of one party (audited); the merged one then points at the kept one, its reports
count for the kept one, and later reports under its name find the kept one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from ..policies.models import Policy
from ..security import ensure_role
from . import rules
from .models import LossParty, LossReport


@dataclass(frozen=True)
class PartyInput:
    kind: str
    name: str
    country: str
    ident: str = ""  # registration number or SWIFT BIC as given

    @property
    def code(self) -> str:
        return rules.bank_ident(self.ident) if self.kind == rules.BANK else rules.normalize_ident(self.ident)

    @property
    def key(self) -> str:
        return rules.party_key(self.name, self.country, self.code)


def root(party: LossParty) -> LossParty:
    seen = {party.id}
    while party.merged_into_id is not None:
        nxt = db.session.get(LossParty, party.merged_into_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        party = nxt
    return party


def _candidates(policy_id: int, who: PartyInput) -> list[LossParty]:
    stmt = select(LossParty).where(LossParty.policy_id == policy_id, LossParty.kind == who.kind)
    return list(db.session.scalars(stmt.order_by(LossParty.id)))


def find(policy_id: int, who: PartyInput) -> LossParty | None:
    """The party (after merges) this buyer or bank already is under the policy, or None."""
    rows = _candidates(policy_id, who)
    country = who.country.strip().upper()
    code = who.code
    if code:
        for row in rows:
            if row.country == country and row.ident == code:
                return root(row)
    name_key = rules.party_name_key(who.name, who.country)
    if not code:
        for row in rows:
            if row.key == name_key:
                return root(row)
    # the same name and country: one record without an identifier (or, when none is given, exactly one)
    same = [row for row in rows if row.name_key == name_key and (not code or row.ident is None)]
    roots = {root(row).id: root(row) for row in same}
    return next(iter(roots.values())) if len(roots) == 1 else None


def ensure(policy_id: int, who: PartyInput, now: datetime) -> LossParty:
    """Find the party or record it (the caller holds the policy's lock)."""
    found = find(policy_id, who)
    code = who.code
    if found is not None:
        if code and found.ident is None and found.country == who.country.strip().upper():
            found.ident = code  # a name-only record learns its identifier
        return found
    row = LossParty(
        policy_id=policy_id,
        kind=who.kind,
        key=who.key,
        name_key=rules.party_name_key(who.name, who.country),
        name=who.name,
        country=who.country.strip().upper(),
        ident=code or None,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def paid_for(policy_id: int, party_id: int | None, *, excluding: int | None = None) -> Decimal:
    """What was already paid for this party under this policy (the limit is per policy year)."""
    if party_id is None:
        return rules.ZERO
    stmt = select(LossReport.paid_usd).where(
        LossReport.policy_id == policy_id, LossReport.limit_party_id == party_id, LossReport.status == "paid"
    )
    if excluding is not None:
        stmt = stmt.where(LossReport.id != excluding)
    return rules.money(sum((v for v in db.session.scalars(stmt) if v is not None), rules.ZERO))


def remaining(policy: Policy, party: LossParty) -> Decimal:
    left = rules.money(policy.programme.per_buyer_limit_usd) - paid_for(policy.id, party.id)
    return max(rules.ZERO, rules.money(left))


def others(report: LossReport) -> list[LossParty]:
    """Other records of the report's buyer's or bank's kind under the same policy (merge candidates)."""
    kinds = {rules.BUYER} | ({rules.BANK} if report.bank_party_id else set())
    mine = {report.buyer_party_id, report.bank_party_id}
    stmt = select(LossParty).where(
        LossParty.policy_id == report.policy_id,
        LossParty.kind.in_(kinds),
        LossParty.merged_into_id.is_(None),
        LossParty.id.not_in([m for m in mine if m is not None]),
    )
    return list(db.session.scalars(stmt.order_by(LossParty.kind, LossParty.name)))


def merge(gone: LossParty, keep: LossParty) -> LossParty:
    """Record that `gone` (a record not merged yet) is `keep`: it and whatever was merged into it
    point at `keep`, and its reports count for `keep` (the caller holds the policy's lock and audits)."""
    gone.merged_into_id = keep.id
    db.session.execute(update(LossParty).where(LossParty.merged_into_id == gone.id).values(merged_into_id=keep.id))
    for column in (LossReport.buyer_party_id, LossReport.bank_party_id, LossReport.limit_party_id):
        db.session.execute(update(LossReport).where(column == gone.id).values({column: keep.id}))
    db.session.expire_all()
    return keep


@transactional
def merge_into_report(actor: Actor, report_id: int, other_id: int, *, now: datetime) -> LossParty:
    """Staff: this report's buyer (or bank) is the same as the other record under the policy. The
    report's record is merged into the other one, which is kept: everything paid or open for either
    now counts against one limit, and later reports under either name find the kept one."""
    ensure_role(actor, "insurer")
    report = db.session.get(LossReport, report_id)
    if report is None:
        raise NotFound(_l("报损案件 %(id)s 不存在", id=report_id), code="report_not_found")
    db.session.execute(select(Policy.id).where(Policy.id == report.policy_id).with_for_update())
    other = db.session.get(LossParty, other_id)
    if other is None or other.policy_id != report.policy_id or other.merged_into_id is not None:
        raise Invalid(_l("要合并的记录不属于本保单"), code="invalid_party", field="party")
    gone_id = report.bank_party_id if other.kind == rules.BANK else report.buyer_party_id
    gone = db.session.get(LossParty, gone_id) if gone_id else None
    if gone is None or gone.id == other.id:
        raise Invalid(_l("要合并的记录不属于本保单"), code="invalid_party", field="party")
    keep = other
    gone = root(gone)
    if gone.id == keep.id:
        raise Invalid(_l("两条记录已是同一方"), code="already_merged", field="party")
    merge(gone, keep)
    audit.record(
        actor,
        "loss.merge_party",
        obj=keep,
        summary=f"{gone.name} ({gone.country}) → {keep.name} ({keep.country})",
        changes={"kind": keep.kind, "merged": [gone.id, gone.name], "into": [keep.id, keep.name]},
    )
    return keep
