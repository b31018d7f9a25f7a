"""Buyer credit reports: the free quota per enterprise per programme (remaining always shown, the
fourth refused on the web and 409 quota_exhausted in the API), the insurer's PDF, the download."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from intranet.actors import cli_actor
from intranet.api_auth.tokens import create_token
from intranet.clock import now
from intranet.credit_reports.models import CreditReportRequest
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.storage.models import StoredFile

from . import factories as f
from .helpers import login, soup, submit

NOW = "2024-09-10T10:00:00+08:00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def remaining(page) -> int:
    return int(page.select_one(".remaining-free").get_text(strip=True))


def ask(client, buyer: str, country: str = "DE"):
    data = {"buyer_name": buyer, "buyer_country": country}
    return submit(client, "/portal/credit-reports", data, form="form.credit-request-form")


def test_three_free_reports_then_the_fourth_is_refused_on_the_web(client, freeze):
    freeze(NOW)
    _e, user, _policy = f.loss_policy_holder(1)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    assert remaining(soup(client.get("/portal/credit-reports"))) == f.programme(2024).free_credit_reports == 3
    for n, buyer in enumerate(["Müller GmbH", "Rossi SpA", "Dupont SA"], start=1):
        page = soup(ask(client, buyer))
        assert remaining(page) == 3 - n
    refused = ask(client, "Fourth Buyer Ltd")
    assert refused.status_code == 409
    page = soup(refused)
    problem = page.select_one(".error-summary .problem").get_text(strip=True)
    assert problem == "2024 年度 3 份免费资信报告已用完，剩余 0 份"
    assert remaining(page) == 0
    client.get("/lang/en?next=/portal/credit-reports")
    problem = soup(ask(client, "Fourth Buyer Ltd")).select_one(".error-summary .problem").get_text(strip=True)
    assert problem == "All 3 free credit reports of the 2024 programme are used; 0 remaining"
    rows = page.select("table.credit-requests tbody tr")
    assert len(rows) == 3
    assert db.session.scalar(select(CreditReportRequest.buyer_country).limit(1)) == "DE"


def test_api_quota_and_409_quota_exhausted(client, freeze):
    freeze(NOW)
    _e, _u, policy = f.loss_policy_holder(2)
    db.session.commit()
    _t, raw = create_token(cli_actor(), "single-window", now=now())
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/policies/{policy.id}/credit-reports"
    seen = []
    for buyer in ("A Corp", "B Corp", "C Corp"):
        response = client.post(url, json={"buyer_name": buyer, "buyer_country": "br"}, headers=headers)
        assert response.status_code == 201
        body = response.get_json()
        assert set(body) == {"request_id", "status", "remaining_free"} and body["status"] == "requested"
        seen.append(body["remaining_free"])
    assert seen == [2, 1, 0]
    fourth = client.post(url, json={"buyer_name": "D Corp", "buyer_country": "BR"}, headers=headers)
    assert fourth.status_code == 409
    assert fourth.get_json()["error"]["code"] == "quota_exhausted"
    bad = client.post(url, json={"buyer_name": "D Corp", "buyer_country": "ZZ"}, headers=headers)
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (422, "invalid_country")
    assert client.post(url, json={"buyer_country": "BR"}, headers=headers).status_code == 422
    assert client.post("/api/v1/policies/987654/credit-reports", json={}, headers=headers).status_code == 404
    assert client.post(url, json={"buyer_name": "x", "buyer_country": "BR"}).status_code == 401
    assert db.session.scalar(select(CreditReportRequest.buyer_country).limit(1)) == "BR"


def test_insurer_attaches_the_pdf_and_the_enterprise_downloads_it(client, freeze, app):
    freeze(NOW)
    enterprise, user, _policy = f.loss_policy_holder(3)
    _o, stranger, _p = f.loss_policy_holder(4)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    ask(client, "Buyer One", "JP")
    ask(client, "Buyer Two", "JP")
    first, second = db.session.scalars(select(CreditReportRequest).order_by(CreditReportRequest.id)).all()

    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    queue = soup(staff.get("/staff/credit-reports"))
    token = queue.select_one(f"#request-{first.id} .deliver-form input[name=csrf_token]")["value"]
    fake = staff.post(
        f"/staff/credit-reports/{first.id}/deliver",
        data={"csrf_token": token, "report": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 40), "report.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "不是 PDF 文件" in soup(fake).select_one(".flash-error").get_text()
    staff.post(
        f"/staff/credit-reports/{first.id}/deliver",
        data={"csrf_token": token, "report": (io.BytesIO(PDF), "Buyer One 资信报告.pdf")},
        content_type="multipart/form-data",
    )
    decline_token = queue.select_one(f"#request-{second.id} .decline-form input[name=csrf_token]")["value"]
    staff.post(f"/staff/credit-reports/{second.id}/decline", data={"csrf_token": decline_token, "text": "查无此买方"})

    page = soup(client.get("/portal/credit-reports"))
    statuses = [s.get_text(strip=True) for s in page.select(".credit-status")]
    assert statuses == ["未能出具", "已出具"]
    assert remaining(page) == 2  # the declined request gave its free report back
    link = page.select_one("table.credit-requests a")["href"]
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    db.session.refresh(first)
    stored = db.session.get(StoredFile, first.report_file_id)  # in the database: any host serves it
    assert stored is not None and (stored.kind, stored.data) == ("credit_report", PDF) and first.report_path is None
    assert staff.get(f"/staff/credit-reports/{first.id}/report.pdf").data == PDF

    outsider = app.test_client()
    login(outsider, stranger.email, f.PASSWORD)
    assert outsider.get(link).status_code == 404
    assert soup(outsider.get("/portal/credit-reports")).select("table.credit-requests a") == []
    templates = db.session.scalars(
        select(OutboxMessage.data).where(OutboxMessage.enterprise_id == enterprise.id, OutboxMessage.channel == "email")
    ).all()
    assert sorted(d["status"] for d in templates) == ["declined", "delivered"]


@pytest.mark.parametrize("role", ["bureau", "enterprise"])
def test_only_insurer_staff_work_the_queue(client, role):
    enterprise = f.make_enterprise(9) if role == "enterprise" else None
    f.make_user(role, f"{role}@x.test", enterprise=enterprise)
    db.session.commit()
    login(client, f"{role}@x.test", f.PASSWORD)
    assert client.get("/staff/credit-reports").status_code == 403


def test_simultaneous_requests_cannot_exceed_the_quota(live_server, freeze):
    """Six requests at once for an enterprise with 3 free reports: exactly 3 succeed, 3 get 409."""
    import threading

    import requests

    freeze(NOW)
    _e, _u, policy = f.loss_policy_holder(5)
    db.session.commit()
    _t, raw = create_token(cli_actor(), "single-window", now=now())
    db.session.commit()
    url = f"{live_server}/api/v1/policies/{policy.id}/credit-reports"
    start = threading.Barrier(6)
    codes: list[int] = []

    def ask_once(n: int) -> None:
        start.wait()
        response = requests.post(
            url,
            json={"buyer_name": f"Buyer {n}", "buyer_country": "FR"},
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=ask_once, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 201, 201, 409, 409, 409]
    db.session.commit()  # end the test's read snapshot
    count = db.session.scalar(
        select(func.count(CreditReportRequest.id)).where(CreditReportRequest.policy_id == policy.id)
    )
    assert count == 3
