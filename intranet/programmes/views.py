from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__)
