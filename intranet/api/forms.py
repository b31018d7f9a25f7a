"""Forms of the staff page for API tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..api_auth.models import SCOPES

SCOPE_LABELS = {
    "enterprises:read": _l("查询企业名单状态与保单（enterprises:read）"),
    "policies:claim": _l("申领保单（policies:claim）"),
    "losses:write": _l("报损（losses:write）"),
    "credit-reports:write": _l("申请买方资信报告（credit-reports:write）"),
    "notices:read": _l("读取风险提示（notices:read）"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("使用方名称"), validators=[DataRequired(), Length(max=100)])
    scopes = SelectMultipleField(
        _l("权限范围"),
        choices=[SelectChoice(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
        default=list(SCOPES),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("请至少选择一项权限范围"))],
    )
    expires = DateField(_l("到期日"), validators=[Optional()])
    submit = SubmitField(_l("生成令牌"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("吊销"))
