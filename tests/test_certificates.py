"""Certificates on the web, the API and the command line: who may download, ETag/304, stored once,
the public verification page and JSON (genuine / revoked / unknown, and nothing else disclosed)."""

from __future__ import annotations

import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pypdf
import pytest
import requests
from pdfminer.high_level import extract_text
from sqlalchemy import func, select

from intranet.actors import SystemActor
from intranet.api_auth.tokens import create_token
from intranet.certificates import render, service
from intranet.certificates.models import Certificate
from intranet.certificates.qr import grouped
from intranet.clock import now
from intranet.extensions import db
from intranet.policies import service as policies

from . import factories as f
from .helpers import login, soup, text_of
from .test_certificates_pdf import decode_qr

OPERATOR = SystemActor(name="test")


def url(policy) -> str:
    return f"/policies/{policy.id}/certificate.pdf"


def stored_rows(policy_id: int) -> int:
    return db.session.scalar(select(func.count(Certificate.id)).where(Certificate.policy_id == policy_id))


@pytest.fixture
def render_calls(monkeypatch):
    calls: list[int] = []
    real = render.render_pdf

    def counting(built, **kwargs):
        calls.append(1)
        return real(built, **kwargs)

    monkeypatch.setattr(render, "render_pdf", counting)
    return calls


@pytest.fixture
def bearer(app):
    _token, raw = create_token(OPERATOR, "单一窗口", now=now())
    return {"Authorization": f"Bearer {raw}"}


def test_owner_downloads_once_rendered_then_cheap_reads_with_etag_and_304(client, freeze, render_calls):
    freeze("2024-07-06T09:00:00+08:00")
    _enterprise, user, policy = f.certificate_holder(11)
    login(client, user.email, f.PASSWORD)

    first = client.get(url(policy))
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-")
    assert first.headers["ETag"] == f'"{hashlib.sha256(first.data).hexdigest()}"'
    assert first.headers["Last-Modified"]
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"{policy.policy_no}.pdf" in disposition
    assert "private" in first.headers["Cache-Control"]

    second = client.get(url(policy))
    assert second.status_code == 200 and second.data == first.data
    assert len(render_calls) == 1  # the second download read the stored PDF
    assert stored_rows(policy.id) == 1

    unchanged = client.get(url(policy), headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    since = client.get(url(policy), headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(url(policy), headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data == first.data
    assert len(render_calls) == 1


def test_only_the_owner_and_staff_can_download(client, freeze, bearer):
    freeze("2024-07-06T09:00:00+08:00")
    _a, _owner, policy_a = f.certificate_holder(21)
    _b, other, _policy_b = f.certificate_holder(22)
    insurer = f.make_user("insurer", "clerk@sinosure.test")
    bureau = f.make_user("bureau", "officer@bureau.test")

    anonymous = client.get(url(policy_a))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get(f"/api/v1/policies/{policy_a.id}/certificate.pdf").status_code == 401

    login(client, other.email, f.PASSWORD)
    assert client.get("/portal/").status_code == 200  # logged in as B
    foreign = client.get(url(policy_a))
    missing = client.get(f"/policies/{policy_a.id + 1000}/certificate.pdf")
    assert foreign.status_code == missing.status_code == 404
    assert b"%PDF" not in foreign.data
    # the same answer as for a policy that does not exist: nothing tells A's policy exists
    assert re.sub(r"\d+", "N", text_of(foreign)) == re.sub(r"\d+", "N", text_of(missing))
    assert client.get(f"/api/v1/policies/{policy_a.id}/certificate.pdf").status_code == 401  # a session is no token

    for staff in (insurer, bureau):
        staff_client = client.application.test_client()
        login(staff_client, staff.email, f.PASSWORD)
        response = staff_client.get(url(policy_a))
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_not_issued_means_no_certificate_anywhere(client, runner, freeze, bearer, tmp_path):
    freeze("2024-06-20T09:00:00+08:00")
    enterprise = f.confirmed_enterprise(31)
    user = f.make_user("enterprise", "claimed@exporter.test", enterprise=enterprise)
    policy = f.make_policy(enterprise, f.programme(), claimed_at=now())
    login(client, user.email, f.PASSWORD)

    assert client.get(url(policy)).status_code == 404
    api = client.get(f"/api/v1/policies/{policy.id}/certificate.pdf", headers=bearer)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_issued"
    assert client.get("/api/v1/policies/99999999999/certificate.pdf", headers=bearer).status_code == 404

    target = tmp_path / "claimed.pdf"
    result = runner.invoke(args=["certificate", "render", str(policy.id), "-o", str(target)])
    assert result.exit_code == 1
    assert "not issued" in result.stderr and not target.exists()
    assert runner.invoke(args=["certificate", "render", "424242", "-o", str(target)]).exit_code == 1


def test_cli_renders_a_valid_pdf_and_gives_a_codeless_policy_its_code(runner, freeze, tmp_path):
    freeze("2024-07-06T09:00:00+08:00")
    enterprise, _user, policy = f.certificate_holder(41, verify_code=None)
    db.session.commit()
    target = tmp_path / "out" / "cert.pdf"
    target.parent.mkdir()

    result = runner.invoke(args=["certificate", "render", str(policy.id), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert policy.policy_no in result.stdout
    reader = pypdf.PdfReader(target)
    assert len(reader.pages) == 1
    assert enterprise.uscc in extract_text(str(target))
    assert stored_rows(policy.id) == 1

    db.session.refresh(policy)
    assert policy.verify_code and len(policy.verify_code) >= 16
    assert decode_qr(target.read_bytes()) == [f"http://tongbao.test/verify/{policy.verify_code}"]
    assert service.verify(policy.verify_code, now=now()).status == "valid"


def test_verify_page_and_api_say_genuine_then_revoked_and_disclose_nothing_else(client, freeze):
    freeze("2024-07-06T09:00:00+08:00")
    enterprise, user, policy = f.certificate_holder(51, name="深圳市南山测试电子有限公司")
    insurer = f.make_user("insurer", "clerk@sinosure.test")
    code = policy.verify_code

    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one(".verdict-valid .verdict-title").get_text(strip=True) == "真实有效"
    assert html.select_one(".verdict .insured").get_text(strip=True) == enterprise.name
    assert html.select_one(".verdict .cover").get_text(" ", strip=True) == "2024-07-01 — 2025-06-30"
    main = html.select_one("main").get_text(" ", strip=True)
    for secret in (enterprise.uscc, policy.policy_no, enterprise.mobile, enterprise.email, "88325712", "150,000"):
        assert secret not in main, secret
    assert "no-store" in page.headers["Cache-Control"]

    api = client.get(f"/api/v1/verify/{code}")
    assert api.status_code == 200
    assert api.get_json() == {
        "valid": True,
        "status": "valid",
        "insured": enterprise.name,
        "cover_start": "2024-07-01",
        "cover_end": "2025-06-30",
    }
    # typed off the paper: grouped, lower case
    typed = client.get("/verify", query_string={"code": grouped(code).lower()})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{code}")

    # the owner downloads, then the insurer revokes (an upheld late objection)
    login(client, user.email, f.PASSWORD)
    original = client.get(url(policy)).data
    policies.revoke(insurer, policy.id, "异议成立 / objection upheld", now=now())
    db.session.commit()

    revoked = soup(client.get(f"/verify/{code}"))
    assert revoked.select_one(".verdict-revoked .verdict-title").get_text(strip=True) == "已撤销"
    assert revoked.select_one(".verdict .insured").get_text(strip=True) == enterprise.name
    assert client.get(f"/api/v1/verify/{code}").get_json() == {
        "valid": False,
        "status": "revoked",
        "insured": enterprise.name,
        "cover_start": "2024-07-01",
        "cover_end": "2025-06-30",
    }
    # the owner still gets a certificate, re-rendered for the new version and stamped REVOKED
    stamped = client.get(url(policy))
    assert stamped.status_code == 200 and stamped.data != original
    assert "REVOKED" in extract_text(io.BytesIO(stamped.data))
    assert "REVOKED" not in extract_text(io.BytesIO(original))
    assert stored_rows(policy.id) == 2

    client.application.config["TONGBAO_NOW"] += timedelta(days=400)
    assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "revoked"


def test_unknown_codes_are_404_and_an_expired_cover_is_not_current(client, freeze):
    freeze("2025-07-02T09:00:00+08:00")
    _enterprise, _user, policy = f.certificate_holder(61)
    claimed = f.make_policy(
        f.confirmed_enterprise(62), f.programme(), claimed_at=now(), verify_code="CLAIMEDONLY1234567"
    )

    assert client.get("/verify/%00").status_code == 400  # a control character is refused at the edge
    for code in ("QQQQQQQQQQQQQQQQQQ", claimed.verify_code, "x" * 300, "'; DROP TABLE policies;--"):
        page = client.get(f"/verify/{code}")
        assert page.status_code == 404
        assert soup(page).select_one(".verdict-unknown") is not None
        api = client.get(f"/api/v1/verify/{code}")
        assert api.status_code == 404 and api.get_json()["error"]["code"] == "unknown_code"

    expired = client.get(f"/api/v1/verify/{policy.verify_code}").get_json()
    assert (expired["valid"], expired["status"]) == (False, "expired")


def test_api_certificate_for_the_single_window_matches_the_web_download(client, freeze, bearer):
    freeze("2024-07-06T09:00:00+08:00")
    _enterprise, user, policy = f.certificate_holder(71)
    api_url = f"/api/v1/policies/{policy.id}/certificate.pdf"

    first = client.get(api_url, headers=bearer)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert client.get(api_url, headers={**bearer, "If-None-Match": first.headers["ETag"]}).status_code == 304
    login(client, user.email, f.PASSWORD)
    assert client.get(url(policy)).data == first.data


def test_concurrent_first_downloads_store_one_certificate(app, live_server, bearer, freeze):
    freeze("2024-07-06T09:00:00+08:00")
    _enterprise, _user, policy = f.certificate_holder(81)
    db.session.commit()
    target = f"{live_server}/api/v1/policies/{policy.id}/certificate.pdf"

    def fetch(_: int) -> tuple[int, str]:
        response = requests.get(target, headers=bearer, timeout=60)
        return response.status_code, hashlib.sha256(response.content).hexdigest()

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(fetch, range(3)))
    assert {status for status, _ in results} == {200}
    assert len({digest for _, digest in results}) == 1  # everyone got the winner's bytes
    db.session.commit()  # end this session's read snapshot
    assert stored_rows(policy.id) == 1


def test_a_losing_insert_returns_the_winners_row(app, freeze):
    freeze("2024-07-06T09:00:00+08:00")
    _enterprise, _user, policy = f.certificate_holder(91)
    db.session.commit()
    winner = service._store(OPERATOR, policy.id, policy.version, b"%PDF-1.7 the first render", now=now())

    late = service._store(OPERATOR, policy.id, policy.version, b"%PDF-1.7 another render", now=now())
    assert late.id == winner.id and late.pdf == b"%PDF-1.7 the first render"
    assert stored_rows(policy.id) == 1
    stored = service.stored_certificate(OPERATOR, policy.id, now=now())
    assert stored.pdf == b"%PDF-1.7 the first render"  # served from the table, not rendered again
