"""The enterprise's users (/portal/colleagues): everyone sees who they are and what they did; the
administrator invites, sets permissions and removes."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..actors import current_actor
from ..audit.actions import action_label
from ..auth.models import User
from ..clock import now
from ..errors import Forbidden, ServiceError
from ..forms_support import attach_error
from ..security import PERMISSION_LABELS, roles_required
from . import colleagues
from .colleague_forms import InviteForm, PermissionsForm, RemoveForm

bp = Blueprint("colleagues", __name__)


def _me() -> User:
    user = cast(User, current_actor())
    if user.enterprise_id is None:
        abort(404)
    return user


def _page(invite_form: InviteForm | None = None, status: int = 200) -> Any:
    me = _me()
    assert me.enterprise_id is not None  # noqa: S101 - checked by _me
    admin = colleagues.is_administrator(me)
    people = colleagues.members(me.enterprise_id)
    rows = []
    for user in people:
        form = PermissionsForm(formdata=None, prefix=f"u{user.id}", obj=user)
        rows.append({"user": user, "form": form, "remove": RemoveForm(formdata=None, prefix=f"r{user.id}")})
    return render_template(
        "enterprises/colleagues.html",
        me=me,
        admin=admin,
        administrator=people[0] if people and colleagues.is_administrator(people[0]) else None,
        rows=rows,
        invite_form=invite_form or InviteForm(formdata=None),
        activity=colleagues.recent_activity(me.enterprise_id),
        permissions=colleagues.PERMISSIONS,
        permission_labels=PERMISSION_LABELS,
        action_labels=colleagues.ACTION_LABELS,
        action_label=action_label,
    ), status


@bp.get("/portal/colleagues")
@roles_required("enterprise")
def index() -> Any:
    return _page()


@bp.post("/portal/colleagues/invite")
@roles_required("enterprise")
def invite() -> Any:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = colleagues.invite(
                _me(),
                display_name=form.display_name.data or "",
                email=form.email.data,
                mobile=form.mobile.data,
                permissions=form.chosen(),
                now=now(),
            )
        except Forbidden as exc:
            flash(str(exc.message), "error")
            return _page(status=exc.status)
        except ServiceError as exc:
            attach_error(form, exc, "email")
            return _page(form, exc.status)
        flash(_("邀请已发送至 %(to)s", to=user.label()), "success")
        return redirect(url_for("colleagues.index"))
    return _page(form, 422)


@bp.post("/portal/colleagues/<int:user_id>/permissions")
@roles_required("enterprise")
def permissions(user_id: int) -> Any:
    form = PermissionsForm(prefix=f"u{user_id}")
    if form.validate_on_submit():
        try:
            colleagues.set_permissions(_me(), user_id, form.chosen(), now=now())
        except ServiceError as exc:
            flash(str(exc.message), "error")
            return _page(status=exc.status)
        flash(_("权限已保存"), "success")
    return redirect(url_for("colleagues.index"))


@bp.post("/portal/colleagues/<int:user_id>/remove")
@roles_required("enterprise")
def remove(user_id: int) -> Any:
    form = RemoveForm(prefix=f"r{user_id}")
    if form.validate_on_submit():
        try:
            user = colleagues.remove(_me(), user_id, now=now())
        except ServiceError as exc:
            flash(str(exc.message), "error")
            return _page(status=exc.status)
        flash(_("已移除 %(who)s，其登录已失效", who=user.label()), "success")
    return redirect(url_for("colleagues.index"))
