from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

CHANNEL_LABELS: dict[str, Any] = {
    "phone": _l("电话"),
    "visit": _l("上门拜访"),
    "email": _l("邮件"),
    "sms": _l("短信"),
    "wechat": _l("微信"),
    "other": _l("其他"),
}


class ManagerForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("电话"), validators=[DataRequired(), Length(max=32)])
    email = StringField(_l("邮箱"), validators=[Optional(), Email(), Length(max=254)])
    districts = SelectMultipleField(
        _l("负责区域"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    active = BooleanField(_l("在岗"), default=True)
    from_year = IntegerField(_l("自项目年度起"), validators=[Optional(), NumberRange(min=2000, max=9999)])
    to_year = IntegerField(_l("至项目年度止"), validators=[Optional(), NumberRange(min=2000, max=9999)])
    submit = SubmitField(_l("保存"))

    def __init__(self, *args: Any, district_rows: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.districts.choices = [SelectChoice(d.id, d.name_zh) for d in district_rows or []]


class ContactForm(FlaskForm):
    channel = SelectField(_l("联系方式"), choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()])
    note = TextAreaField(_l("联系记录"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 4})
    submit = SubmitField(_l("记录联系"))
