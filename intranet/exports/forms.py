from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class ExportForm(FlaskForm):
    """An export button: CSRF, and the page's request token (one export per click)."""

    token = HiddenField()
