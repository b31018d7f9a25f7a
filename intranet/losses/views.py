"""Enterprise pages under /portal/losses: list, report (form → preview with the estimate → confirm
with documents), a report's page (decisions, document requests and answers), downloads.
Insurer pages are in staff_views.py (same blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..actors import current_actor
from ..clock import now
from ..countries import country_label
from ..errors import ServiceError
from ..forms_support import attach_error
from ..policies.visibility import reportable_policies
from ..security import roles_required
from ..storage import service as storage
from ..storage.models import StoredFile
from . import attachments as files
from . import inputs, rules, service, workflow
from .blueprint import bp
from .forms import MAX_ROWS, AnswerForm, ConfirmReportForm, LossReportForm
from .models import LossAttachment, LossEvent, LossReport


def policy_choices() -> list[tuple[int, str]]:
    return [
        (p.id, f"{p.policy_no or p.id} · {p.programme.year} · {p.cover_start} — {p.cover_end}")
        for p in reportable_policies(current_user.enterprise_id)
    ]


def report_attachments(report: LossReport, event: LossEvent) -> list[LossAttachment]:
    return [a for a in service.attachments_for(report) if a.event_id == event.id]


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {
        "loss_cause_label": rules.cause_label,
        "loss_payment_terms_label": lambda code: str(rules.PAYMENT_TERMS.get(code, code)),
        "loss_status_label": service.status_label,
        "loss_reason": rules.describe,
        "country_label": country_label,
        "report_attachments": report_attachments,
    }


def download(row: LossAttachment, stored: StoredFile) -> Response:
    """An attachment from the database, as an attachment (never shown inline), under its own name."""
    return storage.download(stored, filename=row.filename, content_type=row.content_type)


@bp.get("/portal/losses")
@roles_required("enterprise")
def portal_list() -> Any:
    reports = service.for_enterprise(current_user.enterprise_id)
    return render_template("losses/portal_list.html", reports=reports, can_report=bool(policy_choices()))


def _input(form: LossReportForm) -> inputs.LossInput:
    return inputs.LossInput(
        buyer_name=form.buyer_name.data or "",
        buyer_country=form.buyer_country.data or "",
        due_date=form.due_date.data,
        cause=form.cause.data or "",
        invoices=form.filled_invoices(),
        buyer_registration_no=form.buyer_registration_no.data or "",
        payment_terms=form.payment_terms.data or rules.OPEN_ACCOUNT,
        bank=inputs.BankInput(
            name=form.bank_name.data or "",
            country=form.bank_country.data or "",
            swift_bic=form.bank_swift_bic.data or "",
        ),
    )


def _echo_fields() -> list[tuple[str, str]]:
    """Step 1's answers, carried to step 2 as hidden fields (validated again on submit)."""
    return [(k, v) for k, v in request.form.items(multi=True) if k not in {"csrf_token", "action"}]


@bp.route("/portal/losses/new", methods=["GET", "POST"])
@roles_required("enterprise")
def portal_new() -> Any:
    choices = policy_choices()
    if not choices:
        return render_template("losses/portal_new.html", form=None)
    action = request.form.get("action", "preview")
    form_class = ConfirmReportForm if action == "submit" else LossReportForm
    form = form_class(policies=choices)
    if request.method == "POST" and action == "add_row":
        if len(form.invoices) < MAX_ROWS:
            form.invoices.append_entry()
        return render_template("losses/portal_new.html", form=form)
    if request.method == "POST" and action == "edit":
        return render_template("losses/portal_new.html", form=form)
    if form.validate_on_submit():
        try:
            if action == "submit":
                uploads = files.check_files(request.files.getlist(form.attachments.name))  # type: ignore[attr-defined]
                row = service.report(current_actor(), form.policy_id.data, _input(form), now=now(), uploads=uploads)
                flash(_("报损已提交，案件号 #%(id)s", id=row.id), "success")
                return redirect(url_for("losses.portal_detail", report_id=row.id))
            clean, result = service.preview(current_actor(), form.policy_id.data, _input(form), now=now())
        except ServiceError as exc:
            if action == "submit" and exc.code and exc.code.startswith("file"):
                clean, result = service.preview(current_actor(), form.policy_id.data, _input(form), now=now())
                confirm = ConfirmReportForm(policies=choices, formdata=None)
                attach_error(confirm, exc, "attachments")
                return render_template(
                    "losses/portal_confirm.html",
                    form=form,
                    confirm=confirm,
                    data=clean,
                    result=result,
                    hidden=_echo_fields(),
                ), 422
            return render_template("losses/portal_new.html", form=form, problems=[str(exc.message)]), exc.status
        confirm = ConfirmReportForm(policies=choices, formdata=None)
        return render_template(
            "losses/portal_confirm.html", form=form, confirm=confirm, data=clean, result=result, hidden=_echo_fields()
        )
    status = 422 if request.method == "POST" else 200
    return render_template("losses/portal_new.html", form=form, problems=_problems(form)), status


@bp.post("/portal/losses/estimate")
@roles_required("enterprise")
def portal_estimate() -> Any:
    """The live preview (progressive enhancement): an HTML fragment for the estimate panel."""
    form = LossReportForm(policies=policy_choices())
    if not form.validate():
        return render_template("losses/_estimate.html", result=None, problems=_problems(form))
    try:
        _clean, result = service.preview(current_actor(), form.policy_id.data, _input(form), now=now())
    except ServiceError as exc:
        return render_template("losses/_estimate.html", result=None, problems=[str(exc.message)])
    return render_template("losses/_estimate.html", result=result, problems=[])


def _problems(form: LossReportForm) -> list[str]:
    out = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            continue
        label = form[name].label.text if name in form else ""
        for error in errors:
            text = error if isinstance(error, str) else "；".join(str(e) for e in _flatten(error))
            out.append(f"{label}：{text}" if label else text)
    return out


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flatten(v)]
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    return [value]


@bp.get("/portal/losses/<int:report_id>")
@roles_required("enterprise")
def portal_detail(report_id: int) -> Any:
    row = service.get_visible(current_actor(), report_id)
    return render_template(
        "losses/portal_detail.html",
        report=row,
        pending=service.open_requests(row),
        answer_form=AnswerForm(),
    )


@bp.post("/portal/losses/<int:report_id>/answer")
@roles_required("enterprise")
def portal_answer(report_id: int) -> Any:
    service.get_visible(current_actor(), report_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            uploads = files.check_files(request.files.getlist(form.attachments.name))
            workflow.answer_request(current_actor(), report_id, form.text.data or "", uploads, now=now())
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("材料已提交"), "success")
    else:
        flash(_("请填写答复或选择文件"), "error")
    return redirect(url_for("losses.portal_detail", report_id=report_id))


@bp.get("/portal/losses/<int:report_id>/attachments/<int:attachment_id>")
@roles_required("enterprise")
def portal_attachment(report_id: int, attachment_id: int) -> Any:
    row, stored = service.attachment_of(current_actor(), report_id, attachment_id)
    return download(row, stored)
