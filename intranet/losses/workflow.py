"""The insurer's workflow on a loss report: accept or reject, investigate (notes, document requests
the enterprise answers), decide pay or decline. Every step audited; every decision told."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..actors import Actor
from ..audit import service as audit
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..i18n import current_language
from ..policies.models import Policy
from ..security import ensure_role
from . import attachments as files
from . import notify, parties, rules
from .models import LossReport
from .service import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    add_event,
    attach,
    current_assessment,
    get_visible,
    open_requests,
)

MAX_TEXT = 4000


class _Joined:
    """Reasons joined, worded when the message is read (so in the reader's language)."""

    def __init__(self, reasons: list[rules.Reason]) -> None:
        self.reasons = reasons

    def __str__(self) -> str:
        return ("; " if current_language() == "en" else "；").join(str(r) for r in self.reasons)


def _text(value: str | None, what: LazyString, *, required: bool = True) -> str:
    text = rules.clean_text(value, multiline=True).strip()
    if required and not text:
        raise Invalid(_l("请填写%(what)s", what=what), code="reason_required", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(_l("%(what)s不超过 %(n)s 字", what=what, n=MAX_TEXT), field="text")
    return text


def _locked(report_id: int) -> LossReport:
    stmt = select(LossReport).where(LossReport.id == report_id).with_for_update()
    row = db.session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(_l("报损案件 %(id)s 不存在", id=report_id), code="report_not_found")
    return row


def _require(row: LossReport, allowed: tuple[str, ...], doing: LazyString) -> None:
    if row.status not in allowed:
        raise Refused(
            _l(
                "报损案件 %(id)s 当前状态为%(status)s，不能%(doing)s",
                id=row.id,
                status=STATUS_LABELS.get(row.status, row.status),
                state=row.status,
                doing=doing,
            ),
            code="wrong_status",
        )


@transactional
def accept(actor: Actor, report_id: int, *, now: datetime, note: str = "") -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("reported",), _l("受理此案"))
    row.status = "accepted"
    event = add_event(row, actor, "accepted", _text(note, _l("受理说明"), required=False), now)
    audit.record(actor, "loss.accept", obj=row, changes={"status": ["reported", "accepted"]})
    notify.decision(row, event, now)
    return row


@transactional
def reject(actor: Actor, report_id: int, reason: str, *, now: datetime) -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("reported",), _l("不予受理此案"))
    text = _text(reason, _l("不予受理的理由"))
    row.status = "rejected"
    row.decision_reason = text
    row.decided_at = now
    row.decided_by = actor.id
    event = add_event(row, actor, "rejected", text, now)
    audit.record(actor, "loss.reject", obj=row, summary=text, changes={"status": ["reported", "rejected"]})
    notify.decision(row, event, now)
    return row


@transactional
def add_note(actor: Actor, report_id: int, text: str, *, now: datetime) -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("accepted", "investigating"), _l("记录调查"))
    body = _text(text, _l("调查记录"))
    before = row.status
    row.status = "investigating"
    add_event(row, actor, "note", body, now)
    audit.record(actor, "loss.note", obj=row, summary=body[:200], changes={"status": [before, row.status]})
    return row


@transactional
def request_documents(actor: Actor, report_id: int, text: str, *, now: datetime) -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("accepted", "investigating"), _l("要求企业补充材料"))
    body = _text(text, _l("需补充的材料"))
    before = row.status
    row.status = "investigating"
    event = add_event(row, actor, "doc_request", body, now)
    audit.record(actor, "loss.request_documents", obj=row, summary=body[:200], changes={"status": [before, row.status]})
    notify.documents_requested(row, event, now)
    return row


@transactional
def answer_request(
    actor: Actor, report_id: int, text: str, uploads: list[files.Upload], *, now: datetime
) -> LossReport:
    """The enterprise answers the open document requests with text and/or files."""
    ensure_role(actor, "enterprise", "api")
    get_visible(actor, report_id)
    row = _locked(report_id)
    _require(row, OPEN_STATUSES, _l("补充材料"))
    if not open_requests(row):
        raise Refused(_l("没有待补充的材料要求"), code="no_open_request")
    body = _text(text, _l("答复说明"), required=not uploads)
    event = add_event(row, actor, "doc_answer", body, now)
    added = attach(row, event, actor, uploads, now)
    audit.record(actor, "loss.answer", obj=row, summary=body[:200], changes={"files": [a.filename for a in added]})
    return row


def _assessed(row: LossReport, assessed: Decimal | None) -> rules.Assessment:
    """The arithmetic on the insurer's assessed loss: more than 0 and at most the covered loss less
    payments received (Invalid otherwise); without one, on the claimable loss."""
    result = current_assessment(row)
    if assessed is not None and not rules.ZERO < rules.money(assessed) <= result.claimable:
        raise Invalid(
            _l(
                "核定损失金额须大于 0 且不超过 %(most)s（保障范围内的报损金额减已收回款）",
                most=rules.fmt(result.claimable),
            ),
            code="invalid_assessed",
            field="assessed",
        )
    return current_assessment(row, assessed=assessed)


def pay_plan(report_id: int, assessed: Decimal | None = None) -> Plan:
    """What paying does: the indemnity computed now (on the assessed loss when given) is paid and
    the case closed."""
    row = db.session.get(LossReport, report_id)
    if row is None:
        raise NotFound(_l("报损案件 %(id)s 不存在", id=report_id), code="report_not_found")
    if row.status in FINAL_STATUSES:
        raise Refused(_l("报损案件 %(id)s 已结案", id=row.id), code="already_decided")
    result = _assessed(row, assessed)
    if result.indemnity <= 0:
        raise Refused(
            _l("报损案件 %(id)s 按规则计算的赔款为 0（%(why)s），请选择拒赔", id=row.id,
               why=_Joined(result.reasons) if result.reasons else _l("限额已用完")),
            code="nothing_to_pay",
        )  # fmt: skip
    return Plan(
        action="loss.paid",
        object_id=row.id,
        title=_l("赔付报损案件 %(id)s 并结案", id=row.id),
        counts={"usd": result.indemnity, "enterprises": 1},
        who=[row.enterprise.name, _l("买方：%(buyer)s", buyer=row.buyer_name)],
        who_total=1,
        details=tuple(result.lines),
        warning=_l("赔付决定作出后不能更改，企业将收到通知。"),
    )


@transactional
def record_receipt(actor: Actor, report_id: int, amount: Decimal, *, now: datetime, note: str = "") -> LossReport:
    """A partial payment the buyer (or bank) made after the report: it reduces the loss."""
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, OPEN_STATUSES, _l("记录已收回款"))
    amount = rules.money(amount)
    total = rules.money((row.received_usd or rules.ZERO) + amount)
    if amount <= 0 or total > row.invoice_total_usd:
        raise Invalid(
            _l("已收回款合计不得超过报损金额 %(total)s", total=rules.fmt(row.invoice_total_usd)),
            code="invalid_receipt",
            field="amount",
        )
    before = row.received_usd
    row.received_usd = total
    result = current_assessment(row)
    row.estimate_usd = result.indemnity
    row.reasons = [r.as_json() for r in result.reasons]
    body = _text(note, _l("说明"), required=False)
    add_event(row, actor, "payment_received", f"USD {rules.fmt(amount)}" + (f"：{body}" if body else ""), now)
    audit.record(actor, "loss.payment_received", obj=row, changes={"received_usd": [before, total]})
    return row


@transactional
def merge_parties(actor: Actor, report_id: int, other_id: int, *, now: datetime) -> LossReport:
    """Staff: this report's buyer (or bank) is the other record's (parties.merge_into_report); the
    open reports of the kept party are estimated again against the one limit they now share."""
    keep = parties.merge_into_report(actor, report_id, other_id, now=now)
    stmt = select(LossReport).where(LossReport.limit_party_id == keep.id, LossReport.status.in_(OPEN_STATUSES))
    for row in db.session.scalars(stmt):
        result = current_assessment(row)
        row.estimate_usd = result.indemnity
        row.reasons = [r.as_json() for r in result.reasons]
    return _locked(report_id)


@transactional
def decide(
    actor: Actor,
    report_id: int,
    *,
    pay: bool,
    reason: str | None,
    now: datetime,
    assessed: Decimal | None = None,
) -> LossReport:
    """Pay the indemnity computed now (against the party's remaining limit at this moment) on the
    loss the insurer assesses (核定损失金额: at most the covered loss less payments received; that
    by default), or decline with a reason. A report still awaiting acceptance is accepted by the
    decision."""
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    if row.status in FINAL_STATUSES:
        raise Refused(
            _l(
                "报损案件 %(id)s 已结案（%(status)s）",
                id=row.id,
                status=STATUS_LABELS.get(row.status, row.status),
                state=row.status,
            ),
            code="already_decided",
        )
    # one decision at a time per policy, so two payments cannot both use the same remaining limit
    db.session.execute(select(Policy.id).where(Policy.id == row.policy_id).with_for_update())
    before = row.status
    if before == "reported":
        add_event(row, actor, "accepted", "", now)
    text = _text(reason, _l("拒赔理由"), required=not pay)
    if pay and row.policy.status == "revoked":
        raise Refused(
            _l("报损案件 %(id)s 的保单已撤销，不能赔付", id=row.id),
            code="policy_revoked",
        )
    if pay:
        result = _assessed(row, assessed)
        if result.indemnity <= 0:
            raise Refused(
                _l(
                    "报损案件 %(id)s 按规则计算的赔款为 0（%(why)s），请选择拒赔",
                    id=row.id,
                    why=_Joined(result.reasons) if result.reasons else _l("核定损失为 0"),
                ),
                code="nothing_to_pay",
            )
        row.covered = result.covered
        row.reasons = [r.as_json() for r in result.reasons]
        row.estimate_usd = result.indemnity
        row.paid_usd = result.indemnity
        row.assessed_usd = result.assessed_loss
        row.status = "paid"
        kind = "paid"
        text = text or "；".join(result.lines)
    else:
        row.paid_usd = None
        row.status = "declined"
        kind = "declined"
    row.decision_reason = text
    row.decided_at = now
    row.decided_by = actor.id
    event = add_event(row, actor, kind, text, now)
    audit.record(
        actor,
        f"loss.{kind}",
        obj=row,
        summary=text[:200],
        changes={
            "status": [before, row.status],
            "paid_usd": [None, row.paid_usd],
            "assessed_usd": [None, row.assessed_usd],
        },
    )
    notify.decision(row, event, now)
    return row
