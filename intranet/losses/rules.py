"""Coverage and indemnity arithmetic (DOMAIN.md "What the policy covers", "Losses and claims").

Pure functions: the caller passes the policy's cover period, the programme's parameters and what was
already paid for the buyer. No business number is a literal here."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..countries import country_label

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# CONTRACT.md cause codes, grouped as the UI shows them.
COMMERCIAL_CAUSES: tuple[tuple[str, str, str], ...] = (
    ("buyer_insolvency", "买方破产/无力偿付", "Buyer insolvency"),
    ("buyer_bankruptcy", "买方破产清算", "Buyer bankruptcy"),
    ("buyer_default", "买方拖欠货款", "Buyer payment default"),
    ("buyer_refusal", "买方拒收货物", "Buyer refused the goods"),
    ("bank_insolvency", "开证行破产/停业/被接管", "Issuing bank insolvency, closure or takeover"),
    ("bank_default", "开证行拖欠", "Issuing bank default"),
    ("bank_refusal", "开证行拒绝承兑/付款", "Issuing bank refused to accept or honour"),
)
POLITICAL_CAUSES: tuple[tuple[str, str, str], ...] = (
    ("war", "战争", "War"),
    ("civil_unrest", "内乱/暴乱", "Civil unrest"),
    ("trade_control", "贸易管制", "Trade controls"),
    ("exchange_control", "汇兑限制", "Exchange controls"),
)
CAUSES: dict[str, tuple[str, str]] = {code: (zh, en) for code, zh, en in COMMERCIAL_CAUSES + POLITICAL_CAUSES}


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
    reasons: list[str]
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
    lines: list[str] = field(default_factory=list)

    @property
    def ratio_percent(self) -> str:
        return f"{(self.ratio * 100).normalize():f} %"


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
    reasons: list[str] = []
    country = (buyer_country or "").strip().upper()
    excluded = country in {c.upper() for c in excluded_countries}
    if excluded:
        reasons.append(
            f"买方所在国 {country_label(country)} 属不予承保国别 / "
            f"Buyer country {country} is an excluded country (not covered)"
        )
    flags: list[bool] = []
    for inv in invoices:
        ok = not excluded
        label = inv.invoice_no or "—"
        day = inv.shipment_date.isoformat()
        if cover_start is None or cover_end is None:
            ok = False
            reasons.append(f"发票 {label}：保单尚无保险期限 / invoice {label}: the policy has no cover period yet")
        elif inv.shipment_date < cover_start:
            ok = False
            reasons.append(
                f"发票 {label} 出运日 {day} 早于保险起期 {cover_start.isoformat()} / "
                f"invoice {label}: shipment on {day} is before the cover start {cover_start.isoformat()}"
            )
        elif inv.shipment_date > cover_end:
            ok = False
            reasons.append(
                f"发票 {label} 出运日 {day} 晚于保险止期 {cover_end.isoformat()} / "
                f"invoice {label}: shipment on {day} is after the cover end {cover_end.isoformat()}"
            )
        flags.append(ok)
    total = money(sum((inv.amount_usd for inv in invoices), ZERO))
    covered_loss = money(sum((inv.amount_usd for inv, ok in zip(invoices, flags, strict=True) if ok), ZERO))
    ratio_amount = money(ratio * covered_loss)
    limit = money(per_buyer_limit)
    paid = money(already_paid)
    remaining = max(ZERO, money(limit - paid))
    indemnity = min(ratio_amount, remaining)
    result = Assessment(
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
    result.lines = arithmetic_lines(result)
    return result


def arithmetic_lines(a: Assessment) -> list[str]:
    """The estimate as a clerk would write it down (bilingual)."""
    lines = []
    if a.covered_loss != a.total:
        lines.append(
            f"保障范围内损失 {fmt(a.covered_loss)}（报损合计 {fmt(a.total)}） / "
            f"covered loss {fmt(a.covered_loss)} (reported {fmt(a.total)})"
        )
    lines.append(f"{a.ratio_percent} × {fmt(a.covered_loss)} = {fmt(a.ratio_amount)}")
    lines.append(
        f"单一买方限额 {fmt(a.limit)} − 已赔付 {fmt(a.already_paid)} = 剩余限额 {fmt(a.remaining)} / "
        f"buyer limit {fmt(a.limit)} − already paid {fmt(a.already_paid)} = remaining limit {fmt(a.remaining)}"
    )
    lines.append(
        f"赔款 = min({fmt(a.ratio_amount)}, {fmt(a.remaining)}) = {fmt(a.indemnity)} / indemnity {fmt(a.indemnity)}"
    )
    return lines
