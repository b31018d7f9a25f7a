"""The insurer's workflow on a loss report: accept or reject, investigate (notes, document requests
the enterprise answers), decide pay or decline. Every step audited; every decision told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..policies.models import Policy
from ..security import ensure_role
from . import attachments as files
from . import notify, rules
from .models import LossReport
from .service import FINAL_STATUSES, OPEN_STATUSES, add_event, attach, current_assessment, get_visible, open_requests

MAX_TEXT = 4000


def _text(value: str | None, what: tuple[str, str], *, required: bool = True) -> str:
    text = rules.clean_text(value, multiline=True).strip()
    if required and not text:
        raise Invalid(f"请填写{what[0]} / {what[1]} is required", code="reason_required", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"{what[0]}不超过 {MAX_TEXT} 字 / {what[1]}: at most {MAX_TEXT} characters", field="text")
    return text


def _locked(report_id: int) -> LossReport:
    stmt = select(LossReport).where(LossReport.id == report_id).with_for_update()
    row = db.session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"报损案件 {report_id} 不存在 / Loss report {report_id} not found", code="report_not_found")
    return row


def _require(row: LossReport, allowed: tuple[str, ...], doing: tuple[str, str]) -> None:
    if row.status not in allowed:
        raise Refused(
            f"报损案件 {row.id} 当前状态为 {row.status}，不能{doing[0]} / "
            f"Loss report {row.id} is {row.status}; cannot {doing[1]}",
            code="wrong_status",
        )


@transactional
def accept(actor: Actor, report_id: int, *, now: datetime, note: str = "") -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("reported",), ("受理", "accept it"))
    row.status = "accepted"
    event = add_event(row, actor, "accepted", _text(note, ("说明", "Note"), required=False), now)
    audit.record(actor, "loss.accept", obj=row, changes={"status": ["reported", "accepted"]})
    notify.decision(row, event, now)
    return row


@transactional
def reject(actor: Actor, report_id: int, reason: str, *, now: datetime) -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("reported",), ("不予受理", "reject it"))
    text = _text(reason, ("不予受理的理由", "A reason"))
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
    _require(row, ("accepted", "investigating"), ("记录调查", "add investigation notes"))
    body = _text(text, ("调查记录", "A note"))
    before = row.status
    row.status = "investigating"
    add_event(row, actor, "note", body, now)
    audit.record(actor, "loss.note", obj=row, summary=body[:200], changes={"status": [before, row.status]})
    return row


@transactional
def request_documents(actor: Actor, report_id: int, text: str, *, now: datetime) -> LossReport:
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    _require(row, ("accepted", "investigating"), ("要求补充材料", "request documents"))
    body = _text(text, ("需补充的材料", "What to send"))
    before = row.status
    row.status = "investigating"
    event = add_event(row, actor, "doc_request", body, now)
    audit.record(actor, "loss.request_documents", obj=row, summary=body[:200], changes={"status": [before, row.status]})
    notify.documents_requested(row, event, now)
    return row


def answer_request(
    actor: Actor, report_id: int, text: str, uploads: list[files.Upload], *, now: datetime
) -> LossReport:
    written: list[str] = []
    try:
        return _answer(actor, report_id, text, uploads, now=now, written=written)
    except BaseException:
        files.discard(written)
        raise


@transactional
def _answer(
    actor: Actor, report_id: int, text: str, uploads: list[files.Upload], *, now: datetime, written: list[str]
) -> LossReport:
    """The enterprise answers the open document requests with text and/or files."""
    ensure_role(actor, "enterprise", "api")
    get_visible(actor, report_id)
    row = _locked(report_id)
    _require(row, OPEN_STATUSES, ("补充材料", "add documents"))
    if not open_requests(row):
        raise Refused("没有待补充的材料要求 / No document request is open", code="no_open_request")
    body = _text(text, ("说明", "Text"), required=not uploads)
    event = add_event(row, actor, "doc_answer", body, now)
    added = attach(row, event, actor, uploads, now, written)
    audit.record(actor, "loss.answer", obj=row, summary=body[:200], changes={"files": [a.filename for a in added]})
    return row


@transactional
def decide(actor: Actor, report_id: int, *, pay: bool, reason: str | None, now: datetime) -> LossReport:
    """Pay the indemnity computed now (against the buyer's remaining limit at this moment), or
    decline with a reason. A report still awaiting acceptance is accepted by the decision."""
    ensure_role(actor, "insurer")
    row = _locked(report_id)
    if row.status in FINAL_STATUSES:
        raise Refused(
            f"报损案件 {row.id} 已结案（{row.status}） / Loss report {row.id} is already closed ({row.status})",
            code="already_decided",
        )
    # one decision at a time per policy, so two payments cannot both use the same remaining limit
    db.session.execute(select(Policy.id).where(Policy.id == row.policy_id).with_for_update())
    before = row.status
    if before == "reported":
        add_event(row, actor, "accepted", "", now)
    text = _text(reason, ("拒赔理由", "A reason"), required=not pay)
    if pay and row.policy.status == "revoked":
        raise Refused(
            f"报损案件 {row.id} 的保单已撤销，不能赔付 / The policy of report {row.id} is revoked; it cannot be paid",
            code="policy_revoked",
        )
    if pay:
        result = current_assessment(row)
        if result.indemnity <= 0:
            raise Refused(
                f"报损案件 {row.id} 按规则计算的赔款为 0（{'；'.join(result.reasons) or '限额已用完'}），请选择拒赔 / "
                f"The computed indemnity for report {row.id} is 0; decline it instead",
                code="nothing_to_pay",
            )
        row.covered = result.covered
        row.reasons = result.reasons
        row.estimate_usd = result.indemnity
        row.paid_usd = result.indemnity
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
        changes={"status": [before, row.status], "paid_usd": [None, row.paid_usd]},
    )
    notify.decision(row, event, now)
    return row
