from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class PreferencesForm(FlaskForm):
    notify_email = BooleanField(_l("通过邮件通知"))
    notify_sms = BooleanField(_l("通过短信通知"))
    monthly_notices = BooleanField(_l("接收每月国别风险信息"))
    submit = SubmitField(_l("保存"))


class OptOutForm(FlaskForm):
    submit = SubmitField(_l("退订月度风险信息"))
