"""Coverage and indemnity arithmetic (DOMAIN.md "What the policy covers", "Losses and claims").

Pure functions: the caller passes the policy's cover period, the programme's parameters and what was
already paid for the buyer. No business number is a literal here."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..countries import country_label
from ..i18n import current_language

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# CONTRACT.md cause codes, grouped as the UI shows them, labelled in the notice's own words
# ("（1）商业风险：买方无力偿还债务/破产/拖欠货款/拒绝接受货物；开证行破产/停业/被接管/拖欠/拒绝承兑。
# （2）政治风险：买方/开证行所在国家发生战争、动乱、贸易管制、外汇管制等。"); its "等" stays open
# through `other_policy_risk` (其他保单约定的风险).
BUYER_CAUSES: dict[str, LazyString] = {
    "buyer_insolvency": _l("买方无力偿还债务"),
    "buyer_bankruptcy": _l("买方破产"),
    "buyer_default": _l("买方拖欠货款"),
    "buyer_refusal": _l("买方拒绝接受货物"),
}
BANK_CAUSES: dict[str, LazyString] = {
    "bank_insolvency": _l("开证行破产"),
    "bank_closure": _l("开证行停业"),
    "bank_takeover": _l("开证行被接管"),
    "bank_default": _l("开证行拖欠"),
    "bank_refusal": _l("开证行拒绝承兑"),
}
COMMERCIAL_CAUSES: dict[str, LazyString] = {**BUYER_CAUSES, **BANK_CAUSES}
POLITICAL_CAUSES: dict[str, LazyString] = {
    "war": _l("战争"),
    "civil_unrest": _l("动乱"),
    "trade_control": _l("贸易管制"),
    "exchange_control": _l("外汇管制"),
}
OTHER_CAUSES: dict[str, LazyString] = {"other_policy_risk": _l("其他保单约定的风险")}
CAUSES: dict[str, LazyString] = {**COMMERCIAL_CAUSES, **POLITICAL_CAUSES, **OTHER_CAUSES}
CAUSE_GROUPS: tuple[tuple[LazyString, dict[str, LazyString]], ...] = (
    (_l("商业风险"), COMMERCIAL_CAUSES),
    (_l("政治风险"), POLITICAL_CAUSES),
    (_l("其他风险（以正式保单约定为准）"), OTHER_CAUSES),
)

# Payment terms (CONTRACT.md): under a letter of credit the issuing bank is the limit's party.
OPEN_ACCOUNT = "open_account"
LETTER_OF_CREDIT = "lc"
PAYMENT_TERMS: dict[str, LazyString] = {
    OPEN_ACCOUNT: _l("非信用证方式（赊销、托收等）"),
    LETTER_OF_CREDIT: _l("信用证"),
}
BUYER = "buyer"
BANK = "bank"

# Why (part of) a loss is not covered, or pays nothing: stored as a code with its facts, worded when read.
REASONS: dict[str, LazyString] = {
    "excluded_country": _l("买方所在国 %(country)s 属不予承保国别"),
    "excluded_bank_country": _l("开证行所在国 %(country)s 属不予承保国别"),
    "no_cover_period": _l("发票 %(invoice)s：保单尚无保险期限"),
    "before_cover_start": _l("发票 %(invoice)s 出运日 %(day)s 早于保险起期 %(limit)s"),
    "after_cover_end": _l("发票 %(invoice)s 出运日 %(day)s 晚于保险止期 %(limit)s"),
    "buyer_limit_used": _l("买方 %(name)s 的责任限额已用完"),
    "bank_limit_used": _l("开证行 %(name)s 的责任限额已用完"),
}


def cause_label(code: str) -> str:
    return str(CAUSES.get(code, code))


@dataclass(frozen=True)
class Reason:
    """One reason a loss is not covered. `str()` words it in the current language; `as_json()`
    is what a report keeps (so each reader sees it in their own language)."""

    code: str
    invoice: str = ""
    day: str = ""
    limit: str = ""
    country: str = ""
    name: str = ""

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def __str__(self) -> str:
        return describe(self.as_json())


def describe(stored: Any) -> str:
    """A stored reason in the current language (reports made before reasons were stored as codes
    keep their text)."""
    if not isinstance(stored, dict) or stored.get("code") not in REASONS:
        return str(stored)
    facts = {"invoice": "", "day": "", "limit": "", "name": "", **stored}
    country = str(facts.get("country", ""))
    facts["country"] = country if current_language() == "en" else country_label(country)
    return REASONS[str(stored["code"])] % facts


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    return f"{value:,.2f}"


def clean_text(text: str | None, *, multiline: bool = False) -> str:
    """Drop control characters (NUL and friends, which PostgreSQL refuses); keep newlines and
    tabs in multi-line text."""
    keep = {"\n", "\t"} if multiline else set()
    return "".join(ch for ch in (text or "") if ch in keep or unicodedata.category(ch) != "Cc")


def normalize_buyer_name(name: str) -> str:
    """The same buyer despite case, spacing, punctuation and full-width differences.

    NFKC folds full-width letters and digits (ＡＣＭＥ → ACME), casefold folds case, and every
    character that is not a letter, digit or mark is dropped ("Acme Trading Co., Ltd." and
    "ACME TRADING CO LTD" give the same key)."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in {"L", "N", "M"})


def buyer_key(name: str, country: str) -> str:
    """Stable key for one buyer: country + normalised name (hashed when very long)."""
    norm = normalize_buyer_name(name)
    key = f"{(country or '').strip().upper()}:{norm}"
    if len(key) > 200:
        key = f"{key[:3]}#{hashlib.sha256(norm.encode()).hexdigest()}"
    return key


# Legal-form words dropped from the end of a buyer's or bank's name before comparing (the small
# documented rule of DOMAIN.md "A buyer is ... its normalised name and country"): after NFKC, case
# folding and punctuation → spaces, trailing words in LEGAL_FORMS are removed one by one ("Acme
# Trading Co., Ltd." = "ACME TRADING LIMITED" = "Acme Trading Company" = "acme-trading"), then
# the Chinese endings in LEGAL_ENDINGS ("……有限公司"). A name that is nothing but such words keeps them.
LEGAL_FORMS = frozenset(
    {"co", "company", "corp", "corporation", "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited"}
    | {"plc", "pte", "pty", "gmbh", "mbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv"}
    | {"oy", "ab", "as", "kk", "sdn", "bhd", "jsc", "ooo"}
)
LEGAL_ENDINGS = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def normalize_party_name(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    spaced = "".join(ch if unicodedata.category(ch)[0] in {"L", "N", "M"} else " " for ch in folded)
    words = spaced.split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    joined = "".join(words)
    for ending in LEGAL_ENDINGS:
        if joined.endswith(ending) and len(joined) > len(ending):
            joined = joined[: -len(ending)]
            break
    return joined


def normalize_ident(value: str | None) -> str:
    """A registration number or SWIFT BIC as compared: NFKC, upper case, letters and digits only."""
    folded = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(ch for ch in folded if ch.isalnum())


def _bounded(key: str) -> str:
    if len(key) <= 200:
        return key
    return f"{key[:12]}#{hashlib.sha256(key.encode()).hexdigest()}"


def party_name_key(name: str, country: str) -> str:
    """Country + normalised name: who a buyer or bank is when no identifier is given."""
    return _bounded(f"{(country or '').strip().upper()}:{normalize_party_name(name)}")


def party_key(name: str, country: str, ident: str | None) -> str:
    """Who a party is: its identifier (buyer registration number, the bank's SWIFT BIC institution
    code) and country when given, else its normalised name and country."""
    code = normalize_ident(ident)
    if code:
        return _bounded(f"{(country or '').strip().upper()}#{code}")
    return party_name_key(name, country)


def bank_ident(swift_bic: str | None) -> str:
    """A bank is its institution: the first 8 characters of a BIC (the rest names a branch)."""
    return normalize_ident(swift_bic)[:8]


@dataclass(frozen=True)
class Invoice:
    invoice_no: str
    amount_usd: Decimal
    shipment_date: date


@dataclass
class Assessment:
    """Whether a loss looks covered, why not, and the indemnity with its arithmetic."""

    covered: bool
    reasons: list[Reason]
    invoice_covered: list[bool]
    total: Decimal
    covered_loss: Decimal
    ratio: Decimal
    ratio_amount: Decimal
    limit: Decimal
    already_paid: Decimal
    remaining: Decimal
    indemnity: Decimal
    capped: bool
    received: Decimal = ZERO  # partial payments received after the report
    claimable: Decimal = ZERO  # covered loss − received: the most the insurer may assess
    assessed_loss: Decimal = ZERO  # 核定损失金额: what the indemnity is a ratio of
    party_kind: str = BUYER
    party_name: str = ""

    @property
    def ratio_percent(self) -> str:
        return f"{(self.ratio * 100).normalize():f} %"

    @property
    def lines(self) -> list[str]:
        return arithmetic_lines(self)


def assess(
    *,
    invoices: list[Invoice],
    buyer_country: str,
    cover_start: date | None,
    cover_end: date | None,
    excluded_countries: list[str],
    ratio: Decimal,
    per_buyer_limit: Decimal,
    already_paid: Decimal,
    received: Decimal = ZERO,
    assessed: Decimal | None = None,
    party_kind: str = BUYER,
    party_name: str = "",
) -> Assessment:
    """Apply DOMAIN.md: covered only if every shipment is inside the cover period (both days
    inclusive) and the country of risk (`buyer_country`: the buyer's, or the issuing bank's under a
    letter of credit) is not excluded; uncovered invoices count 0. The assessed loss is the covered
    loss less payments received (or less, as the insurer decides: never more). Indemnity =
    min(ratio × assessed loss, limit − already paid for the party), in cents, HALF_UP."""
    reasons: list[Reason] = []
    country = (buyer_country or "").strip().upper()
    excluded = country in {c.upper() for c in excluded_countries}
    if excluded:
        reasons.append(Reason("excluded_bank_country" if party_kind == BANK else "excluded_country", country=country))
    flags: list[bool] = []
    for inv in invoices:
        ok = not excluded
        label = inv.invoice_no or "—"
        day = inv.shipment_date.isoformat()
        if cover_start is None or cover_end is None:
            ok = False
            reasons.append(Reason("no_cover_period", invoice=label))
        elif inv.shipment_date < cover_start:
            ok = False
            reasons.append(Reason("before_cover_start", invoice=label, day=day, limit=cover_start.isoformat()))
        elif inv.shipment_date > cover_end:
            ok = False
            reasons.append(Reason("after_cover_end", invoice=label, day=day, limit=cover_end.isoformat()))
        flags.append(ok)
    total = money(sum((inv.amount_usd for inv in invoices), ZERO))
    covered_loss = money(sum((inv.amount_usd for inv, ok in zip(invoices, flags, strict=True) if ok), ZERO))
    got = money(received)
    claimable = max(ZERO, money(covered_loss - got))
    loss = claimable if assessed is None else min(claimable, max(ZERO, money(assessed)))
    ratio_amount = money(ratio * loss)
    limit = money(per_buyer_limit)
    paid = money(already_paid)
    remaining = max(ZERO, money(limit - paid))
    indemnity = min(ratio_amount, remaining)
    if remaining <= 0 < ratio_amount:
        reasons.append(Reason("bank_limit_used" if party_kind == BANK else "buyer_limit_used", name=party_name))
    return Assessment(
        covered=bool(invoices) and all(flags),
        reasons=reasons,
        invoice_covered=flags,
        total=total,
        covered_loss=covered_loss,
        ratio=ratio,
        ratio_amount=ratio_amount,
        limit=limit,
        already_paid=paid,
        remaining=remaining,
        indemnity=indemnity,
        capped=ratio_amount > remaining,
        received=got,
        claimable=claimable,
        assessed_loss=loss,
        party_kind=party_kind,
        party_name=party_name,
    )


def arithmetic_lines(a: Assessment) -> list[str]:
    """The estimate as a clerk would write it down, in the current language."""
    lines = []
    if a.covered_loss != a.total:
        lines.append(
            _("保障范围内损失 %(covered)s（报损合计 %(total)s）", covered=fmt(a.covered_loss), total=fmt(a.total))
        )
    if a.received:
        lines.append(
            _(
                "已收回款 %(received)s，可核定损失 %(claimable)s",
                received=fmt(a.received),
                claimable=fmt(a.claimable),
            )
        )
    if a.assessed_loss != a.covered_loss:
        lines.append(_("核定损失金额 %(assessed)s", assessed=fmt(a.assessed_loss)))
    lines.append(f"{a.ratio_percent} × {fmt(a.assessed_loss)} = {fmt(a.ratio_amount)}")
    facts = {"limit": fmt(a.limit), "paid": fmt(a.already_paid), "remaining": fmt(a.remaining)}
    if a.party_kind == BANK:
        lines.append(_("开证行限额 %(limit)s − 已赔付 %(paid)s = 剩余限额 %(remaining)s", **facts))
    else:
        lines.append(_("单一买方限额 %(limit)s − 已赔付 %(paid)s = 剩余限额 %(remaining)s", **facts))
    lines.append(
        _(
            "赔款 = min(%(a)s, %(b)s) = %(indemnity)s",
            a=fmt(a.ratio_amount),
            b=fmt(a.remaining),
            indemnity=fmt(a.indemnity),
        )
    )
    return lines
