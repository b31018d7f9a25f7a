"""Staff exports: rosters (with export amounts), policies and losses as .csv or .xlsx. A button
submits an export task; its page shows the progress and, once built, the file to download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..clock import now
from ..i18n import thaw
from ..programmes import service as programmes
from ..programmes.requested import required_programme
from ..security import roles_required
from ..storage import service as storage
from . import jobs, service
from .forms import ExportForm

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")


@bp.get("/")
@roles_required(*service.EXPORTERS)
def index() -> Any:
    return render_template(
        "exports/index.html",
        programme=required_programme(),
        programmes=programmes.list_programmes(),
        kinds=service.KINDS,
        form=ExportForm(token=jobs.new_request_token()),
    )


@bp.post("/<kind>.<fmt>")
@roles_required(*service.EXPORTERS)
def start(kind: str, fmt: str) -> Any:
    form = ExportForm()  # (CSRF is checked for every POST by the app)
    task = jobs.start(current_user, kind, fmt, required_programme(), form.token.data or "", now=now())
    return redirect(url_for("exports.progress", task_id=task.id), code=303)


@bp.get("/tasks/<int:task_id>")
@roles_required(*service.EXPORTERS)
def progress(task_id: int) -> Any:
    task = jobs.task_for(current_user, task_id)
    result = task.result or {}
    return render_template(
        "exports/progress.html",
        task=task,
        result=result,
        problem=thaw(result["error"]) if result.get("error") else None,
    )


@bp.get("/tasks/<int:task_id>/file")
@roles_required(*service.EXPORTERS)
def download(task_id: int) -> Any:
    task, stored = jobs.file_of(current_user, task_id)
    return storage.download(stored, filename=task.payload["filename"])
