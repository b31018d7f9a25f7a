"""Enterprise /portal/credit-reports (request, list, download; remaining free count always shown)
and insurer /staff/credit-reports (queue, attach the PDF or decline)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..actors import current_actor
from ..clock import now
from ..errors import ServiceError
from ..losses import attachments as files
from ..pagination import page_arg, paginate
from ..programmes.service import current_programme
from ..security import roles_required
from ..storage import service as storage
from . import service
from .forms import CreditReportForm, DeclineForm, DeliverForm, MergeBuyerForm

bp = Blueprint("credit_reports", __name__)


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"credit_status_label": service.status_label}


def _portal(form: CreditReportForm, status: int = 200, problem: str | None = None) -> Any:
    enterprise_id = current_user.enterprise_id
    quotas = service.policies_with_quota(enterprise_id)
    fallback = None
    if not quotas:
        programme = current_programme(now())
        fallback = service.quota(enterprise_id, programme) if programme else None
    return render_template(
        "credit_reports/portal.html",
        form=form,
        quotas=quotas,
        fallback=fallback,
        requests=service.for_enterprise(enterprise_id),
        problem=problem,
    ), status


def _policy_choices() -> list[tuple[int, str]]:
    return [
        (p.id, f"{p.policy_no or p.id} · {p.programme.year}")
        for p, _q in service.policies_with_quota(current_user.enterprise_id)
    ]


@bp.route("/portal/credit-reports", methods=["GET", "POST"])
@roles_required("enterprise")
def portal() -> Any:
    form = CreditReportForm(policies=_policy_choices())
    if form.validate_on_submit():
        try:
            asked = service.request_report(
                current_actor(),
                form.policy_id.data,
                form.buyer_name.data or "",
                form.buyer_country.data or "",
                now=now(),
            )
        except ServiceError as exc:
            return _portal(form, exc.status, problem=str(exc.message))
        if asked.created:
            flash(_("已申请资信报告 #%(id)s，剩余免费次数 %(n)s", id=asked.row.id, n=asked.remaining), "success")
        else:
            flash(
                _(
                    "已申请过该买方的资信报告 #%(id)s（%(status)s），未占用免费次数，剩余 %(n)s 次",
                    id=asked.row.id,
                    status=service.status_label(asked.row.status),
                    n=asked.remaining,
                ),
                "info",
            )
        return redirect(url_for("credit_reports.portal"))
    return _portal(form, 422 if request.method == "POST" else 200)


@bp.get("/portal/credit-reports/<int:request_id>/report.pdf")
@roles_required("enterprise")
def portal_download(request_id: int) -> Any:
    return _download(request_id)


def _download(request_id: int) -> Any:
    row, stored = service.report_file(current_actor(), request_id)
    name = row.report_filename or f"credit-report-{row.id}.pdf"
    return storage.download(stored, filename=name, content_type="application/pdf")


@bp.get("/staff/credit-reports")
@roles_required("insurer")
def staff_queue() -> Any:
    status = request.args.get("status", "requested")
    page = paginate(service.queue_query(status), page_arg(request.args.get("page", 1)))
    return render_template(
        "credit_reports/staff_queue.html",
        page=page,
        status=status,
        statuses=service.STATUSES,
        counts=service.status_counts(),
        deliver_form=DeliverForm(),
        decline_form=DeclineForm(),
        merge_form=MergeBuyerForm(),
        candidates={r.id: service.buyers_to_merge(r) for r in page.items},
    )


@bp.post("/staff/credit-reports/<int:request_id>/deliver")
@roles_required("insurer")
def staff_deliver(request_id: int) -> Any:
    form = DeliverForm()
    if form.validate_on_submit():
        try:
            upload = files.read_stream(form.report.data.filename or "", form.report.data.stream, files.PDF_ONLY)
            service.deliver(current_actor(), request_id, upload, now=now())
        except ServiceError as exc:
            flash(f"#{request_id}: {exc.message}", "error")
        else:
            flash(_("资信报告 #%(id)s 已出具，已通知企业", id=request_id), "success")
    else:
        flash(_("请选择 PDF 文件"), "error")
    return redirect(url_for("credit_reports.staff_queue"))


@bp.post("/staff/credit-reports/<int:request_id>/decline")
@roles_required("insurer")
def staff_decline(request_id: int) -> Any:
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            service.decline(current_actor(), request_id, form.text.data or "", now=now())
        except ServiceError as exc:
            flash(f"#{request_id}: {exc.message}", "error")
        else:
            flash(_("已答复资信报告申请 #%(id)s", id=request_id), "success")
    else:
        flash(_("请填写理由"), "error")
    return redirect(url_for("credit_reports.staff_queue"))


@bp.post("/staff/credit-reports/<int:request_id>/merge-buyer")
@roles_required("insurer")
def staff_merge_buyer(request_id: int) -> Any:
    form = MergeBuyerForm()
    if form.validate_on_submit():
        try:
            keep = service.merge_buyer(current_actor(), request_id, form.party.data or 0, now=now())
        except ServiceError as exc:
            flash(f"#{request_id}: {exc.message}", "error")
        else:
            flash(_("申请 #%(id)s 的买方已并入 %(name)s", id=request_id, name=keep.name), "success")
    else:
        flash(_("请选择买方"), "error")
    return redirect(url_for("credit_reports.staff_queue", status=request.args.get("status", "all")))


@bp.get("/staff/credit-reports/<int:request_id>/report.pdf")
@roles_required("insurer")
def staff_download(request_id: int) -> Any:
    return _download(request_id)
