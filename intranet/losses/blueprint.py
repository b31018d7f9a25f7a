"""The losses blueprint: the enterprise pages (views.py) and the insurer pages (staff_views.py) both
add their routes to it; the app factory imports both and registers it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("losses", __name__)
