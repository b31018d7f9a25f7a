from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("notices_public", __name__)


@bp.get("/notices")
def index() -> Any:
    return render_template("roster/public/index.html")
