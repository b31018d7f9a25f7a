"""Insurer pages under /staff/policies: the issuance queue, the policy list, a policy, revoking."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import confirmations
from ..clock import now
from ..errors import ServiceError
from ..forms_support import attach_error
from ..pagination import page_arg, paginate
from ..programmes import service as programmes
from ..programmes.requested import requested_year
from ..security import roles_required, staff_required
from ..tasks import service as tasks
from . import bulk, lapsing, queries, rules, service
from .forms import ActionForm, RevokeForm
from .models import PolicyStatus

bp = Blueprint("policies", __name__, url_prefix="/staff/policies")

STATUS_LABELS = {
    PolicyStatus.CLAIMED: "已领取，待签发",
    PolicyStatus.ISSUED: "已签发",
    PolicyStatus.REVOKED: "已撤销",
    PolicyStatus.LAPSED: "已失效",
}


@bp.app_context_processor
def policy_labels() -> dict[str, Any]:
    return {
        "policy_status_label": lambda status: _(STATUS_LABELS.get(status, status)),
        "lapsed_reason": lambda policy: str(lapsing.reason(policy)),
    }


@bp.get("/queue")
@staff_required
def queue() -> Any:
    moment = now()
    page = paginate(queries.queue_query(now=moment), page_arg(request.args.get("page")), per_page=100)
    return render_template(
        "policies/queue.html",
        rows=queries.queue_rows(page.items, moment),
        page=page,
        counts=queries.queue_counts(moment),
        today=moment,
        form=ActionForm(),
    )


@bp.post("/queue/issue-all")
@roles_required("insurer")
def issue_all() -> Any:
    if ActionForm().validate_on_submit():
        step = confirmations.confirm(
            bulk.issue_all_plan, lambda: bulk.queue_issue_all(current_user, now=now()), back=url_for("policies.queue")
        )
        if step.page is not None:
            return step.page
        assert step.result is not None
        return redirect(url_for("policies.issue_progress", batch=step.result.batch))
    return redirect(url_for("policies.queue"))


@bp.get("/queue/issuing/<batch>")
@roles_required("insurer")
def issue_progress(batch: str) -> Any:
    progress = tasks.batch_progress(batch)
    if not progress.total:
        abort(404)
    skipped = [r for r in tasks.batch_results(batch) if not r.get("issued")] if progress.finished else []
    return render_template("policies/issuing.html", progress=progress, skipped=skipped, batch=batch)


@bp.post("/<int:policy_id>/issue")
@roles_required("insurer")
def issue(policy_id: int) -> Any:
    if ActionForm().validate_on_submit():
        try:
            policy = service.issue(current_user, policy_id, now=now())
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(_("已签发保单 %(no)s", no=policy.policy_no), "success")
    target = request.form.get("next") or ""
    if target == "queue":
        return redirect(url_for("policies.queue"))
    return redirect(url_for("policies.show", policy_id=policy_id))


@bp.get("/")
@staff_required
def index() -> Any:
    status = request.args.get("status") or None
    if status not in {s.value for s in PolicyStatus}:
        status = None
    q = (request.args.get("q") or "").strip()[:100]
    stmt = queries.staff_query(status=status, year=requested_year(), q=q)
    page = paginate(stmt, page_arg(request.args.get("page")), per_page=50)
    return render_template(
        "policies/list.html",
        page=page,
        status=status,
        year=requested_year(),
        q=q,
        programmes=programmes.list_programmes(),
        statuses=list(PolicyStatus),
    )


@bp.route("/<int:policy_id>", methods=["GET", "POST"])
@staff_required
def show(policy_id: int) -> Any:
    policy = service.get_policy(policy_id)
    form = RevokeForm()
    if request.method == "POST":
        if current_user.role != "insurer":
            return render_template("errors/error.html", status=403, message=None), 403
        if form.validate_on_submit():
            try:
                service.revoke(current_user, policy_id, form.reason.data or "", now=now())
            except ServiceError as exc:
                attach_error(form, exc, "reason")
            else:
                flash(_("保单已撤销"), "success")
                return redirect(url_for("policies.show", policy_id=policy_id))
    moment = now()
    waiting = rules.days_waiting(policy.claimed_at, moment) if policy.status == PolicyStatus.CLAIMED else None
    download = None
    if policy.issued_at is not None and "certificates.download" in current_app.view_functions:
        download = url_for("certificates.download", policy_id=policy.id)
    status = 422 if form.errors else 200
    return render_template(
        "policies/show.html",
        policy=policy,
        form=form,
        action_form=ActionForm(),
        waiting=waiting,
        overdue=waiting is not None and rules.is_overdue(policy.programme, policy.claimed_at, moment),
        download=download,
    ), status
