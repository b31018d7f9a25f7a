from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class ActionForm(FlaskForm):
    """A bare POST button (issue one, issue all): CSRF only."""

    submit = SubmitField(_l("确定"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("撤销原因"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("撤销保单"))


class ClaimForm(FlaskForm):
    submit = SubmitField(_l("领取保单"))
