from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from ..actors import current_actor
from ..clock import now
from ..errors import ServiceError
from ..extensions import login_manager
from ..forms_support import attach_error
from ..limits import limit, password_check_slot
from ..uscc import normalize_uscc
from . import service, sessions
from .forms import ActivateForm, ChangePasswordForm, LoginForm, LogoutForm
from .models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("请先登录")
login_manager.localize_callback = str  # the flash is stored in the session: translate it now
login_manager.login_message_category = "info"


login_manager.user_loader(sessions.load_user)


def _home_for(user: User) -> str:
    return url_for("portal.home") if user.role == "enterprise" else url_for("main.staff_home")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _account_at_address() -> str:
    """The login's account (as typed, normalised) at the client's address: failures count here."""
    raw = (request.form.get("identifier") or "").strip()[:254]
    account = raw.lower() if "@" in raw else normalize_uscc(raw)
    return f"{request.remote_addr or 'unknown'}|{account}"


def _login_failed(_response: Any) -> bool:
    return bool(g.get("login_failed"))


# Both limits are checked before the view runs, so before any password hash is computed: every
# post from one address, and the failed ones for one account from that address (a guesser slows
# the account down where it guesses, never for its owner elsewhere).
@bp.route("/login", methods=["GET", "POST"])
@limit("LIMIT_LOGIN_PER_ADDRESS", methods=["POST"], scope="login-address")
@limit(
    "LIMIT_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    methods=["POST"],
    key_func=_account_at_address,
    deduct_when=_login_failed,
    scope="login-account",
)
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with password_check_slot():
                user = service.authenticate(
                    form.identifier.data or "", form.password.data or "", now=now(), ip=request.remote_addr
                )
        except ServiceError as exc:
            g.login_failed = True
            attach_error(form, exc, "password")
        else:
            sessions.start(user)
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template(
        "auth/login.html",
        form=form,
        staff_idle_minutes=int(sessions.IDLE_LIMIT_STAFF.total_seconds() // 60),
        enterprise_idle_hours=int(sessions.IDLE_LIMIT_ENTERPRISE.total_seconds() // 3600),
    )


@bp.post("/logout")
@login_required
def logout() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        service.logout(cast(User, current_actor()))
        logout_user()
        flash(_("您已退出"), "info")
    return redirect(url_for("main.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limit("LIMIT_PASSWORD_CHANGE_PER_ADDRESS", methods=["POST"], scope="password-change")
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = cast(User, current_actor())
        try:
            with password_check_slot():
                service.change_password(user, form.current.data or "", form.password.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "password")
        else:
            sessions.start(user)  # this browser stays signed in, with the new version
            flash(_("密码已修改，其他设备上的登录已退出"), "success")
            return redirect(_home_for(user))
    return render_template("auth/change_password.html", form=form)


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limit("LIMIT_ACTIVATION_PER_ADDRESS", methods=["POST"], scope="activation")
def activate(token: str) -> Any:
    try:
        service.check_activation_token(token, now=now())
    except ServiceError as exc:
        return render_template("auth/activate_invalid.html", message=str(exc.message)), exc.status
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            with password_check_slot():
                user = service.activate(token, form.password.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "password")
        else:
            sessions.start(user)
            flash(_("账号已激活"), "success")
            return redirect(_home_for(user))
    return render_template("auth/activate.html", form=form)


@bp.app_context_processor
def inject_logout_form() -> dict[str, Any]:
    # message templates are also rendered outside requests (CLI, notifier): no user there
    if not has_request_context() or not current_user.is_authenticated:
        return {"logout_form": None}
    return {"logout_form": LogoutForm(formdata=None)}  # never parse the body (e.g. a refused upload)
