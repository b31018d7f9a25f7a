"""The insurer's desk /staff/consultations (the questions, oldest waiting first; a thread and its
answer form) and the bureau's /staff/consultations/counts (counts per district, no text)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..actors import current_actor
from ..clock import now
from ..districts.service import districts
from ..errors import ServiceError
from ..forms_support import attach_error
from ..pagination import page_arg, paginate
from ..security import roles_required
from ..storage import service as storage
from . import counts, service
from .blueprint import bp
from .forms import ReplyForm
from .labels import STATUS_LABELS
from .overdue import reply_time
from .views import upload_of


def _district_arg() -> int | None:
    value = request.args.get("district", "")
    return int(value) if value.isdigit() else None


@bp.get("/staff/consultations")
@roles_required(*service.STAFF)
def staff_queue() -> Any:
    status = request.args.get("status", "open")
    district_id = _district_arg()
    stmt = service.queue_query(current_actor(), status, district_id)
    page = paginate(stmt, page_arg(request.args.get("page", 1)))
    moment = now()
    reply = reply_time(moment)
    return render_template(
        "consultations/staff_queue.html",
        page=page,
        status=status,
        statuses=list(STATUS_LABELS),
        district_id=district_id,
        districts=districts(),
        overdue={row.id for row in page.items if reply.is_overdue(row, moment)},
    )


@bp.route("/staff/consultations/<int:consultation_id>", methods=["GET", "POST"])
@roles_required(*service.STAFF)
def staff_thread(consultation_id: int) -> Any:
    actor = current_actor()
    row = service.get_visible(actor, consultation_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            service.answer(actor, row.id, text=form.text.data or "", upload=upload_of(form), now=now())
        except ServiceError as exc:
            attach_error(form, exc, "text")
        else:
            flash(_("已答复咨询 #%(id)s，已通知企业", id=row.id), "success")
            return redirect(url_for("consultations.staff_queue"))
    moment = now()
    reply = reply_time(moment)
    return render_template(
        "consultations/thread.html",
        row=row,
        form=form,
        file_endpoint="consultations.staff_file",
        staff=True,
        overdue=reply.is_overdue(row, moment),
        deadline=reply.deadline(row.waiting_since),
        reply_days=reply.days,
    ), (422 if form.errors else 200)


@bp.get("/staff/consultations/<int:consultation_id>/files/<int:message_id>")
@roles_required(*service.STAFF)
def staff_file(consultation_id: int, message_id: int) -> Any:
    message, stored = service.attachment(current_actor(), consultation_id, message_id)
    return storage.download(stored, filename=message.filename)


@bp.get("/staff/consultations/counts")
@roles_required(*counts.READERS)
def counts_page() -> Any:
    moment = now()
    reply = reply_time(moment)
    rows, total = counts.by_district(current_actor(), now=moment, reply=reply)
    return render_template("consultations/counts.html", rows=rows, total=total, reply_days=reply.days)
