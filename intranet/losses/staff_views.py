"""Insurer pages under /staff/losses: the queue, a report's page, and its workflow actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from .. import confirmations
from ..actors import current_actor
from ..clock import now
from ..errors import ServiceError
from ..extensions import db
from ..pagination import paginate
from ..security import roles_required
from . import parties, service, workflow
from .blueprint import bp
from .forms import AcceptForm, DecideForm, MergeForm, NoteForm, ReasonForm, ReceiptForm, RequestDocumentsForm
from .models import LossReport
from .views import download

STAFF = ("insurer",)


@bp.get("/staff/losses")
@roles_required(*STAFF)
def staff_queue() -> Any:
    status = request.args.get("status", "open")
    page = paginate(service.queue_query(status), request.args.get("page", 1, type=int))
    return render_template(
        "losses/staff_queue.html",
        page=page,
        status=status,
        counts=service.status_counts(),
        statuses=service.STATUSES,
    )


@bp.get("/staff/losses/<int:report_id>")
@roles_required(*STAFF)
def staff_detail(report_id: int) -> Any:
    row = service.get_visible(current_actor(), report_id)
    from ..auth.models import User

    names = {u.id: u.label() for u in db.session.query(User).filter(User.id.in_({e.actor_user_id for e in row.events}))}
    return render_template(
        "losses/staff_detail.html",
        report=row,
        result=service.current_assessment(row),
        pending=service.open_requests(row),
        names=names,
        accept_form=AcceptForm(prefix="accept"),
        reject_form=ReasonForm(prefix="reject"),
        note_form=NoteForm(prefix="note"),
        request_form=RequestDocumentsForm(prefix="docs"),
        decide_form=DecideForm(prefix="decide"),
        receipt_form=ReceiptForm(prefix="receipt"),
        merge_form=merge_form(row),
    )


def merge_form(row: LossReport) -> MergeForm:
    form = MergeForm(prefix="merge")
    kinds = {"buyer": _("买方"), "bank": _("开证行")}
    form.party.choices = [(p.id, f"{kinds.get(p.kind, p.kind)} · {p.name} · {p.country}") for p in parties.others(row)]
    return form


def _act(
    report_id: int,
    form: FlaskForm,
    call: Callable[[FlaskForm], Any],
    done: str,
    plan: Callable[[FlaskForm], Callable[[], confirmations.Plan] | None] = lambda _f: None,
) -> Any:
    back = url_for("losses.staff_detail", report_id=report_id)
    if form.validate_on_submit():
        try:
            make_plan = plan(form)  # an irreversible step (a payment) is confirmed first
            if make_plan is not None:
                step = confirmations.confirm(make_plan, lambda: call(form), back=back)
                if step.page is not None:
                    return step.page
            else:
                call(form)
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            flash(done, "success")
    else:
        messages = [e for errors in form.errors.values() for e in errors]
        flash("；".join(str(m) for m in messages) or _("请检查输入"), "error")
    return redirect(url_for("losses.staff_detail", report_id=report_id))


@bp.post("/staff/losses/<int:report_id>/accept")
@roles_required(*STAFF)
def staff_accept(report_id: int) -> Any:
    return _act(
        report_id,
        AcceptForm(prefix="accept"),
        lambda f: workflow.accept(current_actor(), report_id, now=now(), note=f.text.data or ""),
        _("已受理"),
    )


@bp.post("/staff/losses/<int:report_id>/reject")
@roles_required(*STAFF)
def staff_reject(report_id: int) -> Any:
    return _act(
        report_id,
        ReasonForm(prefix="reject"),
        lambda f: workflow.reject(current_actor(), report_id, f.text.data or "", now=now()),
        _("已不予受理，已通知企业"),
    )


@bp.post("/staff/losses/<int:report_id>/note")
@roles_required(*STAFF)
def staff_note(report_id: int) -> Any:
    return _act(
        report_id,
        NoteForm(prefix="note"),
        lambda f: workflow.add_note(current_actor(), report_id, f.text.data or "", now=now()),
        _("已记录"),
    )


@bp.post("/staff/losses/<int:report_id>/request-documents")
@roles_required(*STAFF)
def staff_request(report_id: int) -> Any:
    return _act(
        report_id,
        RequestDocumentsForm(prefix="docs"),
        lambda f: workflow.request_documents(current_actor(), report_id, f.text.data or "", now=now()),
        _("已要求企业补充材料"),
    )


@bp.post("/staff/losses/<int:report_id>/decide")
@roles_required(*STAFF)
def staff_decide(report_id: int) -> Any:
    return _act(
        report_id,
        DecideForm(prefix="decide"),
        lambda f: workflow.decide(
            current_actor(),
            report_id,
            pay=f.decision.data == "pay",
            reason=f.text.data or None,
            now=now(),
            assessed=f.assessed.data if f.decision.data == "pay" else None,
        ),
        _("已作出决定，已通知企业"),
        lambda f: (lambda: workflow.pay_plan(report_id, f.assessed.data)) if f.decision.data == "pay" else None,
    )


@bp.post("/staff/losses/<int:report_id>/receipt")
@roles_required(*STAFF)
def staff_receipt(report_id: int) -> Any:
    return _act(
        report_id,
        ReceiptForm(prefix="receipt"),
        lambda f: workflow.record_receipt(current_actor(), report_id, f.amount.data, now=now(), note=f.text.data or ""),
        _("已记录收回款项，损失相应减少"),
    )


@bp.post("/staff/losses/<int:report_id>/merge")
@roles_required(*STAFF)
def staff_merge(report_id: int) -> Any:
    form = merge_form(service.get_visible(current_actor(), report_id))
    return _act(
        report_id,
        form,
        lambda f: workflow.merge_parties(current_actor(), report_id, f.party.data, now=now()),
        _("已合并，两条记录共用一个责任限额"),
    )


@bp.get("/staff/losses/<int:report_id>/attachments/<int:attachment_id>")
@roles_required(*STAFF)
def staff_attachment(report_id: int, attachment_id: int) -> Any:
    row, stored = service.attachment_of(current_actor(), report_id, attachment_id)
    return download(row, stored)
