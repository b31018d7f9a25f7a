"""The single window's loss-report API (CONTRACT.md) and `tongbao loss decide` exit codes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.clock import now
from intranet.extensions import db
from intranet.losses.models import LossReport

from . import factories as f

NOW = "2024-11-15T10:00:00+08:00"
CASE_1 = {
    "buyer_name": "Acme Trading Co., Ltd.",
    "buyer_country": "US",
    "invoice_amount_usd": 230000.00,
    "shipment_date": "2024-08-01",
    "due_date": "2024-10-30",
    "cause": "buyer_default",
}


@pytest.fixture
def api(client, freeze):
    freeze(NOW)
    _token, raw = create_token(cli_actor(), "single-window", now=now())
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, body: object = None, **kwargs):
        return client.open(path, method=method, json=body, headers=headers, **kwargs)

    return call


def test_case_1_reported_through_the_api_then_paid(api, runner):
    _e, _u, policy = f.loss_policy_holder(1)
    db.session.commit()
    created = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1)
    assert created.status_code == 201
    body = created.get_json()
    assert body == {
        "report_id": body["report_id"],
        "status": "reported",
        "covered": True,
        "reasons": [],
        "indemnity_estimate_usd": 150000.00,
        "limit_party": {"kind": "buyer", "name": "Acme Trading Co., Ltd.", "remaining_usd": 150000.00},
    }
    shown = api("GET", f"/api/v1/loss-reports/{body['report_id']}").get_json()
    assert shown == body and "indemnity_paid_usd" not in shown

    result = runner.invoke(args=["loss", "decide", str(body["report_id"]), "--pay"])
    assert result.exit_code == 0, result.output
    assert "150,000.00" in result.output
    decided = api("GET", f"/api/v1/loss-reports/{body['report_id']}").get_json()
    assert decided["status"] == "paid"
    assert decided["indemnity_paid_usd"] == 150000.00
    assert decided["assessed_loss_usd"] == 230000.00
    assert decided["limit_party"]["remaining_usd"] == 0
    row = db.session.get(LossReport, body["report_id"])
    assert row.reported_via == "api" and row.paid_usd == Decimal("150000.00")


def test_api_reports_not_covered_with_reasons_and_accepts_amount_strings(api):
    _e, _u, policy = f.loss_policy_holder(2)
    db.session.commit()
    body = CASE_1 | {"invoice_amount_usd": "1,000.50", "shipment_date": "2024-06-20", "due_date": "2024-08-20"}
    created = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", body)
    assert created.status_code == 201
    data = created.get_json()
    assert data["covered"] is False and data["indemnity_estimate_usd"] == 0
    assert data["reasons"] == ["发票 — 出运日 2024-06-20 早于保险起期 2024-07-01"]
    assert db.session.scalar(select(LossReport.invoice_total_usd)) == Decimal("1000.50")


BAD_INPUT = [
    ({"buyer_country": "XX"}, "invalid_country"),
    ({"buyer_country": "USA"}, "invalid_buyer_country"),
    ({"cause": "bad_luck"}, "invalid_cause"),
    ({"invoice_amount_usd": -5}, "invalid_amount"),
    ({"invoice_amount_usd": "abc"}, "invalid_amount"),
    ({"invoice_amount_usd": True}, "invalid_amount"),
    ({"invoice_amount_usd": 10.005}, "invalid_amount"),
    ({"invoice_amount_usd": 1e300}, "invalid_amount"),
    ({"invoice_amount_usd": "NaN"}, "invalid_amount"),
    ({"shipment_date": "2024-13-01"}, "invalid_date"),
    ({"shipment_date": 20240801}, "invalid_date"),
    ({"shipment_date": "2030-01-01", "due_date": "2030-02-01"}, "invalid_shipment_date"),
    ({"due_date": "2024-07-01"}, "invalid_due_date"),
    ({"buyer_name": None}, "missing_field"),
    ({"buyer_name": ["x"]}, "invalid_buyer_name"),
    ({"buyer_name": "..."}, "invalid_buyer_name"),
]


def test_bad_input_is_422_with_a_code(api):
    _e, _u, policy = f.loss_policy_holder(3)
    db.session.commit()
    for change, code in BAD_INPUT:
        response = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1 | change)
        assert response.status_code == 422, (change, response.get_json())
        assert response.get_json()["error"]["code"] == code, change
    assert db.session.scalar(select(LossReport.id)) is None


def test_errors_carry_a_code_and_a_chinese_message_by_default(api):
    _e, _u, policy = f.loss_policy_holder(12)
    db.session.commit()
    bad = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1 | {"cause": "bad_luck"})
    assert bad.get_json()["error"] == {"code": "invalid_cause", "message": "损失原因不在列表中"}
    missing = api("GET", "/api/v1/loss-reports/999999")
    assert missing.get_json()["error"] == {"code": "report_not_found", "message": "报损案件 999999 不存在"}


def test_control_characters_are_refused_at_the_edge_not_a_server_error(api):
    _e, _u, policy = f.loss_policy_holder(10)
    db.session.commit()
    body = CASE_1 | {"buyer_name": "Acme\x00 Trading\x07 Co., Ltd.", "invoice_no": "INV\x00-9"}
    response = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "control_character"
    assert db.session.scalar(select(func.count(LossReport.id))) == 0


def test_body_that_is_not_a_json_object_is_refused(api, client):
    _e, _u, policy = f.loss_policy_holder(4)
    db.session.commit()
    assert api("POST", f"/api/v1/policies/{policy.id}/loss-reports", [1, 2]).status_code == 422
    response = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", data="{nope", content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_unknown_policy_or_report_is_404_and_no_token_is_401(api, client):
    _e, _u, policy = f.loss_policy_holder(5)
    db.session.commit()
    assert api("POST", "/api/v1/policies/99999/loss-reports", CASE_1).get_json()["error"]["code"] == "policy_not_found"
    assert api("GET", "/api/v1/loss-reports/424242").status_code == 404
    assert api("GET", "/api/v1/loss-reports/abc").status_code == 404
    assert client.post(f"/api/v1/policies/{policy.id}/loss-reports", json=CASE_1).status_code == 401


def test_unissued_or_revoked_policy_is_409(api, freeze):
    enterprise = f.confirmed_enterprise(6)
    claimed = f.make_policy(enterprise, f.programme(2024), claimed_at=now())
    _e, _u, revoked = f.loss_policy_holder(7)
    revoked.status = "revoked"
    db.session.commit()
    first = api("POST", f"/api/v1/policies/{claimed.id}/loss-reports", CASE_1)
    assert (first.status_code, first.get_json()["error"]["code"]) == (409, "policy_not_issued")
    second = api("POST", f"/api/v1/policies/{revoked.id}/loss-reports", CASE_1)
    assert (second.status_code, second.get_json()["error"]["code"]) == (409, "policy_revoked")


def test_loss_decide_exit_codes(api, runner):
    _e, _u, policy = f.loss_policy_holder(8)
    db.session.commit()
    report_id = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1).get_json()["report_id"]
    assert runner.invoke(args=["loss", "decide", str(report_id)]).exit_code == 2  # neither flag
    assert runner.invoke(args=["loss", "decide", str(report_id), "--pay", "--decline"]).exit_code == 2
    assert runner.invoke(args=["loss", "decide", str(report_id), "--decline"]).exit_code == 2  # no reason
    assert runner.invoke(args=["loss", "decide", "abc", "--pay"]).exit_code == 2
    missing = runner.invoke(args=["loss", "decide", "999999", "--pay"])
    assert missing.exit_code == 1 and "999999" in missing.stderr

    declined = runner.invoke(args=["loss", "decide", str(report_id), "--decline", "--reason", "买方已付款", "--json"])
    assert declined.exit_code == 0, declined.output
    assert json.loads(declined.stdout)["status"] == "declined"
    again = runner.invoke(args=["loss", "decide", str(report_id), "--pay"])
    assert again.exit_code == 1 and "already closed" in again.stderr
    assert db.session.get(LossReport, report_id).status == "declined"
    assert api("GET", f"/api/v1/loss-reports/{report_id}").get_json()["indemnity_paid_usd"] == 0


def test_loss_decide_refuses_to_pay_nothing(api, runner):
    _e, _u, policy = f.loss_policy_holder(9)
    db.session.commit()
    body = CASE_1 | {"shipment_date": "2024-06-01", "due_date": "2024-08-01"}
    report_id = api("POST", f"/api/v1/policies/{policy.id}/loss-reports", body).get_json()["report_id"]
    result = runner.invoke(args=["loss", "decide", str(report_id), "--pay"])
    assert result.exit_code == 1 and "decline it instead" in result.stderr
    assert db.session.get(LossReport, report_id).status == "reported"


def test_simultaneous_payments_cannot_exceed_the_buyer_limit(api, app):
    """Two reports on one buyer, each estimated at the full limit, paid at the same moment from two
    threads: one is paid 150,000.00, the other is refused (nothing left)."""
    import threading

    from intranet.errors import Refused
    from intranet.losses import workflow

    _e, _u, policy = f.loss_policy_holder(11)
    db.session.commit()
    ids = [
        api("POST", f"/api/v1/policies/{policy.id}/loss-reports", CASE_1 | {"buyer_name": name}).get_json()["report_id"]
        for name in ("Acme Trading Co., Ltd.", "ACME TRADING CO LTD")
    ]
    db.session.commit()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(report_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                workflow.decide(cli_actor(), report_id, pay=True, reason=None, now=now())
                outcomes.append("paid")
            except Refused as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["nothing_to_pay", "paid"]
    db.session.commit()
    paid = db.session.scalars(select(LossReport.paid_usd).where(LossReport.status == "paid")).all()
    assert paid == [Decimal("150000.00")]
