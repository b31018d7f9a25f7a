from __future__ import annotations

from flask import Blueprint

bp = Blueprint("districts", __name__)
