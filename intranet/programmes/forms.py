from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, Field, IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..countries import country_choices


class DayListField(StringField):
    """Comma-separated whole numbers of days, e.g. "30, 14, 7, 3, 1, 0"."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, list):
            return ", ".join(str(d) for d in self.data)
        return str(self.data or "")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).replace("，", ",").replace("、", ",")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        try:
            self.data = [int(p) for p in parts]
        except ValueError:
            self.data = []
            raise ValueError(_l("请填写用逗号分隔的整数天数，如 30, 14, 7")) from None


class ProgrammeForm(FlaskForm):
    name_zh = StringField(_l("项目名称（中文）"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("项目名称（英文）"), validators=[DataRequired(), Length(max=200)])
    export_year = IntegerField(_l("统计出口年度"), validators=[InputRequired()])
    threshold_usd = DecimalField(_l("出口额上限（美元，含）"), places=2, validators=[InputRequired()])
    claim_deadline = DateField(_l("领取截止日"), validators=[InputRequired()])
    cover_start = DateField(_l("保险期限开始"), validators=[InputRequired()])
    cover_end = DateField(_l("保险期限结束"), validators=[InputRequired()])
    issuance_lag_days = IntegerField(_l("出单时限（天）"), validators=[InputRequired(), NumberRange(min=0)])
    indemnity_ratio = DecimalField(
        _l("赔偿比例（0–1）"), places=2, validators=[InputRequired(), NumberRange(min=0.01, max=1)]
    )
    per_buyer_limit_usd = DecimalField(_l("单一买方责任限额（美元）"), places=2, validators=[InputRequired()])
    free_credit_reports = IntegerField(_l("免费资信报告（份）"), validators=[InputRequired(), NumberRange(min=0)])
    hotline_consult = StringField(_l("投保咨询电话"), validators=[DataRequired(), Length(max=32)])
    hotline_claims = StringField(_l("理赔服务电话"), validators=[DataRequired(), Length(max=32)])
    notice_days = IntegerField(_l("公示天数"), validators=[InputRequired(), NumberRange(min=1)])
    consultation_reply_days = IntegerField(
        _l("咨询答复时限（工作日）"), validators=[InputRequired(), NumberRange(min=1)]
    )
    reminder_email_days = DayListField(_l("邮件提醒（截止前天数）"))
    reminder_sms_days = DayListField(_l("短信提醒（截止前天数）"))
    reminder_time = StringField(_l("提醒时间（HH:MM，上海时间）"), validators=[DataRequired(), Length(max=5)])
    single_window_url = StringField(_l("单一窗口网址"), validators=[Optional(), Length(max=200)])
    wechat_account_zh = StringField(_l("操作指引公众号（中文）"), validators=[Optional(), Length(max=100)])
    wechat_account_en = StringField(_l("操作指引公众号（英文）"), validators=[Optional(), Length(max=200)])
    app_name_zh = StringField(_l("信用服务 APP 名称（中文）"), validators=[Optional(), Length(max=64)])
    app_name_en = StringField(_l("信用服务 APP 名称（英文）"), validators=[Optional(), Length(max=64)])
    app_url = StringField(_l("APP 下载网址"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("保存参数"))

    def validate_cover_end(self, field: Field) -> None:
        if self.cover_start.data and field.data and field.data < self.cover_start.data:
            raise ValidationError(_l("保险期限结束日早于开始日"))

    def validate_claim_deadline(self, field: Field) -> None:
        if self.cover_end.data and field.data and field.data > self.cover_end.data:
            raise ValidationError(_l("领取截止日晚于保险期限结束日"))

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name not in {"submit", "csrf_token"}}


class ExcludeForm(FlaskForm):
    countries = SelectMultipleField(_l("新增不予承保国别"), validators=[DataRequired()], render_kw={"size": 10})
    submit = SubmitField(_l("加入不予承保国别"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries.choices = country_choices()


class ActionForm(FlaskForm):
    submit = SubmitField(_l("确定"))
