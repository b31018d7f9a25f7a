from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_losses", __name__, url_prefix="/api/v1")
