from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .labels import TOPICS

MAX_TEXT = 4000


class AskForm(FlaskForm):
    topic = SelectField(_l("咨询类别"), validators=[DataRequired()])
    text = TextAreaField(_l("您的问题"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    attachment = FileField(_l("附件（可选：PDF、JPG、PNG、XLSX、DOCX）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = [SelectChoice("", str(_l("请选择")))] + [
            SelectChoice(key, str(label)) for key, label in TOPICS.items()
        ]


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("回复内容"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    attachment = FileField(_l("附件（可选：PDF、JPG、PNG、XLSX、DOCX）"))
