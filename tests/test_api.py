"""The single window's API: bearer tokens (hashed, revocable, audited), the CONTRACT.md shapes,
JSON errors with codes for every kind of bad input, and the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from intranet.api.openapi import EXAMPLE_USCC
from intranet.api_auth.models import ApiToken
from intranet.audit.models import AuditLog
from intranet.extensions import db
from intranet.policies.models import Policy

from . import factories as f

CONTRACT_PATHS = {
    ("get", "/api/v1/programmes/{year}/enterprises/{uscc}"),
    ("post", "/api/v1/programmes/{year}/policies"),
    ("get", "/api/v1/policies/{policy_id}"),
    ("get", "/api/v1/policies/{policy_id}/certificate.pdf"),
    ("post", "/api/v1/policies/{policy_id}/loss-reports"),
    ("get", "/api/v1/loss-reports/{report_id}"),
    ("post", "/api/v1/policies/{policy_id}/credit-reports"),
    ("get", "/api/v1/notices"),
    ("get", "/api/v1/verify/{code}"),
}
POLICY_KEYS = {
    "policy_id",
    "policy_no",
    "status",
    "claimed_at",
    "issued_at",
    "cover_start",
    "cover_end",
    "uscc",
    "programme",
    "verify_code",
}


@pytest.fixture
def bearer(runner):
    result = runner.invoke(args=["token", "create", "--name", "单一窗口"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {raw}"}


def test_token_create_prints_it_once_and_stores_only_its_hash(runner, bearer):
    raw = bearer["Authorization"].split()[1]
    row = db.session.scalar(select(ApiToken))
    assert row.name == "单一窗口"
    assert row.token_hash != raw and len(row.token_hash) == 64
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.token_hash == raw)) == 0
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "api_token.create")) is not None


def test_401_without_a_valid_token_and_after_revocation(client, runner, bearer):
    path = "/api/v1/policies/1"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get(path, headers=bearer).status_code == 404  # authenticated, no such policy
    token_id = db.session.scalar(select(ApiToken.id))
    revoked = runner.invoke(args=["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(path, headers=bearer).status_code == 401
    assert runner.invoke(args=["token", "revoke", "424242"]).exit_code == 1
    listed = runner.invoke(args=["token", "list"])
    assert "revoked" in listed.output


def test_every_use_is_audited(client, bearer):
    client.get("/api/v1/policies/7", headers=bearer)
    client.get("/api/v1/programmes/2024/enterprises/XYZ", headers=bearer)
    calls = db.session.scalars(select(AuditLog).where(AuditLog.action == "api.call").order_by(AuditLog.id)).all()
    assert [c.summary for c in calls] == [
        "GET /api/v1/policies/7",
        "GET /api/v1/programmes/2024/enterprises/XYZ",
    ]
    assert all(c.actor_label == "api:单一窗口" for c in calls)


def test_standing_then_claim_is_idempotent_then_read_the_policy(client, bearer, freeze):
    freeze("2024-06-30T23:59:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    db.session.commit()
    url = f"/api/v1/programmes/2024/enterprises/{enterprise.uscc}"
    standing = client.get(url, headers=bearer).get_json()
    assert standing == {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "on_roster": True,
        "roster_status": "confirmed",
        "eligible": True,
        "policy": None,
    }
    created = client.post("/api/v1/programmes/2024/policies", json={"uscc": enterprise.uscc}, headers=bearer)
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == POLICY_KEYS
    assert body["status"] == "claimed" and body["policy_no"] is None and body["verify_code"] is None
    assert (body["cover_start"], body["cover_end"]) == ("2024-07-01", "2025-06-30")
    assert body["claimed_at"] == "2024-06-30T23:59:00+08:00"
    assert (body["uscc"], body["programme"]) == (enterprise.uscc, 2024)
    assert created.headers["Location"] == f"/api/v1/policies/{body['policy_id']}"
    # the same enterprise again, written the way people type it: the same policy, 200
    sloppy = " " + enterprise.uscc.lower()[:9] + " " + enterprise.uscc.lower()[9:]
    again = client.post("/api/v1/programmes/2024/policies", json={"uscc": sloppy}, headers=bearer)
    assert again.status_code == 200 and again.get_json() == body
    assert client.get(url, headers=bearer).get_json()["policy"] == body
    assert client.get(f"/api/v1/policies/{body['policy_id']}", headers=bearer).get_json() == body
    assert db.session.scalar(select(Policy.claimed_via)) == "api"


def test_a_late_claim_has_no_cover_start_until_issued(client, bearer, freeze, runner):
    freeze("2024-07-01T00:01:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    db.session.commit()
    body = client.post("/api/v1/programmes/2024/policies", json={"uscc": enterprise.uscc}, headers=bearer).get_json()
    assert (body["cover_start"], body["cover_end"]) == (None, "2025-06-30")
    freeze("2024-07-03T15:00:00+08:00")
    assert runner.invoke(args=["policy", "issue", str(body["policy_id"])]).exit_code == 0
    issued = client.get(f"/api/v1/policies/{body['policy_id']}", headers=bearer).get_json()
    assert issued["status"] == "issued" and issued["policy_no"] == "TB2024-SZ-000001"
    assert (issued["cover_start"], issued["issued_at"]) == ("2024-07-03", "2024-07-03T15:00:00+08:00")
    assert len(issued["verify_code"]) >= 16


def test_refusals_are_409_with_a_reason_code(client, bearer, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    prog = f.programme()
    confirmed = f.make_roster(prog, status="confirmed")
    big = f.make_enterprise(1)
    f.add_entry(confirmed, big, "8000000.01", eligible=False)
    stranger = f.make_enterprise(2)  # known, on no roster
    member = f.make_enterprise(3)
    f.add_entry(confirmed, member)
    db.session.commit()

    def post(uscc):
        return client.post("/api/v1/programmes/2024/policies", json={"uscc": uscc}, headers=bearer)

    assert (post(big.uscc).status_code, post(big.uscc).get_json()["error"]["code"]) == (409, "ineligible")
    refused = post(stranger.uscc)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "not_on_roster")
    standing = client.get(f"/api/v1/programmes/2024/enterprises/{stranger.uscc}", headers=bearer).get_json()
    assert (standing["on_roster"], standing["roster_status"], standing["eligible"]) == (False, None, False)
    freeze("2025-07-01T00:00:00+08:00")
    closed = post(member.uscc)
    assert (closed.status_code, closed.get_json()["error"]["code"]) == (409, "claim_closed")
    assert db.session.scalar(select(func.count(Policy.id))) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/api/v1/programmes/2024/policies", b"{not json", 400, "invalid_json"),
        ("post", "/api/v1/programmes/2024/policies", b"[1, 2]", 400, "invalid_json"),
        ("post", "/api/v1/programmes/2024/policies", b"", 400, "invalid_json"),
        ("post", "/api/v1/programmes/2024/policies", b'{"uscc": 914403}', 422, "invalid_uscc"),
        ("post", "/api/v1/programmes/2024/policies", b'{"uscc": null}', 422, "invalid_uscc"),
        ("post", "/api/v1/programmes/2024/policies", b"{}", 422, "invalid_uscc"),
        ("post", "/api/v1/programmes/2024/policies", b'{"uscc": "91440300000000001A"}', 422, "invalid_uscc"),
        ("post", "/api/v1/programmes/2024/policies", '{"uscc": "你好"}'.encode(), 422, "invalid_uscc"),
        ("post", "/api/v1/programmes/2024/policies", b'{"uscc": "' + EXAMPLE_USCC.encode() + b'"}', 404, None),
        ("post", "/api/v1/programmes/1999/policies", b'{"uscc": "' + EXAMPLE_USCC.encode() + b'"}', 404, None),
        ("get", "/api/v1/programmes/2024/enterprises/" + EXAMPLE_USCC, None, 404, "enterprise_not_found"),
        ("get", "/api/v1/programmes/2024/enterprises/short", None, 422, "invalid_uscc"),
        ("get", "/api/v1/programmes/0/enterprises/" + EXAMPLE_USCC, None, 404, "programme_not_found"),
        ("get", "/api/v1/programmes/99999999999999999999/enterprises/X", None, 404, None),
        ("get", "/api/v1/programmes/abc/enterprises/X", None, 404, None),
        ("get", "/api/v1/policies/99999999999999999999", None, 404, "not_found"),
        ("get", "/api/v1/policies/-1", None, 404, None),
        ("get", "/api/v1/policies/0", None, 404, "policy_not_found"),
        ("delete", "/api/v1/policies/1", None, 405, "method_not_allowed"),
        ("get", "/api/v1/nowhere", None, 404, "not_found"),
    ],
)
def test_bad_input_gets_a_json_error_never_a_500(client, bearer, method, path, body, status, code):
    response = client.open(path, method=method.upper(), data=body, headers=bearer, content_type="application/json")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"} and error["message"]
    if code:
        assert error["code"] == code


def test_the_api_needs_no_csrf_token_but_web_forms_still_do(client, bearer, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    db.session.commit()
    assert client.application.config.get("WTF_CSRF_ENABLED", True)
    created = client.post("/api/v1/programmes/2024/policies", json={"uscc": enterprise.uscc}, headers=bearer)
    assert created.status_code == 201
    assert client.post("/portal/claim/2024").status_code in (302, 400)  # login first / CSRF refused


def test_openapi_document_describes_every_contract_path(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert operations == CONTRACT_PATHS
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "tongbao token create",
    }
    assert document["paths"]["/api/v1/verify/{code}"]["get"]["security"] == []
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for path, item in document["paths"].items():
        for operation in item.values():
            if path != "/api/v1/verify/{code}":
                assert "401" in operation["responses"], path
            assert "404" in operation["responses"], path


def test_policy_dates_are_shanghai_dates(client, bearer):
    enterprise = f.confirmed_enterprise(1)
    policy = f.make_policy(
        enterprise,
        f.programme(),
        status="issued",
        claimed_at=datetime.fromisoformat("2024-06-30T16:30:00+00:00"),
        issued_at=datetime.fromisoformat("2024-07-04T17:00:00+00:00"),
        issue_date=date(2024, 7, 5),
        cover_start=date(2024, 7, 5),
        cover_end=date(2025, 6, 30),
        on_time=False,
        policy_no="TB2024-SZ-000009",
        verify_code="ACDEFGHJKMNPQRTWXY",
    )
    db.session.commit()
    body = client.get(f"/api/v1/policies/{policy.id}", headers=bearer).get_json()
    assert body["claimed_at"] == "2024-07-01T00:30:00+08:00"
    assert body["issued_at"] == "2024-07-05T01:00:00+08:00"


def test_a_revoked_policy_reads_revoked_and_its_certificate_verifies_as_revoked(client, bearer, freeze, runner):
    from intranet.policies import service

    freeze("2024-06-20T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    db.session.commit()
    policy_id = client.post(
        "/api/v1/programmes/2024/policies", json={"uscc": enterprise.uscc}, headers=bearer
    ).get_json()["policy_id"]
    freeze("2024-07-01T09:00:00+08:00")
    assert runner.invoke(args=["policy", "issue", str(policy_id)]).exit_code == 0
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    service.revoke(clerk, policy_id, "异议成立", now=datetime.fromisoformat("2024-08-01T09:00:00+08:00"))
    db.session.commit()
    body = client.get(f"/api/v1/policies/{policy_id}", headers=bearer).get_json()
    assert body["status"] == "revoked"
    if "api_certificates.verify" not in client.application.view_functions:
        pytest.skip("verification is not served yet")
    verified = client.get(f"/api/v1/verify/{body['verify_code']}").get_json()
    assert (verified["valid"], verified["status"], verified["insured"]) == (False, "revoked", enterprise.name)


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        (None, "未找到统一社会信用代码为 91440300MA5XXXXXXX 的企业"),
        ("zh-CN,zh;q=0.9", "未找到统一社会信用代码为 91440300MA5XXXXXXX 的企业"),
        ("en-US,en;q=0.8", "No enterprise with USCC 91440300MA5XXXXXXX"),
        ("fr", "未找到统一社会信用代码为 91440300MA5XXXXXXX 的企业"),
    ],
)
def test_error_messages_follow_accept_language_and_always_carry_the_code(client, bearer, accept, message):
    headers = {**bearer, **({"Accept-Language": accept} if accept else {})}
    response = client.get("/api/v1/programmes/2024/enterprises/" + EXAMPLE_USCC, headers=headers)
    assert response.status_code == 404
    expected = message.replace("91440300MA5XXXXXXX", EXAMPLE_USCC)
    assert response.get_json()["error"] == {"code": "enterprise_not_found", "message": expected}


def test_werkzeug_errors_and_missing_tokens_answer_in_the_asked_language_too(client):
    missing = client.get("/api/v1/policies/1", headers={"Accept-Language": "en"}).get_json()["error"]
    assert missing["code"] == "unauthorized" and missing["message"].startswith("Missing bearer token")
    chinese = client.get("/api/v1/nowhere").get_json()["error"]
    assert chinese == {"code": "not_found", "message": "未找到"}
    english = client.get("/api/v1/nowhere", headers={"Accept-Language": "en"}).get_json()["error"]
    assert english == {"code": "not_found", "message": "Not found"}
