"""Forms of the account pages: forgotten password, reset, contact e-mail and mobile."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length


class ForgotForm(FlaskForm):
    identifier = StringField(_l("邮箱、手机号或统一社会信用代码"), validators=[DataRequired(), Length(max=254)])
    channel = RadioField(
        _l("接收方式"),
        choices=[SelectChoice("email", _l("邮件（重置链接）")), SelectChoice("sms", _l("短信（验证码）"))],
        default="email",
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("发送"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码（至少10位）"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("再次输入新密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致"))]
    )
    submit = SubmitField(_l("重置密码"))


class CodeResetForm(NewPasswordForm):
    identifier = StringField(_l("邮箱、手机号或统一社会信用代码"), validators=[DataRequired(), Length(max=254)])
    code = StringField(_l("短信验证码"), validators=[DataRequired(), Length(max=12)])


class ContactForm(FlaskForm):
    value = StringField(_l("新的联系方式"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("发送验证码"))


class ConfirmCodeForm(FlaskForm):
    code = StringField(_l("验证码"), validators=[DataRequired(), Length(max=12)])
    submit = SubmitField(_l("确认"))
