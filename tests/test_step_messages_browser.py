"""In a real browser, on a desktop and on a phone: an enterprise claims, the insurer issues, and the
"issued" e-mail and SMS arrive at the test's SMTP server and SMS gateway (delivered by the
notifier) with the certificate's link and the verification code, which checks out on the public
verification page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.policies.models import Policy

from . import factories as f
from .notifier_sinks import tick
from .test_portal_browser import serious_violations


def _log_in(page, identifier: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("邮箱或统一社会信用代码").fill(identifier)
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_claim_then_the_issued_email_and_sms_arrive(page, app, runner, sinks, freeze, width):
    smtp, sms = sinks
    page.set_viewport_size({"width": width, "height": 900})
    freeze("2024-06-20T10:00:00+08:00")
    contact = {"email": "boss@exporter.test", "mobile": "13912345678"}
    enterprise = f.confirmed_enterprise(1, name="深圳市消息测试有限公司", **contact)
    f.make_user("enterprise", "boss-login@exporter.test", enterprise=enterprise)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()

    _log_in(page, enterprise.uscc)
    page.get_by_role("button", name="领取保单").click()
    page.wait_for_selector(".policy-card")
    tick(runner, "2024-06-20T10:01:00+08:00")
    claimed = [r for r in smtp.to("boss@exporter.test") if "领取申请" in r.subject]
    assert len(claimed) == 1
    text = claimed[0].message().get_body(preferencelist=("plain",)).get_content()
    assert "保障期限为完整的保险期间：2024-07-01 至 2025-06-30" in text and "2024-06-27 前签发" in text
    assert [m["text"] for m in sms.to("13912345678")] == [
        "【统保】已收到2024年保单领取申请，保障2024-07-01至2025-06-30，预计2024-06-27前签发。"
    ]

    # the insurer issues it from the queue
    freeze("2024-07-02T09:00:00+08:00")
    page.get_by_role("button", name="退出").click()
    _log_in(page, "clerk@sinosure.test")
    page.goto("/staff/policies/queue")
    page.locator("table.queue tbody tr").first.get_by_role("button", name="签发").click()
    page.wait_for_selector(".flashes")
    assert "已签发保单 TB2024-SZ-000001" in page.locator(".flashes").inner_text()
    tick(runner, "2024-07-02T09:01:00+08:00")

    db.session.commit()
    policy = db.session.scalar(select(Policy).where(Policy.enterprise_id == enterprise.id))
    issued = [r for r in smtp.to("boss@exporter.test") if "已签发" in r.subject]
    assert len(issued) == 1 and issued[0].subject == "【统保】保单 TB2024-SZ-000001 已签发"
    html = issued[0].message().get_body(preferencelist=("html",)).get_content()
    certificate = re.search(r'class="certificate" href="([^"]+)"', html)
    verify = re.search(r'class="verify" href="([^"]+)"', html)
    assert certificate and urlsplit(certificate.group(1)).path == f"/policies/{policy.id}/certificate.pdf"
    assert verify and urlsplit(verify.group(1)).path == f"/verify/{policy.verify_code}"
    texts = [m["text"] for m in sms.to("13912345678")]
    assert texts[-1] == f"【统保】保单TB2024-SZ-000001已签发，验证码{policy.verify_code}，请登录下载保险凭证。"
    assert len(texts) == 2

    # anyone who follows the e-mail's verification link sees the certificate is genuine
    page.get_by_role("button", name="退出").click()
    page.goto(urlsplit(verify.group(1)).path)
    assert "深圳市消息测试有限公司" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
