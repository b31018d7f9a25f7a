from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    identifier = StringField(_l("邮箱或统一社会信用代码"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("登录"))


class ActivateForm(FlaskForm):
    password = PasswordField(_l("设置密码（至少10位）"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("再次输入密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致"))]
    )
    submit = SubmitField(_l("激活账号"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("退出"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("新密码（至少10位）"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("再次输入新密码"), validators=[DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致"))]
    )
    submit = SubmitField(_l("修改密码"))
