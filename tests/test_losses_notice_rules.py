"""Issue 13, the losses half: one test per rule of the notice (`../shared/seed/`), each quoting the
sentence it enforces, on SQLite and PostgreSQL, with this process in UTC (the rules decide dates in
Shanghai, never in the OS time zone)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.extensions import db
from intranet.losses import rules
from intranet.losses.models import LossParty, LossReport

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed

# 00:30 on 15 November in Shanghai is still 14 November in UTC
AT = "2024-11-14T16:30:00+00:00"
CASE_1 = {
    "buyer_name": "Acme Trading Co., Ltd.",
    "buyer_country": "GB",
    "invoice_amount_usd": 230000.00,
    "shipment_date": "2024-08-01",
    "due_date": "2024-10-30",
    "cause": "buyer_default",
}
BANK = {"name": "Bank of Northshire plc", "swift_bic": "NSHBGB2LXXX", "country": "GB"}


@pytest.fixture
def api(client, freeze, utc_process):
    freeze(AT)
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, body: object = None):
        return client.open(path, method=method, json=body, headers=headers)

    return call


def _report(api, policy, body):
    response = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_rule_1_an_issuing_bank_has_one_limit_however_many_buyers_it_paid_for(api, runner):
    """Notice: "按企业出口损失金额的 80%，单一买方/开证行责任限额 15 万美元" and "开证行破产/停业/被接管/
    拖欠/拒绝承兑" — a loss under a letter of credit is charged to the issuing bank's limit: two
    buyers paid through one failed bank cannot get 150,000 each; the second gets 0 and is told the
    bank's limit is used up."""
    assert time.strftime("%Z") == "UTC"
    _e, _u, policy = f.loss_policy_holder(1)
    db.session.commit()
    lc = {"payment_terms": "lc", "issuing_bank": BANK, "cause": "bank_insolvency"}
    first = _report(api, policy, CASE_1 | lc)
    assert first["indemnity_estimate_usd"] == 150000.00
    assert first["limit_party"] == {"kind": "bank", "name": "Bank of Northshire plc", "remaining_usd": 150000.00}
    paid = runner.invoke(args=["loss", "decide", str(first["report_id"]), "--pay"])
    assert paid.exit_code == 0 and "paid USD 150,000.00" in paid.output

    # another buyer, in another country, same bank (its head-office BIC, its name spelt otherwise);
    # shipped "today" in Shanghai (15 November), which is still tomorrow for this UTC process
    bank_again = {"name": "BANK OF NORTHSHIRE PLC.", "swift_bic": "NSHBGB2L", "country": "GB"}
    other = {"buyer_name": "Beta Handels GmbH", "buyer_country": "DE", "shipment_date": "2024-11-15"}
    second = _report(api, policy, CASE_1 | other | lc | {"issuing_bank": bank_again, "due_date": "2024-12-15"})
    assert second["indemnity_estimate_usd"] == 0
    assert second["reasons"] == ["开证行 Bank of Northshire plc 的责任限额已用完"]
    assert second["limit_party"] == {"kind": "bank", "name": "Bank of Northshire plc", "remaining_usd": 0}
    refused = runner.invoke(args=["loss", "decide", str(second["report_id"]), "--pay"])
    assert refused.exit_code == 1
    assert "the limit for issuing bank Bank of Northshire plc is used up" in refused.stderr
    rows = db.session.scalars(select(LossReport).order_by(LossReport.id)).all()
    assert rows[0].limit_party_id == rows[1].limit_party_id != rows[1].buyer_party_id
    assert [r.paid_usd for r in rows] == [Decimal("150000.00"), None]

    # the bank's country decides excluded countries for an LC loss; bank causes need an LC
    assert runner.invoke(args=["programme", "exclude", "2024", "KP"]).exit_code == 0
    in_kp = {"name": "Korea Trade Bank", "country": "KP"}
    excluded = _report(api, policy, CASE_1 | lc | {"buyer_name": "Gamma Ltd", "issuing_bank": in_kp})
    assert excluded["covered"] is False and excluded["indemnity_estimate_usd"] == 0
    assert excluded["reasons"][0].startswith("开证行所在国 ") and "属不予承保国别" in excluded["reasons"][0]
    buyer_in_kp = _report(api, policy, CASE_1 | {"buyer_name": "Delta", "buyer_country": "KP"})
    assert buyer_in_kp["covered"] is False
    open_account = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1 | {"cause": "bank_refusal"})
    assert (open_account.status_code, open_account.get_json()["error"]["code"]) == (422, "cause_needs_lc")
    wrong_bic = CASE_1 | lc | {"issuing_bank": BANK | {"country": "FR"}}
    mismatch = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", wrong_bic)
    assert (mismatch.status_code, mismatch.get_json()["error"]["code"]) == (422, "invalid_swift_bic")


def test_rule_2_spelling_variants_share_one_limit_and_staff_can_merge_two_records(
    api, runner, app, logged_in, utc_process
):
    """Notice: "单一买方/开证行责任限额 15 万美元" — one buyer, one limit: a buyer is its registration
    number and country when given, else its normalised name and country, so spellings do not split
    it; staff merge two records of one buyer (audited) and the limit follows the merge."""
    _e, _u, policy = f.loss_policy_holder(2)
    db.session.commit()
    first = _report(api, policy, CASE_1)
    assert runner.invoke(args=["loss", "decide", str(first["report_id"]), "--pay"]).exit_code == 0

    for name, extra in [
        ("ACME TRADING LIMITED", {}),
        ("ＡＣＭＥ　Ｔｒａｄｉｎｇ　Ｃｏｍｐａｎｙ", {}),
        ("acme-trading", {"buyer_registration_no": "UK 0123 4567"}),  # the record learns its number
        ("Acme (UK) Holdings", {"buyer_registration_no": "uk01234567"}),  # known by its number
    ]:
        again = _report(api, policy, CASE_1 | {"buyer_name": name, "invoice_amount_usd": 10000} | extra)
        assert again["indemnity_estimate_usd"] == 0, name
        assert again["reasons"] == ["买方 Acme Trading Co., Ltd. 的责任限额已用完"], name
    assert db.session.scalar(select(LossParty.ident)) == "UK01234567"
    assert rules.party_key("Acme Trading Co., Ltd.", "GB", "") != rules.party_key("Acme Trading", "US", "")

    # a record under another name, in truth the same buyer: staff merge it on the report's page
    separate = _report(api, policy, CASE_1 | {"buyer_name": "Acme Group Trading", "invoice_amount_usd": 50000})
    assert separate["indemnity_estimate_usd"] == 40000.00
    staff = app.test_client()
    logged_in("insurer", "clerk@sinosure.test", on=staff)
    page = f"/staff/losses/{separate['report_id']}"
    options = soup(staff.get(page)).select("form.merge-form select option")
    acme = next(o["value"] for o in options if "Acme Trading Co., Ltd." in o.get_text())
    merged = soup(submit(staff, page, {"merge-party": acme}, form="form.merge-form"))
    assert merged.select_one(".indemnity").get_text(strip=True) == "USD 0.00"
    assert "买方 Acme Group Trading 的责任限额已用完" not in merged.get_text()
    assert merged.select_one(".limit-party").get_text(" ", strip=True) == "买方 Acme Trading Co., Ltd."
    shown = api("GET", f"/api/v1/loss-reports/{separate['report_id']}").get_json()
    assert shown["limit_party"] == {"kind": "buyer", "name": "Acme Trading Co., Ltd.", "remaining_usd": 0}
    assert shown["indemnity_estimate_usd"] == 0
    assert shown["reasons"] == ["买方 Acme Trading Co., Ltd. 的责任限额已用完"]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "loss.merge_party"))
    assert audit is not None and "Acme Group Trading" in audit.summary
    refused = runner.invoke(args=["loss", "decide", str(separate["report_id"]), "--pay"])
    assert refused.exit_code == 1 and "used up" in refused.stderr
    # a later report under the merged name finds the kept buyer
    later = _report(api, policy, CASE_1 | {"buyer_name": "ACME GROUP TRADING LTD", "invoice_amount_usd": 1000})
    assert later["limit_party"]["name"] == "Acme Trading Co., Ltd." and later["indemnity_estimate_usd"] == 0


def test_rule_6_the_indemnity_is_80_percent_of_the_assessed_loss(api, runner, app, logged_in):
    """Notice: "按企业出口损失金额的 80%" and case 1: "被保险人 A 在涉案买方项下无赔付纪录，赔付金额高于
    保单约定的单一买方赔付金额上限（15 万美元），故该案赔付金额为 USD150,000.00" — the insurer assesses
    the loss (at most what was reported: less a payment received after the report, or a proven
    discount) and pays 80 % of it within the limit; case 1 still pays exactly 150,000.00."""
    assert time.strftime("%Z") == "UTC"
    _e, _u, policy = f.loss_policy_holder(3)
    db.session.commit()
    case_1 = _report(api, policy, CASE_1)
    paid = runner.invoke(args=["loss", "decide", str(case_1["report_id"]), "--pay", "--json"])
    assert paid.exit_code == 0, paid.output
    assert '"indemnity_paid_usd": "150000.00"' in paid.stdout and '"assessed_loss_usd": "230000.00"' in paid.stdout

    other = CASE_1 | {"buyer_name": "Zeta Imports", "invoice_amount_usd": "100,000.00"}
    report_id = _report(api, policy, other)["report_id"]
    staff = app.test_client()
    logged_in("insurer", "clerk@sinosure.test", on=staff)
    page = f"/staff/losses/{report_id}"
    received = soup(submit(staff, page, {"receipt-amount": "20,000"}, form="form.receipt-form"))
    assert received.select_one(".arithmetic .row-ratio td").get_text(" ", strip=True) == "80 % × 80,000.00 = 64,000.00"
    assert api("GET", f"/api/v1/loss-reports/{report_id}").get_json()["indemnity_estimate_usd"] == 64000.00

    submit(staff, page, form=f"form[action='{page}/accept']")
    pay = {"decide-decision": "pay"}
    too_much = soup(submit(staff, page, pay | {"decide-assessed": "90000"}, form="form.decide-form"))
    assert "不超过 80,000.00" in too_much.get_text()
    assert db.session.get(LossReport, report_id).status == "accepted"
    decided = soup(submit_confirmed(staff, page, pay | {"decide-assessed": "75,000"}, form="form.decide-form"))
    assert decided.select_one(".paid-amount").get_text(strip=True) == "USD 60,000.00"
    shown = api("GET", f"/api/v1/loss-reports/{report_id}").get_json()
    assert (shown["assessed_loss_usd"], shown["indemnity_paid_usd"]) == (75000.00, 60000.00)

    third = _report(api, policy, other | {"buyer_name": "Eta Ltd", "invoice_amount_usd": 5000})["report_id"]
    assert runner.invoke(args=["loss", "decide", str(third), "--pay", "--assessed", "6000"]).exit_code == 1
    assert runner.invoke(args=["loss", "decide", str(third), "--decline", "--assessed", "1"]).exit_code == 2
    done = runner.invoke(args=["loss", "decide", str(third), "--pay", "--assessed", "1,000.00"])
    assert done.exit_code == 0 and "paid USD 800.00 (assessed loss USD 1,000.00)" in done.output


def test_rule_9_causes_and_the_certificate_use_the_notice_words(api, client, freeze, logged_in):
    """Notice: "（1）商业风险：买方无力偿还债务/破产/拖欠货款/拒绝接受货物；开证行破产/停业/被接管/拖欠/
    拒绝承兑。（2）政治风险：买方/开证行所在国家发生战争、动乱、贸易管制、外汇管制等。" and "（以正式保单约定
    为准）" — the same words on the report form and the certificate, and "等" left open by a cause for
    other risks the policy names."""
    _e, user, policy = f.loss_policy_holder(4)
    db.session.commit()
    assert [str(label) for label in rules.CAUSES.values()] == [
        "买方无力偿还债务",
        "买方破产",
        "买方拖欠货款",
        "买方拒绝接受货物",
        "开证行破产",
        "开证行停业",
        "开证行被接管",
        "开证行拖欠",
        "开证行拒绝承兑",
        "战争",
        "动乱",
        "贸易管制",
        "外汇管制",
        "其他保单约定的风险",
    ]
    other = _report(api, policy, CASE_1 | {"cause": "other_policy_risk"})
    assert other["covered"] is True

    login(client, user.email, f.PASSWORD)
    form = soup(client.get("/portal/losses/new"))
    assert form.select_one("#cause option[value=other_policy_risk]").get_text() == "其他保单约定的风险"
    hint = form.select_one("#cause").find_parent(class_="field").get_text()
    assert "开证行破产/停业/被接管/拖欠/拒绝承兑" in hint and "外汇管制等" in hint and "以正式保单约定为准" in hint

    from intranet.certificates.render import build

    _e2, _u2, holder = f.certificate_holder(5)
    db.session.commit()
    html = build(holder, base_url="http://127.0.0.1:5000", now=now()).html
    for words in (
        "买方无力偿还债务/破产/拖欠货款/拒绝接受货物",
        "开证行破产/停业/被接管/拖欠/拒绝承兑",
        "买方/开证行所在国家发生战争、动乱、贸易管制、外汇管制等",
        "以正式保单约定为准",
    ):
        assert words in html, words
    assert "汇兑限制" not in html and "内乱" not in html


def test_the_openapi_document_describes_banks_parties_and_assessed_losses(client):
    """CONTRACT.md: the loss report names `payment_terms`, `issuing_bank`, `buyer_registration_no`;
    the answer `limit_party` and, once decided, `assessed_loss_usd`; the causes are the rules' own."""
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    request = schemas["LossReportRequest"]["properties"]
    assert request["cause"]["enum"] == list(rules.CAUSES)
    assert {"bank_closure", "bank_takeover", "other_policy_risk"} <= set(request["cause"]["enum"])
    assert request["payment_terms"]["enum"] == ["open_account", "lc"]
    assert schemas["IssuingBank"]["required"] == ["name", "country"]
    assert "buyer_registration_no" in request
    answer = schemas["LossReport"]["properties"]
    assert "limit_party" in schemas["LossReport"]["required"] and "assessed_loss_usd" in answer
    assert schemas["LimitParty"]["properties"]["kind"]["enum"] == ["buyer", "bank"]


def test_rule_1_on_the_report_form_a_letter_of_credit_names_its_bank(client, freeze, utc_process):
    """Notice: "单一买方/开证行责任限额 15 万美元" — the enterprise's form asks for the issuing bank of a
    letter of credit, and the estimate counts the loss against the bank's limit."""
    freeze(AT)
    _e, user, policy = f.loss_policy_holder(6)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    data = {
        "policy_id": str(policy.id),
        "buyer_name": "Beta Handels GmbH",
        "buyer_country": "DE",
        "payment_terms": "lc",
        "bank_name": "Bank of Northshire plc",
        "bank_swift_bic": "nshb gb2l",
        "bank_country": "GB",
        "cause": "bank_closure",
        "due_date": "2024-12-15",
        "invoices-0-amount": "10,000",
        "invoices-0-shipment_date": "2024-11-15",
        "action": "preview",
    }
    page = soup(submit(client, "/portal/losses/new", data, form="#loss-form"))
    assert page.select_one(".arithmetic .row-remaining")["data-party"] == "bank"
    assert page.select_one(".arithmetic .row-remaining th").get_text(strip=True) == "该开证行剩余限额"
    bank = page.select_one(".issuing-bank").get_text(" ", strip=True)
    assert bank.startswith("Bank of Northshire plc · SWIFT NSHBGB2L")
    refused = soup(submit(client, "/portal/losses/new", data | {"payment_terms": "open_account"}, form="#loss-form"))
    assert "开证行风险仅适用于信用证方式的损失" in refused.select_one(".problems").get_text()
