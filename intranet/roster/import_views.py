"""Bureau staff import a roster file: upload → progress → report → import → result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import now
from ..districts.models import District
from ..errors import ServiceError
from ..extensions import db
from ..forms_support import attach_error
from ..i18n import localized
from ..programmes import service as programmes
from ..programmes.models import Programme
from ..security import roles_required
from . import drafts
from .import_forms import ApplyForm, UploadForm
from .importing import jobs, report, template
from .models import ImportJob, Roster
from .notice_service import roster_label

bp = Blueprint("roster_import", __name__, url_prefix="/staff/roster/import")
ERRORS_PER_PAGE = 200
OVER_SHOWN = 500  # over-threshold rows listed on the report; the download has them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_form() -> UploadForm:
    form = UploadForm()
    choices = [(p.year, f"{p.year} · {localized(p, 'name')}") for p in programmes.list_programmes()]
    form.programme.choices = [("", _("请选择统保年度")), *choices]
    if form.programme.data is None:
        current = programmes.current_programme(now(), drafts=True)
        form.programme.data = current.year if current else None
    return form


def _recent() -> list[ImportJob]:
    return list(db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(10)))


@bp.route("/", methods=["GET", "POST"])
@roles_required("bureau")
def new() -> Any:
    form = _upload_form()
    if form.validate_on_submit():
        try:
            programme = programmes.get_programme(form.programme.data)
            job = jobs.upload(current_user, programme, form.file.data, now=now())
        except ServiceError as exc:
            attach_error(form, exc, "file")
        else:
            return redirect(url_for(".show", job_id=job.id))
    status = 422 if form.errors else 200
    return render_template("roster/import/new.html", form=form, recent=_recent()), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Any:
    # the body was refused unread: mark the form data as parsed (empty) so that no form on the
    # page (ours, the layout's logout form) tries to read it again and re-raises the 413
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    form = UploadForm(formdata=None)
    form.programme.choices = [
        ("", _("请选择统保年度")),
        *((p.year, f"{p.year} · {localized(p, 'name')}") for p in programmes.list_programmes()),
    ]
    limit = (request.max_content_length or 0) // (1024 * 1024)
    form.file.errors = [_("文件过大，上限为 %(mb)s MB", mb=limit)]
    return render_template("roster/import/new.html", form=form, recent=_recent()), 413


@bp.get("/<int:job_id>")
@roles_required("bureau")
def show(job_id: int) -> Any:
    job = jobs.current_job(job_id, now=now())
    if job.status in jobs.RUNNING:
        return render_template("roster/import/progress.html", job=job)
    programme = db.session.get(Programme, job.programme_id)
    if job.status == "done":
        roster_url = url_for("roster.index") if "roster.index" in current_app.view_functions else None
        roster = db.session.get(Roster, job.roster_id) if job.roster_id else None
        return render_template(
            "roster/import/result.html",
            job=job,
            programme=programme,
            roster_url=roster_url,
            roster_name=roster_label(roster) if roster is not None else None,
        )
    assert programme is not None  # a foreign key
    form = ApplyForm()
    acceptable = jobs.acceptable_rows(job)
    form.accept.choices = [(row, str(row)) for row in sorted(acceptable)]
    _targets(form, programme)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    errors = job.errors[(page - 1) * ERRORS_PER_PAGE : page * ERRORS_PER_PAGE]
    pages = max((len(job.errors) + ERRORS_PER_PAGE - 1) // ERRORS_PER_PAGE, 1)
    return render_template(
        "roster/import/report.html",
        job=job,
        programme=programme,
        form=form,
        errors=errors,
        page=page,
        pages=pages,
        acceptable=acceptable,
        bad_rows=len({e["row"] for e in job.errors}),
        over=(job.over_threshold or [])[:OVER_SHOWN],
    )


def _targets(form: ApplyForm, programme: Programme) -> None:
    form.target.choices = [(t.value, str(t.label)) for t in drafts.import_targets(programme)]
    if not form.target.data:
        form.target.data = drafts.default_target(programme)


@bp.get("/<int:job_id>/status")
@roles_required("bureau")
def status(job_id: int) -> Any:
    job = jobs.current_job(job_id, now=now())
    return jsonify(
        {
            "status": job.status,
            "phase": job.phase,
            "progress": job.progress,
            "done": job.status not in jobs.RUNNING,
            "url": url_for(".show", job_id=job.id),
        }
    )


@bp.post("/<int:job_id>/apply")
@roles_required("bureau")
def apply(job_id: int) -> Any:
    job = jobs.get_job(job_id)
    form = ApplyForm()
    form.accept.choices = [(row, str(row)) for row in sorted(jobs.acceptable_rows(job))]
    programme = db.session.get(Programme, job.programme_id)
    assert programme is not None  # a foreign key
    _targets(form, programme)
    if form.validate_on_submit():
        try:
            jobs.apply(
                current_user,
                job.id,
                accept_good_rows=bool(form.submit_good.data),
                accepted_rows=list(form.accept.data or []),
                now=now(),
                target=form.target.data,
            )
        except ServiceError as exc:
            flash(str(exc.message), "error")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
    return redirect(url_for(".show", job_id=job.id))


@bp.get("/<int:job_id>/errors.<fmt>")
@roles_required("bureau")
def error_report(job_id: int, fmt: str) -> Any:
    job = jobs.get_job(job_id)
    name = f"import-{job.id}-errors.{fmt}"
    if fmt == "csv":
        body, mimetype = report.as_csv(job.errors), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = report.as_xlsx(job.errors), XLSX
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<int:job_id>/over-threshold.<fmt>")
@roles_required("bureau")
def over_threshold(job_id: int, fmt: str) -> Any:
    """The rows above the threshold (kept off the roster), for the bureau to check."""
    rows = jobs.get_job(job_id).over_threshold or []
    if fmt == "csv":
        body, mimetype = report.over_threshold_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = report.over_threshold_xlsx(rows), XLSX
    else:
        abort(404)
    name = f"import-{job_id}-over-threshold.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/template.xlsx")
@roles_required("bureau")
def template_file() -> Any:
    """An empty roster with the headers, one example row, and the rules on a second sheet."""
    programme = programmes.current_programme(now(), drafts=True)
    names = list(db.session.scalars(select(District.name_zh).order_by(District.sort)))
    body = template.build(programme, names)
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'})
