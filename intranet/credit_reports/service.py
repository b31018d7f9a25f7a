"""Overseas buyer credit reports (资信报告): a free quota per enterprise per programme, the
insurer's answer (the report PDF, or a decline), and the enterprise's download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..countries import get_country, normalize_code
from ..db_tx import transactional
from ..enterprises import messages as enterprise_messages
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..losses import attachments as files
from ..losses import parties, rules
from ..losses.models import LossParty
from ..outbox import service as outbox
from ..policies.models import Policy
from ..policies.visibility import reportable_policies, scope_of, visible_policy
from ..programmes.models import Programme
from ..security import ensure_enterprise_permission, ensure_role
from ..storage import service as storage
from ..storage.models import StoredFile
from .models import CreditReportRequest

STATUSES = ("requested", "delivered", "declined")
STATUS_LABELS: dict[str, LazyString] = {
    "requested": _l("已申请，待出具"),
    "delivered": _l("已出具"),
    "declined": _l("未能出具"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class Quota:
    programme: Programme
    allowed: int
    used: int

    @property
    def remaining(self) -> int:
        return max(0, self.allowed - self.used)


@dataclass(frozen=True)
class Requested:
    row: CreditReportRequest
    remaining: int
    created: bool  # False: the buyer was already asked about; that request is returned, no quota used


def _standing(enterprise_id: int, programme_id: int) -> list[CreditReportRequest]:
    """The enterprise's requests of the programme that were not declined (a decline gives its report back)."""
    stmt = select(CreditReportRequest).where(
        CreditReportRequest.enterprise_id == enterprise_id,
        CreditReportRequest.programme_id == programme_id,
        CreditReportRequest.status != "declined",
    )
    return list(db.session.scalars(stmt.order_by(CreditReportRequest.id)))


def buyer_of(row: CreditReportRequest) -> tuple[str, int]:
    """Who a request is about: the buyer as losses know it, after merges (DOMAIN.md "Losses and
    claims" 2); a request without a buyer record (one made before any policy) is a buyer of its own."""
    party = db.session.get(LossParty, row.buyer_party_id) if row.buyer_party_id else None
    return ("buyer", parties.root(party).id) if party is not None else ("request", row.id)


def quota(enterprise_id: int, programme: Programme) -> Quota:
    """Free reports used in this programme: the distinct buyers of its free requests not declined."""
    used = {buyer_of(row) for row in _standing(enterprise_id, programme.id) if row.free}
    return Quota(programme=programme, allowed=programme.free_credit_reports, used=len(used))


def ensure_in_force(policy: Policy, *, now: datetime) -> None:
    """Credit reports are a service of a policy in force: issued, not revoked, today within its cover."""
    if policy.status == "revoked" or policy.revoked_at is not None:
        raise Refused(_l("保单已撤销，不能申请资信报告"), code="policy_not_in_force")
    if policy.status != "issued" or policy.cover_start is None or policy.cover_end is None:
        raise Refused(_l("保单尚未签发，不能申请资信报告"), code="policy_not_in_force")
    today = shanghai_date(now)
    if today < policy.cover_start:
        raise Refused(
            _l("保单保险期限自 %(start)s 开始，届时方可申请资信报告", start=policy.cover_start.isoformat()),
            code="policy_not_in_force",
        )
    if today > policy.cover_end:
        raise Refused(
            _l("保单保险期限已于 %(end)s 结束，不能再申请资信报告", end=policy.cover_end.isoformat()),
            code="policy_not_in_force",
        )


def _clean(buyer_name: str, buyer_country: str) -> tuple[str, str]:
    name = " ".join(rules.clean_text(buyer_name).split())
    if not name or len(name) > 200 or not rules.normalize_buyer_name(name):
        raise Invalid(
            _l("请填写买方名称（200字以内）"),
            code="invalid_buyer_name",
            field="buyer_name",
        )
    country = normalize_code(buyer_country)
    if get_country(country) is None:
        raise Invalid(
            _l("买方所在国 %(country)s 不是有效的 ISO 国家代码", country=str(buyer_country)),
            code="invalid_country",
            field="buyer_country",
        )
    return name, country


def _already_asked(policy: Policy, who: parties.PartyInput) -> CreditReportRequest | None:
    """The request (delivered first, else the latest) already made about this buyer, if any."""
    party = parties.find(policy.id, who)
    if party is None:
        return None
    same = [row for row in _standing(policy.enterprise_id, policy.programme_id) if buyer_of(row) == ("buyer", party.id)]
    same.sort(key=lambda row: (row.status == "delivered", row.id))
    return same[-1] if same else None


@transactional
def request_report(actor: Actor, policy_id: int, buyer_name: str, buyer_country: str, *, now: datetime) -> Requested:
    """A free report request about one buyer, while the policy is in force (409 policy_not_in_force).
    Asking again about a buyer already asked about (spelt otherwise, or merged by staff) returns
    that request and uses no quota; a new buyer past the free quota is refused (409 quota_exhausted)."""
    ensure_role(actor, "enterprise", "api")
    ensure_enterprise_permission(actor, "request_credit_reports")
    policy = visible_policy(actor, policy_id)
    ensure_in_force(policy, now=now)
    name, country = _clean(buyer_name, buyer_country)
    # the policy's lock (as losses take it): one buyer record per buyer, and two requests at once
    # cannot both take the last free report
    db.session.execute(select(Policy.id).where(Policy.id == policy.id).with_for_update())
    who = parties.PartyInput(rules.BUYER, name, country)
    current = quota(policy.enterprise_id, policy.programme)
    earlier = _already_asked(policy, who)
    if earlier is not None:
        return Requested(row=earlier, remaining=current.remaining, created=False)
    if current.remaining <= 0:
        raise Refused(
            _l(
                "%(year)s 年度 %(n)s 份免费资信报告已用完，剩余 0 份",
                year=policy.programme.year,
                n=current.allowed,
            ),
            code="quota_exhausted",
        )
    buyer = parties.ensure(policy.id, who, now)
    row = CreditReportRequest(
        programme_id=policy.programme_id,
        enterprise_id=policy.enterprise_id,
        policy_id=policy.id,
        buyer_name=name,
        buyer_party_id=buyer.id,
        buyer_country=country,
        free=True,
        status="requested",
        requested_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "credit_report.request", obj=row, summary=f"{name} ({country})")
    return Requested(row=row, remaining=current.remaining - 1, created=True)


def buyers_to_merge(row: CreditReportRequest) -> list[LossParty]:
    """The other buyers on record under the request's policy (from credit reports or losses) that
    staff may find to be the request's buyer."""
    if row.policy_id is None or row.buyer_party_id is None:
        return []
    mine = buyer_of(row)[1]
    stmt = select(LossParty).where(
        LossParty.policy_id == row.policy_id,
        LossParty.kind == rules.BUYER,
        LossParty.merged_into_id.is_(None),
        LossParty.id != mine,
    )
    return list(db.session.scalars(stmt.order_by(LossParty.name, LossParty.id)))


@transactional
def merge_buyer(actor: Actor, request_id: int, other_id: int, *, now: datetime) -> LossParty:
    """Staff: the request's buyer is the other buyer on record (audited). Its requests and losses
    then count as that buyer's: one buyer of the free quota, one limit."""
    ensure_role(actor, "insurer")
    row = db.session.get(CreditReportRequest, request_id)
    if row is None:
        raise NotFound(_l("资信报告申请 %(id)s 不存在", id=request_id))
    if row.policy_id is not None:
        db.session.execute(select(Policy.id).where(Policy.id == row.policy_id).with_for_update())
    keep = db.session.get(LossParty, other_id)
    mine = db.session.get(LossParty, row.buyer_party_id) if row.buyer_party_id else None
    if (
        keep is None
        or mine is None
        or keep.policy_id != row.policy_id
        or keep.kind != rules.BUYER
        or keep.merged_into_id is not None
    ):
        raise Invalid(_l("要合并的记录不属于本保单"), code="invalid_party", field="party")
    gone = parties.root(mine)
    if gone.id == keep.id:
        raise Invalid(_l("两条记录已是同一方"), code="already_merged", field="party")
    summary = f"{gone.name} ({gone.country}) → {keep.name} ({keep.country})"
    changes = {"merged": [gone.id, gone.name], "into": [keep.id, keep.name]}
    parties.merge(gone, keep)
    audit.record(actor, "credit_report.merge_buyer", obj=row, summary=summary, changes=changes)
    return keep


def _locked(request_id: int) -> CreditReportRequest:
    stmt = select(CreditReportRequest).where(CreditReportRequest.id == request_id).with_for_update()
    row = db.session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(_l("资信报告申请 %(id)s 不存在", id=request_id))
    if row.status != "requested":
        raise Refused(
            _l(
                "资信报告申请 %(id)s 已处理（%(status)s）",
                id=request_id,
                status=STATUS_LABELS.get(row.status, row.status),
                state=row.status,
            ),
            code="already_answered",
        )
    return row


@transactional
def deliver(actor: Actor, request_id: int, upload: files.Upload, *, now: datetime) -> CreditReportRequest:
    """The insurer's answer: the report PDF (stored in the database with the answer), and a message."""
    ensure_role(actor, "insurer")
    row = _locked(request_id)
    row.report_file_id = files.store(upload, "credit_report").id
    row.report_filename = upload.filename
    row.status = "delivered"
    row.answered_at = now
    row.answered_by = actor.id
    audit.record(
        actor,
        "credit_report.deliver",
        obj=row,
        summary=upload.filename,
        changes={"status": ["requested", "delivered"], "sha256": upload.sha256},
    )
    _notify(row, now)
    return row


@transactional
def decline(actor: Actor, request_id: int, reason: str, *, now: datetime) -> CreditReportRequest:
    ensure_role(actor, "insurer")
    text = rules.clean_text(reason, multiline=True).strip()
    if not text or len(text) > 4000:
        raise Invalid(_l("请填写理由（4000字以内）"), code="reason_required", field="text")
    row = _locked(request_id)
    row.status = "declined"
    row.decline_reason = text
    row.answered_at = now
    row.answered_by = actor.id
    audit.record(
        actor, "credit_report.decline", obj=row, summary=text[:200], changes={"status": ["requested", "declined"]}
    )
    _notify(row, now)
    return row


def _notify(row: CreditReportRequest, now: datetime) -> int:
    enterprise = row.enterprise
    programme = db.session.get(Programme, row.programme_id)
    context: dict[str, Any] = {
        "enterprise_name": enterprise.name,
        "request_id": row.id,
        "buyer_name": row.buyer_name,
        "buyer_country": row.buyer_country,
        "status": row.status,
        "reason": row.decline_reason or "",
        "url": f"{current_app.config['TONGBAO_BASE_URL']}/portal/credit-reports",
        "hotline": programme.hotline_claims if programme else "",
    }
    language = enterprise_messages.language_for(enterprise)
    queued = 0
    for channel, recipient in enterprise_messages.channels_for(enterprise).items():
        with enterprise_messages.rendering():
            message = outbox.queue(
                channel=channel,
                recipient=recipient,
                job="credit_report",
                template="credit_report",
                context=context,
                dedupe_key=f"credit_report:{row.id}:{row.status}:{channel}",
                now=now,
                enterprise_id=enterprise.id,
                language=language,
            )
        queued += message is not None
    return queued


def get_visible(actor: Actor, request_id: int) -> CreditReportRequest:
    row = db.session.get(CreditReportRequest, request_id)
    scope = scope_of(actor)
    if row is None or (scope is not None and row.enterprise_id != scope):
        raise NotFound(_l("资信报告申请 %(id)s 不存在", id=request_id))
    return row


def report_file(actor: Actor, request_id: int) -> tuple[CreditReportRequest, StoredFile]:
    """A delivered request the actor may see, and its stored PDF."""
    row = get_visible(actor, request_id)
    if row.status != "delivered" or row.report_file_id is None:
        raise NotFound(_l("报告尚未出具"))
    return row, storage.get(row.report_file_id)


def for_enterprise(enterprise_id: int) -> list[CreditReportRequest]:
    return list(
        db.session.scalars(
            select(CreditReportRequest)
            .where(CreditReportRequest.enterprise_id == enterprise_id)
            .order_by(CreditReportRequest.id.desc())
        )
    )


def policies_with_quota(enterprise_id: int) -> list[tuple[Policy, Quota]]:
    return [(p, quota(enterprise_id, p.programme)) for p in reportable_policies(enterprise_id)]


def queue_query(status: str | None) -> Select[Any]:
    stmt = select(CreditReportRequest)
    if status in STATUSES:
        return stmt.where(CreditReportRequest.status == status).order_by(CreditReportRequest.requested_at)
    return stmt.order_by(CreditReportRequest.id.desc())


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(CreditReportRequest.status, func.count(CreditReportRequest.id)).group_by(CreditReportRequest.status)
    )
    return {str(s): int(n) for s, n in rows}
