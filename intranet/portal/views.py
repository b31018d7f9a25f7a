from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..security import roles_required

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
@roles_required("enterprise")
def home() -> Any:
    return render_template("portal/home.html")
