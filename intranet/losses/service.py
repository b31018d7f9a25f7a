"""Loss reports (报损): validation, the coverage/estimate preview, reporting, and scoped look-ups.

The insurer's workflow (accept, investigate, decide) is in `workflow.py`; messages in `notify.py`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import LazyString, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import NotFound
from ..extensions import db
from ..policies.models import Policy
from ..policies.visibility import ensure_in_force, scope_of, visible_policy
from ..security import ensure_enterprise_permission, ensure_role
from ..storage import service as storage
from ..storage.models import StoredFile
from . import attachments as files
from . import parties, rules
from .inputs import BankInput, LossInput, validate
from .models import LossAttachment, LossEvent, LossInvoice, LossParty, LossReport

OPEN_STATUSES = ("reported", "accepted", "investigating")
FINAL_STATUSES = ("rejected", "paid", "declined")
STATUSES = OPEN_STATUSES + FINAL_STATUSES
STATUS_LABELS: dict[str, LazyString] = {
    "reported": _l("已报案，待受理"),
    "accepted": _l("已受理"),
    "rejected": lazy_pgettext("loss status", "不予受理"),
    "investigating": _l("调查中"),
    "paid": _l("已赔付"),
    "declined": _l("拒赔"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# ---- arithmetic --------------------------------------------------------------------------------


def assess(
    policy: Policy,
    data: LossInput,
    *,
    excluding: int | None = None,
    party_id: int | None = None,
    received: Decimal = rules.ZERO,
    assessed: Decimal | None = None,
) -> rules.Assessment:
    """The indemnity rule for this loss: the limit's party is `party_id` (a recorded report's) or the
    party the input resolves to now (a new one when nobody paid for it yet)."""
    programme = policy.programme
    who = data.limit_party()
    party = db.session.get(LossParty, party_id) if party_id else parties.find(policy.id, who)
    return rules.assess(
        invoices=data.invoices,
        buyer_country=data.risk_country,
        cover_start=policy.cover_start,
        cover_end=policy.cover_end,
        excluded_countries=programme.excluded_codes,
        ratio=programme.indemnity_ratio,
        per_buyer_limit=programme.per_buyer_limit_usd,
        already_paid=parties.paid_for(policy.id, party.id if party else None, excluding=excluding),
        received=received,
        assessed=assessed,
        party_kind=who.kind,
        party_name=party.name if party else who.name,
    )


def preview(actor: Actor, policy_id: int, data: LossInput, *, now: datetime) -> tuple[LossInput, rules.Assessment]:
    """Does it look covered, and the estimate — nothing is written."""
    ensure_role(actor, "enterprise", "api")
    policy = visible_policy(actor, policy_id)
    ensure_in_force(policy)
    clean = validate(data, now)
    return clean, assess(policy, clean)


def input_of(report: LossReport) -> LossInput:
    bank = None
    if report.bank_name and report.bank_country:
        bank = BankInput(report.bank_name, report.bank_country, report.bank_swift_bic or "")
    return LossInput(
        buyer_name=report.buyer_name,
        buyer_country=report.buyer_country,
        due_date=report.due_date,
        cause=report.cause,
        invoices=[rules.Invoice(i.invoice_no, i.amount_usd, i.shipment_date) for i in report.invoices],
        buyer_registration_no=report.buyer_registration_no or "",
        payment_terms=report.payment_terms,
        bank=bank,
    )


def current_assessment(report: LossReport, *, assessed: Decimal | None = None) -> rules.Assessment:
    """The arithmetic for a report as things stand now (its own payment excluded, payments received
    since the report deducted, the insurer's assessed amount when given)."""
    return assess(
        report.policy,
        input_of(report),
        excluding=report.id,
        party_id=report.limit_party_id,
        received=report.received_usd or rules.ZERO,
        assessed=assessed,
    )


# ---- reporting ----------------------------------------------------------------------------------


def add_event(report: LossReport, actor: Actor, kind: str, text: str, now: datetime) -> LossEvent:
    event = LossEvent(report_id=report.id, at=now, actor_user_id=actor.id, kind=kind, text=text)
    db.session.add(event)
    db.session.flush()
    return event


def attach(
    report: LossReport,
    event: LossEvent | None,
    actor: Actor,
    uploads: list[files.Upload],
    now: datetime,
) -> list[LossAttachment]:
    """The uploads as stored files (in the database, committed with the report's change)."""
    rows = []
    for upload in uploads:
        stored = files.store(upload, "loss_attachment")
        row = LossAttachment(
            report_id=report.id,
            event_id=event.id if event else None,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            file_id=stored.id,
            uploaded_by=actor.id,
            uploaded_at=now,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


@transactional
def report(
    actor: Actor,
    policy_id: int,
    data: LossInput,
    *,
    now: datetime,
    uploads: list[files.Upload] | None = None,
    via: str = "web",
) -> LossReport:
    """Record a loss report (accepted and recorded even when not covered: the insurer decides)."""
    ensure_role(actor, "enterprise", "api")
    ensure_enterprise_permission(actor, "report_losses")
    policy = visible_policy(actor, policy_id)
    db.session.execute(select(Policy.id).where(Policy.id == policy.id).with_for_update())
    ensure_in_force(policy)
    clean = validate(data, now)
    buyer = parties.ensure(policy.id, clean.buyer(), now)
    bank_who = clean.bank_party()
    bank = parties.ensure(policy.id, bank_who, now) if bank_who else None
    limit_party = bank or buyer
    result = assess(policy, clean, party_id=limit_party.id)
    row = LossReport(
        policy_id=policy.id,
        enterprise_id=policy.enterprise_id,
        buyer_name=clean.buyer_name,
        buyer_key=rules.buyer_key(clean.buyer_name, clean.buyer_country),
        buyer_country=clean.buyer_country,
        buyer_registration_no=clean.buyer_registration_no or None,
        payment_terms=clean.payment_terms,
        bank_name=clean.bank.name if clean.bank else None,
        bank_swift_bic=(clean.bank.swift_bic or None) if clean.bank else None,
        bank_country=clean.bank.country if clean.bank else None,
        buyer_party_id=buyer.id,
        bank_party_id=bank.id if bank else None,
        limit_party_id=limit_party.id,
        received_usd=rules.ZERO,
        due_date=clean.due_date,
        cause=clean.cause,
        status="reported",
        invoice_total_usd=result.total,
        covered=result.covered,
        reasons=[r.as_json() for r in result.reasons],
        estimate_usd=result.indemnity,
        reported_at=now,
        reported_via=via,
    )
    row.invoices = [
        LossInvoice(invoice_no=i.invoice_no, amount_usd=i.amount_usd, shipment_date=i.shipment_date)
        for i in clean.invoices
    ]
    db.session.add(row)
    db.session.flush()
    event = add_event(row, actor, "reported", "", now)
    attach(row, event, actor, uploads or [], now)
    audit.record(
        actor,
        "loss.report",
        obj=row,
        summary=f"{clean.buyer_name} ({clean.buyer_country}) USD {result.total}",
        changes={
            "covered": result.covered,
            "estimate_usd": result.indemnity,
            "via": via,
            "limit_party": [limit_party.kind, limit_party.name],
        },
    )
    return row


# ---- look-ups -----------------------------------------------------------------------------------


def get_visible(actor: Actor, report_id: int) -> LossReport:
    """A report the actor may see: its own enterprise's, or any for staff and the single window."""
    row = db.session.get(LossReport, report_id)
    scope = scope_of(actor)
    if row is None or (scope is not None and row.enterprise_id != scope) or actor.role == "public":
        raise NotFound(_l("报损案件 %(id)s 不存在", id=report_id), code="report_not_found")
    return row


def attachment_of(actor: Actor, report_id: int, attachment_id: int) -> tuple[LossAttachment, StoredFile]:
    """An attachment of a report the actor may see, and its stored file."""
    report_row = get_visible(actor, report_id)
    row = db.session.get(LossAttachment, attachment_id)
    if row is None or row.report_id != report_row.id or row.file_id is None:
        raise NotFound(_l("附件不存在"), code="attachment_not_found")
    return row, storage.get(row.file_id)


def attachments_for(row: LossReport) -> list[LossAttachment]:
    return list(
        db.session.scalars(select(LossAttachment).where(LossAttachment.report_id == row.id).order_by(LossAttachment.id))
    )


def for_enterprise(enterprise_id: int) -> list[LossReport]:
    return list(
        db.session.scalars(
            select(LossReport).where(LossReport.enterprise_id == enterprise_id).order_by(LossReport.id.desc())
        )
    )


def queue_query(status: str | None) -> Select[Any]:
    stmt = select(LossReport)
    if status in STATUSES:
        stmt = stmt.where(LossReport.status == status).order_by(LossReport.reported_at)
    elif status == "all":
        stmt = stmt.order_by(LossReport.id.desc())
    else:
        stmt = stmt.where(LossReport.status.in_(OPEN_STATUSES)).order_by(LossReport.reported_at)
    return stmt


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(LossReport.status, func.count(LossReport.id)).group_by(LossReport.status))
    return {str(status): int(count) for status, count in rows}


def open_requests(row: LossReport) -> list[LossEvent]:
    """Document requests not yet answered (an answer answers every request before it)."""
    pending: list[LossEvent] = []
    for event in row.events:
        if event.kind == "doc_request":
            pending.append(event)
        elif event.kind == "doc_answer":
            pending = []
    return pending
