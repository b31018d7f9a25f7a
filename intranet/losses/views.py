from __future__ import annotations

from flask import Blueprint

bp = Blueprint("losses", __name__)
