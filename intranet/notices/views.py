"""Risk notices: insurer pages under /staff/notices, the enterprise's reading list under /portal/notices."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import confirmations
from ..clock import now, shanghai
from ..countries import country_label
from ..errors import ServiceError
from ..forms_support import attach_error
from ..i18n import current_language
from ..pagination import page_arg, paginate
from ..security import roles_required, staff_required
from . import service
from .forms import CATEGORY_LABELS, ActionForm, NoticeForm

bp = Blueprint("notices", __name__)


def _input(form: NoticeForm) -> service.NoticeInput:
    return service.NoticeInput(
        title=form.title.data or "",
        body_md=form.body_md.data or "",
        category=form.category.data or "",
        month=form.month.data or "",
        countries=list(form.countries.data or []),
    )


def _labels() -> dict[str, Any]:
    language = current_language()
    return {"categories": CATEGORY_LABELS, "country_name": lambda code: country_label(code, language)}


# --- staff -------------------------------------------------------------------------------------


@bp.get("/staff/notices")
@staff_required
def staff_index() -> Any:
    status = request.args.get("status") or None
    page = paginate(service.staff_query(status), page_arg(request.args.get("page")), per_page=30)
    return render_template("notices/staff_list.html", page=page, status=status, **_labels())


def _editor(form: NoticeForm, notice: Any, save: Any) -> Any:
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = service.render_markdown(form.body_md.data or "")
        else:
            try:
                saved = save(_input(form))
            except ServiceError as exc:
                attach_error(form, exc)
            else:
                flash(_("草稿已保存"), "success")
                return redirect(url_for("notices.staff_show", notice_id=saved.id))
    status = 422 if form.errors else 200
    return render_template("notices/edit.html", form=form, notice=notice, preview=preview, **_labels()), status


@bp.route("/staff/notices/new", methods=["GET", "POST"])
@roles_required("insurer")
def new() -> Any:
    form = NoticeForm()
    if request.method == "GET":
        form.month.data = shanghai(now()).strftime("%Y-%m")
    return _editor(form, None, lambda data: service.create_draft(current_user, data, now=now()))


@bp.route("/staff/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@roles_required("insurer")
def edit(notice_id: int) -> Any:
    notice = service.get_notice(notice_id)
    form = NoticeForm(obj=notice)
    return _editor(form, notice, lambda data: service.update_draft(current_user, notice, data, now=now()))


@bp.get("/staff/notices/<int:notice_id>")
@staff_required
def staff_show(notice_id: int) -> Any:
    notice = service.get_notice(notice_id)
    return render_template(
        "notices/staff_show.html",
        notice=notice,
        body=service.render_markdown(notice.body_md),
        action_form=ActionForm(),
        **_labels(),
    )


@bp.post("/staff/notices/<int:notice_id>/publish")
@roles_required("insurer")
def publish(notice_id: int) -> Any:
    notice = service.get_notice(notice_id)
    back = url_for("notices.staff_show", notice_id=notice.id)
    if ActionForm().validate_on_submit():
        return confirmations.confirmed_redirect(
            lambda: service.publish_plan(notice, now=now()),
            lambda: service.publish(current_user, notice, now=now()),
            back=back,
            done=lambda _published: _("通报已发布，将于每月1日推送给有效保单企业"),
        )
    return redirect(back)


@bp.post("/staff/notices/<int:notice_id>/archive")
@roles_required("insurer")
def archive(notice_id: int) -> Any:
    notice = service.get_notice(notice_id)
    if ActionForm().validate_on_submit():
        service.archive(current_user, notice, now=now())
        flash(_("通报已归档"), "success")
    return redirect(url_for("notices.staff_show", notice_id=notice.id))


# --- enterprise portal -------------------------------------------------------------------------


@bp.get("/portal/notices")
@roles_required("enterprise")
def portal_index() -> Any:
    country = (request.args.get("country") or "").strip().upper()
    page = paginate(service.portal_query(country), page_arg(request.args.get("page")), per_page=20)
    return render_template(
        "notices/portal_list.html",
        page=page,
        country=country,
        countries=service.published_countries(),
        **_labels(),
    )


@bp.get("/portal/notices/<int:notice_id>")
@roles_required("enterprise")
def portal_show(notice_id: int) -> Any:
    notice = service.get_published(notice_id)
    return render_template(
        "notices/portal_show.html", notice=notice, body=service.render_markdown(notice.body_md), **_labels()
    )
