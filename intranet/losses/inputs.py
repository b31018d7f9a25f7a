"""What a loss report says, checked: the input dataclasses and every rule on them (web form and API
alike, 422 with a code), including payment terms, the issuing bank and the causes that need one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from ..clock import shanghai_date
from ..countries import get_country, normalize_code
from ..errors import Invalid
from . import parties, rules

BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
MAX_INVOICES = 50
MAX_AMOUNT = Decimal("9999999999.99")


@dataclass(frozen=True)
class BankInput:
    """The issuing bank of a letter of credit: name, SWIFT BIC when known, country."""

    name: str
    country: str
    swift_bic: str = ""


@dataclass
class LossInput:
    buyer_name: str
    buyer_country: str
    due_date: date | None
    cause: str
    invoices: list[rules.Invoice]
    buyer_registration_no: str = ""
    payment_terms: str = rules.OPEN_ACCOUNT
    bank: BankInput | None = None

    @property
    def is_lc(self) -> bool:
        return self.payment_terms == rules.LETTER_OF_CREDIT

    @property
    def risk_country(self) -> str:
        """Political risks and excluded countries are judged in the bank's country under an LC."""
        return self.bank.country if self.is_lc and self.bank else self.buyer_country

    def buyer(self) -> parties.PartyInput:
        return parties.PartyInput(rules.BUYER, self.buyer_name, self.buyer_country, self.buyer_registration_no)

    def bank_party(self) -> parties.PartyInput | None:
        if not (self.is_lc and self.bank):
            return None
        return parties.PartyInput(rules.BANK, self.bank.name, self.bank.country, self.bank.swift_bic)

    def limit_party(self) -> parties.PartyInput:
        return self.bank_party() or self.buyer()


def parse_amount(raw: Any, label: str = "invoice_amount_usd") -> Decimal:
    """A positive USD amount with at most two decimals; JSON numbers or numeric strings."""
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Invalid(_l("%(field)s 须为金额", field=label), code="invalid_amount", field=label)
    try:
        text = raw.replace(",", "").strip() if isinstance(raw, str) else str(raw)
        value = Decimal(text)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise Invalid(_l("%(field)s 不是有效金额", field=label), code="invalid_amount", field=label) from exc
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise Invalid(
            _l("%(field)s 须大于 0 且不超过 %(max)s", field=label, max=f"{MAX_AMOUNT:,}"),
            code="invalid_amount",
            field=label,
        )
    if value != value.quantize(rules.CENT):
        raise Invalid(_l("%(field)s 最多两位小数", field=label), code="invalid_amount", field=label)
    return rules.money(value)


def validate(data: LossInput, now: datetime) -> LossInput:
    """Every rule on the input, for the web form and the API alike (422 with a code)."""
    name = " ".join(rules.clean_text(data.buyer_name).split())
    if not name or len(name) > 200 or not rules.normalize_buyer_name(name):
        raise Invalid(
            _l("请填写买方名称（200字以内）"),
            code="invalid_buyer_name",
            field="buyer_name",
        )
    country = normalize_code(data.buyer_country)
    if get_country(country) is None:
        raise Invalid(
            _l("买方所在国 %(country)s 不是有效的 ISO 国家代码", country=str(data.buyer_country)),
            code="invalid_country",
            field="buyer_country",
        )
    if data.cause not in rules.CAUSES:
        raise Invalid(_l("损失原因不在列表中"), code="invalid_cause", field="cause")
    if not data.invoices:
        raise Invalid(_l("至少填写一张发票"), code="no_invoices", field="invoices")
    if len(data.invoices) > MAX_INVOICES:
        raise Invalid(_l("最多 %(n)s 张发票", n=MAX_INVOICES), code="too_many_invoices", field="invoices")
    today = shanghai_date(now)
    seen: set[str] = set()
    for inv in data.invoices:
        number = rules.clean_text(inv.invoice_no).strip()
        if len(number) > 64:
            raise Invalid(_l("发票号 %(no)s… 过长", no=number[:20]), code="invalid_invoice", field="invoices")
        if number and number.casefold() in seen:
            raise Invalid(_l("发票号 %(no)s 重复", no=number), code="duplicate_invoice", field="invoices")
        seen.add(number.casefold())
        if inv.shipment_date > today:
            raise Invalid(
                _l("发票 %(no)s 出运日 %(day)s 晚于今天", no=number or "—", day=inv.shipment_date.isoformat()),
                code="invalid_shipment_date",
                field="shipment_date",
            )
    if data.due_date is None:
        raise Invalid(_l("请填写应收账款到期日"), code="invalid_due_date", field="due_date")
    first = min(inv.shipment_date for inv in data.invoices)
    if data.due_date < first:
        raise Invalid(
            _l("到期日 %(due)s 早于出运日 %(day)s", due=data.due_date.isoformat(), day=first.isoformat()),
            code="invalid_due_date",
            field="due_date",
        )
    return LossInput(
        buyer_name=name,
        buyer_country=country,
        due_date=data.due_date,
        cause=data.cause,
        invoices=[
            rules.Invoice(rules.clean_text(i.invoice_no).strip(), rules.money(i.amount_usd), i.shipment_date)
            for i in data.invoices
        ],
        buyer_registration_no=_registration_no(data.buyer_registration_no),
        payment_terms=data.payment_terms,
        bank=_bank(data),
    )


def _registration_no(raw: str | None) -> str:
    text = " ".join(rules.clean_text(raw).split())
    if len(text) > 64 or (text and not rules.normalize_ident(text)):
        raise Invalid(
            _l("买方注册号须为 64 字以内的字母或数字"),
            code="invalid_buyer_registration_no",
            field="buyer_registration_no",
        )
    return text


def _bank(data: LossInput) -> BankInput | None:
    """Payment terms, the issuing bank and the causes that need one: the bank_* causes only under
    a letter of credit, and a letter of credit names its bank."""
    if data.payment_terms not in rules.PAYMENT_TERMS:
        raise Invalid(_l("付款方式须为 open_account 或 lc"), code="invalid_payment_terms", field="payment_terms")
    if data.cause in rules.BANK_CAUSES and data.payment_terms != rules.LETTER_OF_CREDIT:
        raise Invalid(_l("开证行风险仅适用于信用证方式的损失"), code="cause_needs_lc", field="cause")
    if data.payment_terms != rules.LETTER_OF_CREDIT:
        if data.bank is not None and (data.bank.name.strip() or data.bank.swift_bic.strip()):
            raise Invalid(_l("非信用证方式的损失没有开证行"), code="issuing_bank_without_lc", field="issuing_bank")
        return None
    bank = data.bank
    name = " ".join(rules.clean_text(bank.name if bank else "").split())
    if not name or len(name) > 200 or not rules.normalize_party_name(name):
        raise Invalid(_l("信用证方式须填写开证行名称（200字以内）"), code="missing_issuing_bank", field="issuing_bank")
    country = normalize_code(bank.country if bank else "")
    if get_country(country) is None:
        raise Invalid(
            _l("开证行所在国 %(country)s 不是有效的 ISO 国家代码", country=str(bank.country if bank else "")),
            code="invalid_country",
            field="issuing_bank",
        )
    bic = rules.normalize_ident(bank.swift_bic if bank else "")
    if bic and not BIC.fullmatch(bic):
        raise Invalid(
            _l("SWIFT BIC %(bic)s 格式不正确（8 或 11 位）", bic=bic), code="invalid_swift_bic", field="issuing_bank"
        )
    if bic and bic[4:6] != country:
        raise Invalid(
            _l("SWIFT BIC %(bic)s 的国家代码与开证行所在国 %(country)s 不符", bic=bic, country=country),
            code="invalid_swift_bic",
            field="issuing_bank",
        )
    return BankInput(name=name, country=country, swift_bic=bic)
