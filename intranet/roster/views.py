from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from ..security import roles_required

bp = Blueprint("roster", __name__, url_prefix="/staff/roster")


@bp.get("/")
@roles_required("bureau", "insurer")
def index() -> Any:
    return render_template("roster/staff/index.html")
