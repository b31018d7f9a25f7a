"""Account pages: a forgotten password (by e-mail link or SMS code) and one's contact e-mail and mobile.

The forgotten-password form answers the same page whether or not the account exists; its posts are
limited per address and per account (whoever asks), before anything is looked up."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..actors import current_actor
from ..clock import now
from ..errors import ServiceError
from ..forms_support import attach_error
from ..limits import limit, password_check_slot
from ..uscc import normalize_uscc
from . import contact, recovery, sessions
from .account_forms import CodeResetForm, ConfirmCodeForm, ContactForm, ForgotForm, NewPasswordForm
from .codes import VALID_FOR
from .models import CodePurpose, User
from .service import looks_like_mobile, normalize_mobile

bp = Blueprint("accounts", __name__)

RESET_KEY = "reset_identifier"
KINDS = {"email": CodePurpose.EMAIL, "mobile": CodePurpose.MOBILE}


def _asked_account() -> str:
    """The account a reset is asked for, normalised, wherever it is asked from."""
    raw = (request.form.get("identifier") or "").strip()[:254]
    if "@" in raw:
        return f"reset|{raw.lower()}"
    return f"reset|{normalize_mobile(raw) if looks_like_mobile(raw) else normalize_uscc(raw)}"


def _minutes() -> int:
    return int(VALID_FOR.total_seconds() // 60)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit("LIMIT_RESET_PER_ADDRESS", methods=["POST"], scope="reset-address")
@limit("LIMIT_RESET_PER_ACCOUNT", methods=["POST"], key_func=_asked_account, scope="reset-account")
def forgot() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        identifier = (form.identifier.data or "").strip()
        try:
            recovery.request_reset(identifier, form.channel.data or "email", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "channel")
        else:
            session[RESET_KEY] = identifier
            return redirect(url_for("accounts.reset_sent", via=form.channel.data))
    return render_template("auth/forgot.html", form=form, minutes=_minutes())


@bp.get("/password/reset/sent")
def reset_sent() -> Any:
    via = "sms" if request.args.get("via") == "sms" else "email"
    return render_template("auth/reset_sent.html", via=via, minutes=_minutes())


@bp.route("/password/reset/code", methods=["GET", "POST"])
@limit("LIMIT_CODE_ENTRY_PER_ADDRESS", methods=["POST"], scope="code-entry")
def reset_by_code() -> Any:
    form = CodeResetForm()
    if request.method == "GET" and session.get(RESET_KEY):
        form.identifier.data = session[RESET_KEY]
    if form.validate_on_submit():
        try:
            with password_check_slot():
                recovery.reset_by_code(
                    form.identifier.data or "", form.code.data or "", form.password.data or "", now=now()
                )
        except ServiceError as exc:
            attach_error(form, exc, "code")
        else:
            return _reset_done()
    return render_template("auth/reset_code.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limit("LIMIT_CODE_ENTRY_PER_ADDRESS", methods=["POST"], scope="code-entry")
def reset_by_link(token: str) -> Any:
    if not recovery.link_is_valid(token, now=now()):
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with password_check_slot():
                recovery.reset_by_link(token, form.password.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "password")
        else:
            return _reset_done()
    return render_template("auth/reset_link.html", form=form)


def _reset_done() -> Any:
    session.pop(RESET_KEY, None)
    if current_user.is_authenticated:
        logout_user()
    flash(_("密码已重置，请用新密码登录；其他设备上的登录已退出"), "success")
    return redirect(url_for("auth.login"))


# --- contact e-mail and mobile ---------------------------------------------------------------------


def _contact_page(
    forms: dict[str, ContactForm] | None = None, confirms: dict[str, ConfirmCodeForm] | None = None
) -> Any:
    user = cast(User, current_actor())
    forms = forms or {}
    confirms = confirms or {}
    rows = []
    for name, kind in KINDS.items():
        rows.append(
            {
                "name": name,
                "current": user.email if name == "email" else user.mobile,
                "pending": contact.pending(user, kind, now=now()),
                "form": forms.get(name) or ContactForm(formdata=None, prefix=name),
                "confirm": confirms.get(name) or ConfirmCodeForm(formdata=None, prefix=f"{name}-confirm"),
            }
        )
    return render_template("auth/contact.html", rows=rows, minutes=_minutes())


@bp.get("/account/contact")
@login_required
def contact_page() -> Any:
    return _contact_page()


@bp.post("/account/contact/<name>")
@login_required
@limit("LIMIT_RESET_PER_ADDRESS", scope="contact-request")
def contact_request(name: str) -> Any:
    kind = KINDS.get(name)
    if kind is None:
        return redirect(url_for("accounts.contact_page"))
    form = ContactForm(prefix=name)
    if form.validate_on_submit():
        try:
            sent_to = contact.request_change(cast(User, current_actor()), kind, form.value.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "value")
        else:
            flash(_("验证码已发送至 %(to)s，%(n)s 分钟内有效", to=sent_to, n=_minutes()), "info")
            return redirect(url_for("accounts.contact_page"))
    return _contact_page(forms={name: form}), 422


@bp.post("/account/contact/<name>/confirm")
@login_required
@limit("LIMIT_CODE_ENTRY_PER_ADDRESS", scope="code-entry")
def contact_confirm(name: str) -> Any:
    kind = KINDS.get(name)
    if kind is None:
        return redirect(url_for("accounts.contact_page"))
    form = ConfirmCodeForm(prefix=f"{name}-confirm")
    if form.validate_on_submit():
        user = cast(User, current_actor())
        try:
            contact.confirm_change(user, kind, form.code.data or "", now=now())
        except ServiceError as exc:
            attach_error(form, exc, "code")
        else:
            sessions.start(user)  # this browser stays signed in, with the new version
            flash(_("联系方式已更新，其他设备上的登录已退出"), "success")
            return redirect(url_for("accounts.contact_page"))
    return _contact_page(confirms={name: form}), 422
