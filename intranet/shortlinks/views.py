"""`GET /s/<code>`: 302 to the link's target on this site; 404 when unknown or expired."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template
from flask_babel import gettext as _

from ..clock import now
from ..limits import limit
from . import service

bp = Blueprint("shortlinks", __name__)

@bp.get(f"{service.PREFIX}<code>")
@limit("LIMIT_SHORT_LINK_PER_ADDRESS", scope="short-link")
def follow(code: str) -> Any:
    target = service.resolve(code, now())
    if target is None:
        message = _("这个短链接不存在或已过期。请登录平台查看，或拨打咨询热线。")
        return render_template("errors/error.html", status=404, message=message), 404
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
