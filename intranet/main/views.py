from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import heartbeat, site
from ..database import database_ok
from ..i18n import LANGUAGES
from ..programmes import service as programmes
from .services import online_services

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> Any:
    programme = programmes.current_programme()
    return render_template("main/home.html", programme=programme, overview=programmes.public_overview(programme))


@bp.get("/services")
def services() -> Any:
    """The services around the policy (public; linked from the home page and the portal)."""
    programme = programmes.current_programme()
    listed = online_services(programme) if programme is not None else []
    return render_template("main/services.html", programme=programme, services=listed)


@bp.get("/healthz")
def healthz() -> Any:
    if database_ok():
        return jsonify({"status": "ok", "database": "ok", "notifier": heartbeat.notifier_state()})
    response = jsonify({"status": "error", "database": "unreachable"})
    response.status_code = 503
    return response


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    target = request.args.get("next") or ""
    # only same-site relative paths: never an open redirect
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    return redirect(target)


@bp.get("/staff")
def staff_home() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "enterprise":
        return redirect(url_for("portal.home"))
    return render_template("main/staff_home.html")


@bp.get("/privacy")
def privacy() -> Any:
    """The privacy notice: what personal data is kept, why, for how long, and whom to ask."""
    return render_template(
        "main/privacy.html",
        footer=site.footer(),
        retention_days=site.retention_days(),
        programme=programmes.current_programme(),
    )
