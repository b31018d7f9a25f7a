from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, DecimalField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..countries import country_choices
from . import rules

INVOICE_ROWS = 3
MAX_ROWS = 20


def cause_choices() -> list[SelectChoice]:
    """CONTRACT.md cause codes, grouped as commercial and political risks."""
    rows = [SelectChoice("", str(_l("请选择损失原因")))]
    for group, causes in rules.CAUSE_GROUPS:
        rows.extend(SelectChoice(code, str(label), optgroup=str(group)) for code, label in causes.items())
    return rows


class MoneyField(DecimalField):
    """USD amount as people type it: "230,000", "２３００００.００" and "230000.00" all work."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            raw = unicodedata.normalize("NFKC", str(valuelist[0])).replace(",", "").replace(" ", "").strip()
            raw = raw.removeprefix("USD").removeprefix("$")
            valuelist = [raw]
        super().process_formdata(valuelist)
        value: Decimal | None = getattr(self, "data", None)
        if value is not None and (not value.is_finite() or value != value.quantize(Decimal("0.01"))):
            self.data = None
            raise ValueError(_l("金额最多两位小数"))


class InvoiceRow(Form):
    invoice_no = StringField(_l("发票号"), validators=[Optional(), Length(max=64)])
    amount = MoneyField(
        _l("金额（美元）"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("9999999999.99"))],
    )
    shipment_date = DateField(_l("出运日"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.invoice_no.data or "").strip() and self.amount.data is None and self.shipment_date.data is None


class LossReportForm(FlaskForm):
    policy_id = SelectField(_l("保单"), coerce=int, validators=[InputRequired()])
    buyer_name = StringField(_l("买方名称"), validators=[DataRequired(), Length(max=200)])
    buyer_country = SelectField(_l("买方所在国家/地区"), validators=[DataRequired()])
    buyer_registration_no = StringField(_l("买方注册号（如有）"), validators=[Optional(), Length(max=64)])
    payment_terms = SelectField(
        _l("付款方式"),
        choices=[SelectChoice(code, label) for code, label in rules.PAYMENT_TERMS.items()],
        default=rules.OPEN_ACCOUNT,
        validators=[DataRequired()],
    )
    bank_name = StringField(_l("开证行名称"), validators=[Optional(), Length(max=200)])
    bank_swift_bic = StringField(_l("开证行 SWIFT BIC（如知道）"), validators=[Optional(), Length(max=11)])
    bank_country = SelectField(_l("开证行所在国家/地区"), validators=[Optional()])
    cause = SelectField(_l("损失原因"), validators=[DataRequired()])
    due_date = DateField(_l("应收账款到期日"), validators=[DataRequired()])
    invoices = FieldList(FormField(InvoiceRow), _l("发票"), min_entries=INVOICE_ROWS, max_entries=MAX_ROWS)

    def __init__(self, *args: Any, policies: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_id.choices = [SelectChoice(value, label) for value, label in policies or []]
        self.buyer_country.choices = country_choices(blank=True)
        self.bank_country.choices = country_choices(blank=True)
        self.cause.choices = cause_choices()

    def validate_invoices(self, field: FieldList) -> None:
        filled = [row for row in field.entries if not row.form.is_blank()]
        if not filled:
            raise ValidationError(_l("至少填写一张发票（金额和出运日）"))
        for row in filled:
            if row.form.amount.data is None or row.form.shipment_date.data is None:
                raise ValidationError(_l("每张发票都需要金额和出运日"))

    def filled_invoices(self) -> list[rules.Invoice]:
        return [
            rules.Invoice(
                invoice_no=(row.form.invoice_no.data or "").strip(),
                amount_usd=row.form.amount.data,
                shipment_date=row.form.shipment_date.data,
            )
            for row in self.invoices.entries
            if not row.form.is_blank()
        ]


class ConfirmReportForm(LossReportForm):
    """Step 2: the same data (hidden) plus the documents."""

    attachments = MultipleFileField(_l("证明材料（PDF、JPG、PNG、XLSX、DOCX，每个不超过 10 MB）"))


class ReasonForm(FlaskForm):
    text = TextAreaField(_l("理由"), validators=[DataRequired(), Length(max=4000)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("调查记录"), validators=[DataRequired(), Length(max=4000)])


class RequestDocumentsForm(FlaskForm):
    text = TextAreaField(_l("需要企业补充的材料"), validators=[DataRequired(), Length(max=4000)])


class AcceptForm(FlaskForm):
    text = TextAreaField(_l("受理说明（可选）"), validators=[Optional(), Length(max=4000)])


class DecideForm(FlaskForm):
    decision = SelectField(
        _l("决定"),
        choices=[SelectChoice("pay", _l("赔付（按核定损失金额计算）")), SelectChoice("decline", _l("拒赔"))],
        validators=[DataRequired()],
    )
    assessed = MoneyField(
        _l("核定损失金额（美元）"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("9999999999.99"))],
    )
    text = TextAreaField(_l("理由（拒赔时必填）"), validators=[Length(max=4000)])

    def validate_text(self, field: TextAreaField) -> None:
        if self.decision.data == "decline" and not (field.data or "").strip():
            raise ValidationError(_l("拒赔须填写理由"))


class ReceiptForm(FlaskForm):
    amount = MoneyField(
        _l("已收回款（美元）"),
        places=2,
        validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("9999999999.99"))],
    )
    text = TextAreaField(_l("说明（可选）"), validators=[Optional(), Length(max=4000)])


class MergeForm(FlaskForm):
    party = SelectField(_l("同一保单下的另一条记录"), coerce=int, validators=[InputRequired()])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("答复说明"), validators=[Optional(), Length(max=4000)])
    attachments = MultipleFileField(_l("上传材料（PDF、JPG、PNG、XLSX、DOCX，每个不超过 10 MB）"))
