"""The enterprise's contact preferences (/portal/notifications) and the one-click opt-out link
that every monthly notice carries (/notifications/opt-out/<signed token>, no login needed)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..actors import PUBLIC
from ..clock import now
from ..errors import ServiceError
from ..extensions import csrf, db
from ..forms_support import attach_error
from ..security import roles_required
from . import preferences
from .forms import OptOutForm, PreferencesForm
from .models import Enterprise

bp = Blueprint("preferences", __name__)


def _own_enterprise() -> Enterprise:
    enterprise = db.session.get(Enterprise, current_user.enterprise_id) if current_user.enterprise_id else None
    if enterprise is None:
        abort(404)
    return enterprise


@bp.route("/portal/notifications", methods=["GET", "POST"])
@roles_required("enterprise")
def edit() -> Any:
    enterprise = _own_enterprise()
    form = PreferencesForm(obj=enterprise if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            preferences.update(
                current_user,
                enterprise,
                notify_email=bool(form.notify_email.data),
                notify_sms=bool(form.notify_sms.data),
                monthly_notices=bool(form.monthly_notices.data),
                now=now(),
            )
        except ServiceError as exc:
            db.session.rollback()
            attach_error(form, exc, "notify_email")
        else:
            flash(_("通知设置已保存"), "success")
            return redirect(url_for(".edit"))
    status = 422 if form.errors else 200
    return render_template("outbox/preferences.html", form=form, enterprise=enterprise), status


@bp.get("/notifications/opt-out/<token>")
def opt_out_page(token: str) -> Any:
    try:
        enterprise = preferences.enterprise_for_token(token)
    except ServiceError:
        abort(404)
    return render_template("outbox/opt_out.html", enterprise=enterprise, form=OptOutForm(), token=token)


@bp.post("/notifications/opt-out/<token>")
@csrf.exempt  # the signed token is the credential; mail clients POST here for one-click opt-out (RFC 8058)
def opt_out(token: str) -> Any:
    try:
        preferences.opt_out(PUBLIC, token, now=now())
    except ServiceError:
        abort(404)
    flash(_("已退订每月国别风险信息。领取提醒和服务消息仍会照常发送。"), "success")
    return redirect(url_for(".opt_out_page", token=token))
