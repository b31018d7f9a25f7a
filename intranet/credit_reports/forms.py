from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..countries import country_choices


class CreditReportForm(FlaskForm):
    policy_id = SelectField(_l("保单"), coerce=int, validators=[InputRequired()])
    buyer_name = StringField(_l("买方名称"), validators=[DataRequired(), Length(max=200)])
    buyer_country = SelectField(_l("买方所在国家/地区"), validators=[DataRequired()])

    def __init__(self, *args: Any, policies: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_id.choices = [SelectChoice(value, label) for value, label in policies or []]
        self.buyer_country.choices = country_choices(blank=True)


class DeliverForm(FlaskForm):
    report = FileField(_l("资信报告（PDF，不超过 10 MB）"), validators=[DataRequired()])


class DeclineForm(FlaskForm):
    text = TextAreaField(_l("未能出具的理由"), validators=[DataRequired(), Length(max=4000)])


class MergeBuyerForm(FlaskForm):
    party = IntegerField(_l("与此买方为同一买方"), validators=[InputRequired()])
