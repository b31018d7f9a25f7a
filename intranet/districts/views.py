"""Districts and account managers (insurer staff maintain them; all staff may read), each
manager's worklist of unclaimed enterprises, and the contact log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clock import now, shanghai_date
from ..errors import ServiceError
from ..forms_support import attach_error
from ..pagination import page_arg, paginate
from ..programmes import service as programmes
from ..programmes.requested import requested_programme
from ..security import roles_required, staff_required
from . import service
from .forms import CHANNEL_LABELS, ContactForm, ManagerForm
from .worklist import contacts, get_enterprise, log_contact, waiting_questions, worklist_query

bp = Blueprint("districts", __name__, url_prefix="/staff/districts")


@bp.get("/")
@staff_required
def index() -> Any:
    return render_template(
        "districts/index.html",
        districts=service.districts(),
        managers=service.managers(),
        can_edit=current_user.role in service.EDITORS,
    )


def _manager_form(manager: Any) -> Any:
    form = ManagerForm(obj=manager, district_rows=service.districts())
    if manager is not None and request.method == "GET":
        form.districts.data = [d.id for d in manager.districts]
    if form.validate_on_submit():
        try:
            saved = service.save_manager(
                current_user,
                manager,
                name=form.name.data or "",
                phone=form.phone.data or "",
                email=form.email.data,
                district_ids=list(form.districts.data or []),
                active=bool(form.active.data),
                years=(form.from_year.data, form.to_year.data),
                now=now(),
            )
        except ServiceError as exc:
            attach_error(form, exc, "name")
        else:
            flash(_("客户经理 %(name)s 已保存", name=saved.name), "success")
            return redirect(url_for("districts.index"))
    return render_template("districts/manager_form.html", form=form, manager=manager), (422 if form.errors else 200)


@bp.route("/managers/new", methods=["GET", "POST"])
@roles_required(*service.EDITORS)
def new_manager() -> Any:
    return _manager_form(None)


@bp.route("/managers/<int:manager_id>/edit", methods=["GET", "POST"])
@roles_required(*service.EDITORS)
def edit_manager(manager_id: int) -> Any:
    return _manager_form(service.get_manager(manager_id))


@bp.get("/managers/<int:manager_id>/worklist")
@staff_required
def worklist(manager_id: int) -> Any:
    manager = service.get_manager(manager_id)
    programme = requested_programme(current_by_default=False)
    stmt = worklist_query(manager, programme, shanghai_date(now()))
    page = paginate(stmt, page_arg(request.args.get("page")), per_page=50, scalars=False)
    return render_template(
        "districts/worklist.html",
        manager=manager,
        programme=programme,
        programmes=programmes.list_programmes(),
        page=page,
        recent=contacts(manager, limit=10),
        channels=CHANNEL_LABELS,
        can_log=current_user.role in service.EDITORS,
        # the questions are for the insurer's staff: the bureau sees consultation counts only
        questions=waiting_questions(manager, now()) if current_user.role == "insurer" else None,
    )


@bp.route("/managers/<int:manager_id>/contacts/<int:enterprise_id>", methods=["GET", "POST"])
@roles_required(*service.EDITORS)
def contact(manager_id: int, enterprise_id: int) -> Any:
    manager = service.get_manager(manager_id)
    enterprise = get_enterprise(enterprise_id)
    programme = requested_programme(current_by_default=False)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            log_contact(
                current_user,
                manager,
                enterprise,
                programme,
                channel=form.channel.data or "",
                note=form.note.data or "",
                now=now(),
            )
        except ServiceError as exc:
            attach_error(form, exc, "note")
        else:
            flash(_("联系记录已保存"), "success")
            args: dict[str, Any] = {"programme": programme.year} if programme else {}
            return redirect(url_for("districts.worklist", manager_id=manager.id, **args))
    return render_template(
        "districts/contact.html",
        form=form,
        manager=manager,
        enterprise=enterprise,
        programme=programme,
        history=contacts(manager, enterprise.id, limit=50),
        channels=CHANNEL_LABELS,
    ), (422 if form.errors else 200)
