"""Forms of the public notice: the public's objection, staff's publish, confirm and resolve."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ObjectionForm(FlaskForm):
    uscc = StringField(
        _l("被异议企业的统一社会信用代码"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    reason = TextAreaField(
        _l("异议理由"), validators=[DataRequired(), Length(min=5, max=4000)], render_kw={"rows": 5, "maxlength": 4000}
    )
    contact_name = StringField(
        _l("您的姓名"), validators=[DataRequired(), Length(max=64)], render_kw={"autocomplete": "name"}
    )
    contact = StringField(
        _l("联系方式（邮箱或电话）"), validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "email"}
    )
    submit = SubmitField(_l("提交异议"))


class PublishForm(FlaskForm):
    start = DateField(_l("公示开始日"), validators=[DataRequired()])
    end = DateField(_l("公示结束日（含当日）"), validators=[Optional()])
    submit = SubmitField(_l("发布公示"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("确认名单"))


class ResolveForm(FlaskForm):
    decision = RadioField(
        _l("处理结果"),
        choices=[
            SelectChoice("upheld", _l("异议成立：将该企业移出名单")),
            SelectChoice("dismissed", _l("异议不成立：保留在名单中")),
        ],
        validators=[DataRequired()],
    )
    reply = TextAreaField(
        _l("给异议人的书面答复"), validators=[DataRequired(), Length(min=2, max=4000)], render_kw={"rows": 6}
    )
    submit = SubmitField(_l("提交处理结果"))


class RemoveEntryForm(FlaskForm):
    reason = StringField(_l("移除原因"), validators=[DataRequired(), Length(min=2, max=500)])
