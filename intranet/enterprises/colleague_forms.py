"""Forms of the colleagues page (an enterprise's administrator manages its users)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import Length, Optional


class PermissionsForm(FlaskForm):
    can_claim = BooleanField(_l("领取保单"), default=True)
    can_report_losses = BooleanField(_l("报损"), default=True)
    can_request_credit_reports = BooleanField(_l("申请资信报告"), default=True)
    submit = SubmitField(_l("保存权限"))

    def chosen(self) -> list[str]:
        names = ("can_claim", "can_report_losses", "can_request_credit_reports")
        return [name.removeprefix("can_") for name in names if self[name].data]


class InviteForm(PermissionsForm):
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("邮箱"), validators=[Optional(), Length(max=254)])
    mobile = StringField(_l("手机"), validators=[Optional(), Length(max=32)])
    submit = SubmitField(_l("发送邀请"))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("移除"))
