"""Loss reports (报损): validation, the coverage/estimate preview, reporting, and scoped look-ups.

The insurer's workflow (accept, investigate, decide) is in `workflow.py`; messages in `notify.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import LazyString, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..countries import get_country, normalize_code
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from ..policies.models import Policy
from ..policies.visibility import ensure_in_force, scope_of, visible_policy
from ..security import ensure_enterprise_permission, ensure_role
from ..storage import service as storage
from ..storage.models import StoredFile
from . import attachments as files
from . import rules
from .models import LossAttachment, LossEvent, LossInvoice, LossReport

MAX_INVOICES = 50
MAX_AMOUNT = Decimal("9999999999.99")
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


@dataclass
class LossInput:
    buyer_name: str
    buyer_country: str
    due_date: date | None
    cause: str
    invoices: list[rules.Invoice]


def parse_amount(raw: Any, label: str = "invoice_amount_usd") -> Decimal:
    """A positive USD amount with at most two decimals; JSON numbers or numeric strings."""
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Invalid(_l("%(field)s 须为金额", field=label), code="invalid_amount", field=label)
    try:
        text = raw.replace(",", "").strip() if isinstance(raw, str) else str(raw)
        value = Decimal(text)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise Invalid(_l("%(field)s 不是有效金额", field=label), code="invalid_amount", field=label) from exc
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise Invalid(
            _l("%(field)s 须大于 0 且不超过 %(max)s", field=label, max=f"{MAX_AMOUNT:,}"),
            code="invalid_amount",
            field=label,
        )
    if value != value.quantize(rules.CENT):
        raise Invalid(_l("%(field)s 最多两位小数", field=label), code="invalid_amount", field=label)
    return rules.money(value)


def validate(data: LossInput, now: datetime) -> LossInput:
    """Every rule on the input, for the web form and the API alike (422 with a code)."""
    name = " ".join(rules.clean_text(data.buyer_name).split())
    if not name or len(name) > 200 or not rules.normalize_buyer_name(name):
        raise Invalid(
            _l("请填写买方名称（200字以内）"),
            code="invalid_buyer_name",
            field="buyer_name",
        )
    country = normalize_code(data.buyer_country)
    if get_country(country) is None:
        raise Invalid(
            _l("买方所在国 %(country)s 不是有效的 ISO 国家代码", country=str(data.buyer_country)),
            code="invalid_country",
            field="buyer_country",
        )
    if data.cause not in rules.CAUSES:
        raise Invalid(_l("损失原因不在列表中"), code="invalid_cause", field="cause")
    if not data.invoices:
        raise Invalid(_l("至少填写一张发票"), code="no_invoices", field="invoices")
    if len(data.invoices) > MAX_INVOICES:
        raise Invalid(_l("最多 %(n)s 张发票", n=MAX_INVOICES), code="too_many_invoices", field="invoices")
    today = shanghai_date(now)
    seen: set[str] = set()
    for inv in data.invoices:
        number = rules.clean_text(inv.invoice_no).strip()
        if len(number) > 64:
            raise Invalid(_l("发票号 %(no)s… 过长", no=number[:20]), code="invalid_invoice", field="invoices")
        if number and number.casefold() in seen:
            raise Invalid(_l("发票号 %(no)s 重复", no=number), code="duplicate_invoice", field="invoices")
        seen.add(number.casefold())
        if inv.shipment_date > today:
            raise Invalid(
                _l("发票 %(no)s 出运日 %(day)s 晚于今天", no=number or "—", day=inv.shipment_date.isoformat()),
                code="invalid_shipment_date",
                field="shipment_date",
            )
    if data.due_date is None:
        raise Invalid(_l("请填写应收账款到期日"), code="invalid_due_date", field="due_date")
    first = min(inv.shipment_date for inv in data.invoices)
    if data.due_date < first:
        raise Invalid(
            _l("到期日 %(due)s 早于出运日 %(day)s", due=data.due_date.isoformat(), day=first.isoformat()),
            code="invalid_due_date",
            field="due_date",
        )
    return LossInput(
        buyer_name=name,
        buyer_country=country,
        due_date=data.due_date,
        cause=data.cause,
        invoices=[
            rules.Invoice(rules.clean_text(i.invoice_no).strip(), rules.money(i.amount_usd), i.shipment_date)
            for i in data.invoices
        ],
    )


# ---- arithmetic --------------------------------------------------------------------------------


def paid_for_buyer(policy_id: int, key: str, *, excluding: int | None = None) -> Decimal:
    """What was already paid for this buyer under this policy (the limit is per policy year)."""
    stmt = select(LossReport.paid_usd).where(
        LossReport.policy_id == policy_id, LossReport.buyer_key == key, LossReport.status == "paid"
    )
    if excluding is not None:
        stmt = stmt.where(LossReport.id != excluding)
    return rules.money(sum((v for v in db.session.scalars(stmt) if v is not None), rules.ZERO))


def assess(policy: Policy, data: LossInput, *, excluding: int | None = None) -> rules.Assessment:
    programme = policy.programme
    return rules.assess(
        invoices=data.invoices,
        buyer_country=data.buyer_country,
        cover_start=policy.cover_start,
        cover_end=policy.cover_end,
        excluded_countries=programme.excluded_codes,
        ratio=programme.indemnity_ratio,
        per_buyer_limit=programme.per_buyer_limit_usd,
        already_paid=paid_for_buyer(
            policy.id, rules.buyer_key(data.buyer_name, data.buyer_country), excluding=excluding
        ),
    )


def preview(actor: Actor, policy_id: int, data: LossInput, *, now: datetime) -> tuple[LossInput, rules.Assessment]:
    """Does it look covered, and the estimate — nothing is written."""
    ensure_role(actor, "enterprise", "api")
    policy = visible_policy(actor, policy_id)
    ensure_in_force(policy)
    clean = validate(data, now)
    return clean, assess(policy, clean)


def input_of(report: LossReport) -> LossInput:
    return LossInput(
        buyer_name=report.buyer_name,
        buyer_country=report.buyer_country,
        due_date=report.due_date,
        cause=report.cause,
        invoices=[rules.Invoice(i.invoice_no, i.amount_usd, i.shipment_date) for i in report.invoices],
    )


def current_assessment(report: LossReport) -> rules.Assessment:
    """The arithmetic for a report as things stand now (its own payment excluded)."""
    return assess(report.policy, input_of(report), excluding=report.id)


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
    result = assess(policy, clean)
    row = LossReport(
        policy_id=policy.id,
        enterprise_id=policy.enterprise_id,
        buyer_name=clean.buyer_name,
        buyer_key=rules.buyer_key(clean.buyer_name, clean.buyer_country),
        buyer_country=clean.buyer_country,
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
        changes={"covered": result.covered, "estimate_usd": result.indemnity, "via": via},
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
