"""Messages at every step of a policy and a credit report: what the enterprise receives by e-mail
and SMS when it claims, when its policy is issued and when its credit report is ready — on the
channels it chose, in its language, once however often a step is retried — and every SMS fits in
one part."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from intranet.clock import now
from intranet.credit_reports.models import CreditReportRequest
from intranet.errors import Refused
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.outbox.segments import sms_segments
from intranet.policies import messages as policy_messages
from intranet.policies import service as policies
from intranet.policies.models import Policy
from intranet.tasks.models import Task

from . import factories as f
from .helpers import login, soup, submit, submit_confirmed, text_of

BASE = "http://tongbao.test"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def _member(n: int = 1, *, locale: str | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    enterprise = f.confirmed_enterprise(n, **kwargs)
    user = f.make_user("enterprise", f"boss{n}@exporter.test", enterprise=enterprise)
    user.locale = locale
    db.session.commit()
    return enterprise


def _messages(enterprise, template: str) -> dict[str, OutboxMessage]:  # type: ignore[no-untyped-def]
    db.session.commit()  # end the test's read snapshot: the request wrote
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.enterprise_id == enterprise.id, OutboxMessage.template == template)
    ).all()
    by_channel = {m.channel: m for m in rows}
    assert len(by_channel) == len(rows), "two messages on one channel"
    return by_channel


def _html(message: OutboxMessage) -> BeautifulSoup:
    assert message.body_html is not None
    return BeautifulSoup(message.body_html, "html.parser")


def _text(body: BeautifulSoup, selector: str) -> str:
    """An element's text as a reader sees it (whitespace collapsed)."""
    node = body.select_one(selector)
    assert node is not None, selector
    return " ".join(node.get_text().split())


def _one_part(sms: OutboxMessage) -> None:
    assert sms.segments == 1 == sms_segments(sms.body_text), sms.body_text
    if not sms.body_text.isascii():
        assert len(sms.body_text) <= 70, sms.body_text


def _claim(client, enterprise) -> Policy:  # type: ignore[no-untyped-def]
    login(client, enterprise.uscc, f.PASSWORD)
    submit(client, "/portal/", form="form.claim-form")
    policy = db.session.scalar(select(Policy).where(Policy.enterprise_id == enterprise.id))
    assert policy is not None
    return policy


# --- claim received ------------------------------------------------------------------------------


def test_an_on_time_claim_is_confirmed_by_email_and_sms_with_the_whole_cover(client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = _member(1, email="boss@exporter.test", mobile="13912345678")
    _claim(client, enterprise)
    sent = _messages(enterprise, "policy_claimed")
    assert set(sent) == {"email", "sms"}
    email, sms = sent["email"], sent["sms"]
    assert (email.recipient, sms.recipient) == ("boss@exporter.test", "13912345678")
    assert email.language == sms.language == "zh"
    assert email.subject == "【统保】已收到贵司2024年度保单领取申请"
    body = _html(email)
    assert _text(body, ".cover") == (
        "贵司在领取截止日前领取，保障期限为完整的保险期间：2024-07-01 至 2025-06-30（含首尾两日）。"
    )
    assert "保单预计于 2024-06-17 前签发" in _text(body, ".expected")
    assert "保障期限为完整的保险期间：2024-07-01 至 2025-06-30" in email.body_text
    assert sms.body_text == "【统保】已收到2024年保单领取申请，保障2024-07-01至2025-06-30，预计2024-06-17前签发。"
    _one_part(sms)


def test_a_late_claim_says_cover_starts_on_issue_and_when_issuance_is_expected(client, freeze):
    freeze("2024-07-10T10:00:00+08:00")
    enterprise = _member(1)
    _claim(client, enterprise)
    email, sms = (_messages(enterprise, "policy_claimed")[c] for c in ("email", "sms"))
    cover = _text(_html(email), ".cover")
    assert cover == "贵司在领取截止日后领取，保障期限自保单签发之日起至 2025-06-30（含当日）。"
    assert "2024-07-17" in _text(_html(email), ".expected")
    assert sms.body_text == "【统保】已收到2024年保单领取申请，保障自签发日至2025-06-30，预计2024-07-17前签发。"
    _one_part(sms)


def test_claiming_twice_tells_once(client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = _member(1)
    _claim(client, enterprise)
    token = soup(client.get("/portal/")).select_one("input[name=csrf_token]")["value"]
    for _ in range(2):  # a stale form clicked again
        assert client.post("/portal/claim/2024", data={"csrf_token": token}).status_code == 302
    assert "已领取过" in text_of(client.get("/portal/"))
    assert set(_messages(enterprise, "policy_claimed")) == {"email", "sms"}


def test_an_english_speaking_enterprise_is_told_in_english(client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = _member(1, locale="en", name="Shenzhen Bright Export Co., Ltd.")
    _claim(client, enterprise)
    email, sms = (_messages(enterprise, "policy_claimed")[c] for c in ("email", "sms"))
    assert email.language == sms.language == "en"
    assert email.subject == "[Tongbao] Your 2024 policy claim has been received"
    cover = _text(_html(email), ".cover")
    assert cover == (
        "You claimed by the claim deadline, so the policy covers the whole period: "
        "2024-07-01 to 2025-06-30 (both days inclusive)."
    )
    assert not re.search(r"[\u4e00-\u9fff]", email.subject + email.body_text + sms.body_text)
    assert sms.body_text.startswith("[Tongbao] 2024 policy claim received. Cover 2024-07-01 to 2025-06-30")
    _one_part(sms)


def test_an_email_only_enterprise_gets_no_sms_and_an_sms_only_one_no_email(client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    by_mail = _member(1)
    by_mail.notify_sms = False
    by_phone = _member(2)
    by_phone.notify_email = False
    db.session.commit()
    _claim(client, by_mail)
    other = client.application.test_client()
    _claim(other, by_phone)
    assert set(_messages(by_mail, "policy_claimed")) == {"email"}
    assert set(_messages(by_phone, "policy_claimed")) == {"sms"}


# --- policy issued -------------------------------------------------------------------------------


def test_issuing_sends_the_certificate_link_and_the_verification_code(app, client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = _member(1, name="深圳市统保测试有限公司")
    policy = _claim(client, enterprise)
    freeze("2024-07-02T09:00:00+08:00")
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    page = submit(staff, "/staff/policies/queue", form=f"tr[data-policy-id='{policy.id}'] form")
    assert "已签发保单 TB2024-SZ-000001" in text_of(page)

    sent = _messages(enterprise, "policy_issued")
    assert set(sent) == {"email", "sms"}
    email, sms = sent["email"], sent["sms"]
    db.session.refresh(policy)
    code = policy.verify_code
    assert email.subject == "【统保】保单 TB2024-SZ-000001 已签发"
    body = _html(email)
    assert _text(body, ".policy-no") == "TB2024-SZ-000001"
    certificate = body.select_one("a.certificate")["href"]
    assert certificate == f"{BASE}/policies/{policy.id}/certificate.pdf"
    grouped = _text(body, ".verify-code")
    assert grouped.replace("-", "") == code and len(grouped.split("-")) == 3
    verify = body.select_one("a.verify")["href"]
    assert verify == f"{BASE}/verify/{code}"
    assert certificate in email.body_text and verify in email.body_text and grouped in email.body_text
    assert "保障期限：2024-07-01 至 2025-06-30" in email.body_text
    assert sms.body_text == f"【统保】保单TB2024-SZ-000001已签发，验证码{code}，请登录下载保险凭证。"
    _one_part(sms)

    # both links work: the owner downloads its certificate, anyone verifies the code
    download = client.get(urlsplit(certificate).path)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    checked = app.test_client().get(urlsplit(verify).path)
    assert checked.status_code == 200 and "深圳市统保测试有限公司" in text_of(checked)


def test_a_second_issue_or_a_retried_task_tells_once(app, client, freeze):
    freeze("2024-06-10T10:00:00+08:00")
    enterprise = _member(1, locale="en")
    policy = _claim(client, enterprise)
    freeze("2024-07-02T09:00:00+08:00")
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    # "issue all" runs one `policy.issue` task per policy (inline in tests)
    submit_confirmed(staff, "/staff/policies/queue", form="form.issue-all")
    db.session.commit()
    assert db.session.get(Policy, policy.id).status == "issued"
    first = _messages(enterprise, "policy_issued")
    assert set(first) == {"email", "sms"}
    assert first["email"].language == "en"
    assert first["email"].subject == "[Tongbao] Policy TB2024-SZ-000001 has been issued"
    assert _html(first["email"]).select_one("a.certificate")["href"].endswith(f"/policies/{policy.id}/certificate.pdf")
    _one_part(first["sms"])

    # the task runs again (a worker died after the issue) and a clerk clicks issue once more
    from intranet.certificates.bulk import issue_and_certify

    task = db.session.scalar(select(Task).where(Task.kind == "policy.issue"))
    assert issue_and_certify(task)["issued"] is True
    with pytest.raises(Refused) as refused:
        policies.issue(clerk, policy.id, now=now())
    assert refused.value.code == "already_issued"
    db.session.rollback()
    assert policy_messages.policy_issued(db.session.get(Policy, policy.id), now()) == 0
    again = _messages(enterprise, "policy_issued")
    assert {c: m.id for c, m in again.items()} == {c: m.id for c, m in first.items()}


# --- credit report ready -------------------------------------------------------------------------


def test_a_delivered_credit_report_is_announced_by_email_and_a_one_part_sms(app, client, freeze):
    freeze("2024-09-10T10:00:00+08:00")
    enterprise, user, _policy = f.loss_policy_holder(3)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    submit(
        client,
        "/portal/credit-reports",
        {"buyer_name": "Very Long Overseas Buyer Trading Company Limited", "buyer_country": "DE"},
        form="form.credit-request-form",
    )
    request = db.session.scalar(select(CreditReportRequest).where(CreditReportRequest.enterprise_id == enterprise.id))
    assert request is not None
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    queue = soup(staff.get("/staff/credit-reports"))
    token = queue.select_one(f"#request-{request.id} .deliver-form input[name=csrf_token]")["value"]
    staff.post(
        f"/staff/credit-reports/{request.id}/deliver",
        data={"csrf_token": token, "report": (io.BytesIO(PDF), "report.pdf")},
        content_type="multipart/form-data",
    )
    sent = _messages(enterprise, "credit_report")
    assert set(sent) == {"email", "sms"}
    assert f"{BASE}/portal/credit-reports" in sent["email"].body_text
    assert sent["sms"].body_text == f"【统保】资信报告申请#{request.id}已出具，请登录统保平台下载。"
    _one_part(sent["sms"])


# --- every SMS template fits one part ------------------------------------------------------------


def test_every_step_sms_fits_one_part_in_both_languages(app):
    from intranet.outbox.service import render_message

    long_values: dict[str, Any] = {
        "programme_year": 2024,
        "on_time": True,
        "cover_start": "2024-07-01",
        "cover_end": "2025-06-30",
        "expected_issue_by": "2024-12-31",
        "policy_no": "TB2024-SZ-999999",
        "verify_code": "X" * 18,
        "request_id": 9999999,
    }
    with app.test_request_context("/"):
        for language in ("zh", "en"):
            for template, variants in (
                ("policy_claimed", [{"on_time": True}, {"on_time": False}]),
                ("policy_issued", [{}]),
                ("credit_report", [{"status": "delivered"}, {"status": "declined"}]),
            ):
                for variant in variants:
                    text = render_message("sms", template, language, {**long_values, **variant})["body_text"]
                    assert sms_segments(text) == 1, (language, template, text)
                    if language == "zh":
                        assert len(text) <= 70 and text.startswith("【统保】"), text
