from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from ..clock import now
from ..errors import ServiceError
from ..extensions import db, login_manager
from ..forms_support import attach_error
from . import service
from .forms import ActivateForm, LoginForm, LogoutForm
from .models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录")
login_manager.localize_callback = str  # the flash is stored in the session: translate it now
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _home_for(user: User) -> str:
    return url_for("portal.home") if user.role == "enterprise" else url_for("main.staff_home")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.identifier.data or "", form.password.data or "", now=now(), ip=request.remote_addr
            )
        except ServiceError as exc:
            attach_error(form, exc, "password")
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("您已退出"), "info")
    return redirect(url_for("main.home"))


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str) -> Any:
    try:
        service.check_activation_token(token, now=now())
    except ServiceError as exc:
        return render_template("auth/activate_invalid.html", message=str(exc.message)), exc.status
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = service.activate(token, form.password.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "password")
        else:
            login_user(user)
            flash(_("账号已激活"), "success")
            return redirect(_home_for(user))
    return render_template("auth/activate.html", form=form)


@bp.app_context_processor
def inject_logout_form() -> dict[str, Any]:
    # message templates are also rendered outside requests (CLI, notifier): no user there
    if not has_request_context() or not current_user.is_authenticated:
        return {"logout_form": None}
    return {"logout_form": LogoutForm(formdata=None)}  # never parse the body (e.g. a refused upload)
