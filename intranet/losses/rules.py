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

# CONTRACT.md cause codes, grouped as the UI shows them; labels are worded in the reader's language.
COMMERCIAL_CAUSES: dict[str, LazyString] = {
    "buyer_insolvency": _l("买方破产/无力偿付"),
    "buyer_bankruptcy": _l("买方破产清算"),
    "buyer_default": _l("买方拖欠货款"),
    "buyer_refusal": _l("买方拒收货物"),
    "bank_insolvency": _l("开证行破产/停业/被接管"),
    "bank_default": _l("开证行拖欠"),
    "bank_refusal": _l("开证行拒绝承兑/付款"),
}
POLITICAL_CAUSES: dict[str, LazyString] = {
    "war": _l("战争"),
    "civil_unrest": _l("内乱/暴乱"),
    "trade_control": _l("贸易管制"),
    "exchange_control": _l("汇兑限制"),
}
CAUSES: dict[str, LazyString] = {**COMMERCIAL_CAUSES, **POLITICAL_CAUSES}

# Why (part of) a loss is not covered: stored as a code with its facts, worded when read.
REASONS: dict[str, LazyString] = {
    "excluded_country": _l("买方所在国 %(country)s 属不予承保国别"),
    "no_cover_period": _l("发票 %(invoice)s：保单尚无保险期限"),
    "before_cover_start": _l("发票 %(invoice)s 出运日 %(day)s 早于保险起期 %(limit)s"),
    "after_cover_end": _l("发票 %(invoice)s 出运日 %(day)s 晚于保险止期 %(limit)s"),
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

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def __str__(self) -> str:
        return describe(self.as_json())


def describe(stored: Any) -> str:
    """A stored reason in the current language (reports made before reasons were stored as codes
    keep their text)."""
    if not isinstance(stored, dict) or stored.get("code") not in REASONS:
        return str(stored)
    facts = {"invoice": "", "day": "", "limit": "", **stored}
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
) -> Assessment:
    """Apply DOMAIN.md: covered only if every shipment is inside the cover period (both days
    inclusive) and the buyer's country is not excluded; uncovered invoices count 0 in the estimate.
    Indemnity = min(ratio × covered loss, limit − already paid for that buyer), in cents, HALF_UP."""
    reasons: list[Reason] = []
    country = (buyer_country or "").strip().upper()
    excluded = country in {c.upper() for c in excluded_countries}
    if excluded:
        reasons.append(Reason("excluded_country", country=country))
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
    ratio_amount = money(ratio * covered_loss)
    limit = money(per_buyer_limit)
    paid = money(already_paid)
    remaining = max(ZERO, money(limit - paid))
    indemnity = min(ratio_amount, remaining)
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
    )


def arithmetic_lines(a: Assessment) -> list[str]:
    """The estimate as a clerk would write it down, in the current language."""
    lines = []
    if a.covered_loss != a.total:
        lines.append(
            _("保障范围内损失 %(covered)s（报损合计 %(total)s）", covered=fmt(a.covered_loss), total=fmt(a.total))
        )
    lines.append(f"{a.ratio_percent} × {fmt(a.covered_loss)} = {fmt(a.ratio_amount)}")
    lines.append(
        _(
            "单一买方限额 %(limit)s − 已赔付 %(paid)s = 剩余限额 %(remaining)s",
            limit=fmt(a.limit),
            paid=fmt(a.already_paid),
            remaining=fmt(a.remaining),
        )
    )
    lines.append(
        _(
            "赔款 = min(%(a)s, %(b)s) = %(indemnity)s",
            a=fmt(a.ratio_amount),
            b=fmt(a.remaining),
            indemnity=fmt(a.indemnity),
        )
    )
    return lines
