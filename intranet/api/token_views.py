"""Staff page for the API's bearer tokens: list with last use, create (shown once), revoke.

The same services as `tongbao token create|list|revoke`; the raw token appears only in the
response to the POST that made it (never in a flash message or the session)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api_auth.tokens import TOKEN_MANAGERS, create_token, list_tokens, revoke_token
from ..clock import now
from ..errors import ServiceError
from ..forms_support import attach_error
from ..security import roles_required
from .forms import RevokeForm, TokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/staff/api-tokens")


def _page(form: TokenForm, raw: str | None = None, status: int = 200) -> Any:
    response = render_template(
        "api/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=list_tokens(current_user),
        raw=raw,
        now=now(),
    )
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/")
@roles_required(*TOKEN_MANAGERS)
def index() -> Any:
    return _page(TokenForm())


@bp.post("/")
@roles_required(*TOKEN_MANAGERS)
def create() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        _token, raw = create_token(
            current_user, form.name.data or "", now=now(), scopes=form.scopes.data or [], expires=form.expires.data
        )
    except ServiceError as exc:
        attach_error(form, exc, "name")
        return _page(form, status=422)
    return _page(TokenForm(formdata=None), raw=raw, status=201)


@bp.post("/<int:token_id>/revoke")
@roles_required(*TOKEN_MANAGERS)
def revoke(token_id: int) -> Any:
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = revoke_token(current_user, token_id, now=now())
    if token is None:
        abort(404)
    flash(_("令牌“%(name)s”已吊销，立即失效", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
