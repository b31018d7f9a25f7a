"""The enterprise's /portal/consultations: ask a question (topic, text, optional attachment), read
each thread, add to it, download its files. Another enterprise's thread is 404."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..actors import current_actor
from ..clock import now
from ..errors import ServiceError
from ..forms_support import attach_error
from ..losses import attachments as files
from ..security import roles_required
from ..storage import service as storage
from . import service
from .blueprint import bp
from .forms import AskForm, ReplyForm


def upload_of(form: AskForm | ReplyForm) -> files.Upload | None:
    """The form's attachment, checked (type, bytes, the kind's size limit), or None."""
    item = form.attachment.data
    name = getattr(item, "filename", None)
    if not name:
        return None
    return service.read_upload(str(name), item.stream)


@bp.route("/portal/consultations", methods=["GET", "POST"])
@roles_required("enterprise")
def portal_index() -> Any:
    actor = current_actor()
    form = AskForm()
    if form.validate_on_submit():
        try:
            row = service.ask(
                actor,
                topic=form.topic.data or "",
                text=form.text.data or "",
                upload=upload_of(form),
                now=now(),
            )
        except ServiceError as exc:
            attach_error(form, exc, "text")
        else:
            flash(_("咨询 #%(id)s 已提交，客户经理会尽快答复", id=row.id), "success")
            return redirect(url_for("consultations.portal_thread", consultation_id=row.id))
    status = 422 if form.errors else 200
    return render_template("consultations/portal_index.html", form=form, threads=service.for_enterprise(actor)), status


@bp.route("/portal/consultations/<int:consultation_id>", methods=["GET", "POST"])
@roles_required("enterprise")
def portal_thread(consultation_id: int) -> Any:
    actor = current_actor()
    row = service.get_visible(actor, consultation_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            service.follow_up(actor, row.id, text=form.text.data or "", upload=upload_of(form), now=now())
        except ServiceError as exc:
            attach_error(form, exc, "text")
        else:
            flash(_("已补充咨询 #%(id)s", id=row.id), "success")
            return redirect(url_for("consultations.portal_thread", consultation_id=row.id))
    status = 422 if form.errors else 200
    return render_template(
        "consultations/thread.html", row=row, form=form, file_endpoint="consultations.portal_file", staff=False
    ), status


@bp.get("/portal/consultations/<int:consultation_id>/files/<int:message_id>")
@roles_required("enterprise")
def portal_file(consultation_id: int, message_id: int) -> Any:
    message, stored = service.attachment(current_actor(), consultation_id, message_id)
    return storage.download(stored, filename=message.filename)
