from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from ..countries import all_countries
from ..i18n import current_language

CATEGORY_LABELS: dict[str, Any] = {
    "country_risk": _l("国别风险信息"),
    "market_info": _l("海外市场信息"),
    "risk_alert": _l("风险提示"),
}


def country_choices() -> list[SelectChoice]:
    """Every ISO 3166 country (pycountry, not a typed list), named in the page's language."""
    english = current_language() == "en"
    return [SelectChoice(c.code, f"{c.name_en if english else c.name_zh} ({c.code})") for c in all_countries()]


class NoticeForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=300)])
    category = SelectField(_l("类别"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()])
    month = StringField(
        _l("月份"),
        validators=[DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("月份格式应为 YYYY-MM"))],
        render_kw={"placeholder": "2024-07", "inputmode": "numeric"},
    )
    countries = SelectMultipleField(_l("涉及国家（可多选，可不选）"), validate_choice=True, render_kw={"size": 8})
    body_md = TextAreaField(_l("正文（Markdown）"), validators=[DataRequired()], render_kw={"rows": 16})
    save = SubmitField(_l("保存草稿"))
    preview = SubmitField(_l("预览"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries.choices = country_choices()


class ActionForm(FlaskForm):
    """A bare CSRF-protected button (publish, archive)."""

    submit = SubmitField(_l("确定"))
