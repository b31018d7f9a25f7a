"""Coverage and indemnity arithmetic (pure rules, read from the seeded 2024 programme)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from intranet.losses import rules
from intranet.programmes.seed import load_json, programme_values

D = Decimal


def _assess(app_programme, invoices, *, country="US", paid="0", excluded=()):
    return rules.assess(
        invoices=invoices,
        buyer_country=country,
        cover_start=app_programme.cover_start,
        cover_end=app_programme.cover_end,
        excluded_countries=list(excluded),
        ratio=app_programme.indemnity_ratio,
        per_buyer_limit=app_programme.per_buyer_limit_usd,
        already_paid=D(paid),
    )


@pytest.fixture
def prog():
    """The seeded 2024 edition's parameters (the same JSON the migration loads), no database needed."""
    values = programme_values(load_json("programme_2024.json"))
    values["indemnity_ratio"] = Decimal(values["indemnity_ratio"])
    values["per_buyer_limit_usd"] = Decimal(values["per_buyer_limit_usd"])
    return SimpleNamespace(**values)


def test_case_1_of_the_notice_is_capped_at_the_buyer_limit(prog):
    result = _assess(prog, [rules.Invoice("INV-1", D("230000.00"), date(2024, 9, 1))])
    assert result.covered and result.reasons == []
    assert result.ratio_amount == D("184000.00")
    assert result.remaining == D("150000.00")
    assert result.indemnity == D("150000.00")
    assert result.capped
    assert "80 % × 230,000.00 = 184,000.00" in result.lines


def test_earlier_payment_for_the_buyer_leaves_only_the_rest_of_the_limit(prog):
    result = _assess(prog, [rules.Invoice("INV-2", D("90000.00"), date(2024, 10, 1))], paid="100000.00")
    assert result.ratio_amount == D("72000.00")
    assert result.remaining == D("50000.00")
    assert result.indemnity == D("50000.00")


def test_below_the_cap_the_indemnity_is_the_ratio_of_the_loss(prog):
    result = _assess(
        prog, [rules.Invoice("A", D("1000.01"), date(2024, 7, 1)), rules.Invoice("B", D("0.02"), date(2025, 6, 30))]
    )
    # 80 % of 1,000.03 = 800.024 → 800.02 (cents, half up); both boundary days are inside the cover
    assert result.covered
    assert result.indemnity == D("800.02")
    assert not result.capped


def test_rounding_is_half_up_to_the_cent():
    result = rules.assess(
        invoices=[rules.Invoice("A", D("0.02"), date(2024, 8, 1))],
        buyer_country="US",
        cover_start=date(2024, 7, 1),
        cover_end=date(2025, 6, 30),
        excluded_countries=[],
        ratio=D("0.75"),
        per_buyer_limit=D("100"),
        already_paid=D("0"),
    )
    assert result.indemnity == D("0.02")  # 0.015 → 0.02


def test_shipment_before_cover_start_is_not_covered_with_the_reason(prog):
    result = _assess(
        prog,
        [
            rules.Invoice("INV-1", D("10000.00"), date(2024, 6, 20)),
            rules.Invoice("INV-2", D("5000.00"), date(2024, 7, 2)),
        ],
    )
    assert not result.covered
    assert [str(r) for r in result.reasons] == ["发票 INV-1 出运日 2024-06-20 早于保险起期 2024-07-01"]
    assert result.invoice_covered == [False, True]
    assert result.covered_loss == D("5000.00")
    assert result.indemnity == D("4000.00")  # the uncovered invoice counts 0


def test_shipment_after_cover_end_is_not_covered(prog):
    result = _assess(prog, [rules.Invoice("X", D("100.00"), date(2025, 7, 1))])
    assert not result.covered
    assert "晚于保险止期 2025-06-30" in str(result.reasons[0])
    assert result.indemnity == D("0.00")


def test_excluded_country_is_not_covered(prog):
    result = _assess(prog, [rules.Invoice("X", D("100.00"), date(2024, 8, 1))], country="KP", excluded=["KP"])
    assert not result.covered
    assert str(result.reasons[0]).startswith("买方所在国 ")
    assert "KP" in str(result.reasons[0]) and "属不予承保国别" in str(result.reasons[0])
    assert result.indemnity == D("0.00")


@pytest.mark.parametrize(
    "other",
    [
        "acme trading co., ltd.",
        "ACME  TRADING CO LTD",
        "ＡＣＭＥ　Ｔｒａｄｉｎｇ　Ｃｏ．，Ｌｔｄ．",
        " Acme-Trading Co Ltd ",
    ],
)
def test_same_buyer_despite_case_spacing_punctuation_and_full_width(other):
    assert rules.buyer_key(other, "us") == rules.buyer_key("Acme Trading Co., Ltd.", "US")


def test_different_buyers_or_countries_are_different_keys():
    assert rules.buyer_key("Acme Trading", "US") != rules.buyer_key("Acme Trade", "US")
    assert rules.buyer_key("Acme Trading", "US") != rules.buyer_key("Acme Trading", "DE")
    assert len(rules.buyer_key("名" * 300, "CN")) <= 200
