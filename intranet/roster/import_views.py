from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roster_import", __name__, url_prefix="/staff/roster/import")
