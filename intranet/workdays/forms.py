from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from .service import IMPORT_MAX_LINES, NAME_EN_MAX, NAME_ZH_MAX

KIND_CHOICES = [
    SelectChoice("holiday", _l("休：法定节假日（不上班）")),
    SelectChoice("workday", _l("班：调休上班日（周末上班）")),
]


class DayForm(FlaskForm):
    day = DateField(_l("日期"), validators=[InputRequired()])
    kind = RadioField(_l("类型"), choices=KIND_CHOICES, default="holiday", validators=[InputRequired()])
    name_zh = StringField(_l("名称（中文）"), validators=[DataRequired(), Length(max=NAME_ZH_MAX)])
    name_en = StringField(_l("名称（英文）"), validators=[Length(max=NAME_EN_MAX)])
    submit = SubmitField(_l("保存"))


class ImportForm(FlaskForm):
    lines = TextAreaField(
        _l("按行粘贴：日期,休或班,名称[,英文名称]"),
        validators=[DataRequired(), Length(max=IMPORT_MAX_LINES * 120)],
    )
    submit = SubmitField(_l("导入"))


class RemoveForm(FlaskForm):
    """A delete button's form: its CSRF token only."""

    submit = SubmitField(_l("删除"))
