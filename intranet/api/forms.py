"""Forms of the staff page for API tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("使用方名称"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("生成令牌"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("吊销"))
