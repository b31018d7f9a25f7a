from __future__ import annotations

from flask import Blueprint

bp = Blueprint("credit_reports", __name__)
