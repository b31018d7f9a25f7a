"""In a real browser: an invited enterprise opens its activation link, sets a password, logs in,
claims its policy, sees its cover and — once issued — downloads the certificate."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.clock import now
from intranet.enterprises import service as enterprises
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.policies import service as policies
from intranet.policies.models import Policy

from . import factories as f

PASSWORD = "export-2024-深圳-ok"


@pytest.mark.browser
def test_invited_enterprise_activates_logs_in_claims_and_downloads(page, app, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1, email="boss@exporter.test")
    db.session.commit()
    assert enterprises.invite(enterprise, f.programme(), now=now()) == 2
    db.session.commit()
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    link = urlparse(email.data["activation_url"])

    page.goto(link.path)
    page.get_by_label("设置密码（至少10位）").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="激活账号").click()
    page.wait_for_url("**/portal/")

    page.get_by_role("button", name="退出").click()
    page.goto("/login")
    page.get_by_label("邮箱或统一社会信用代码").fill(enterprise.uscc)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/portal/")
    offer = page.locator(".claim-offer .cover-terms")
    assert offer.inner_text().strip() == "今天领取 → 保障期限 2024-07-01 至 2025-06-30"
    assert serious_violations(page) == []

    page.get_by_role("button", name="领取保单").click()
    page.wait_for_selector(".policy-card")
    assert page.locator(".policy-card .cover").inner_text().strip() == "2024-07-01 至 2025-06-30"
    assert page.locator(".policy-card .policy-status").inner_text().strip() == "已领取，待签发"

    db.session.commit()  # end this test's read snapshot: the server wrote the policy
    policy = db.session.scalar(select(Policy).where(Policy.enterprise_id == enterprise.id))
    freeze("2024-07-02T09:00:00+08:00")
    policies.issue(cli_actor(), policy.id, now=now())
    page.reload()
    assert page.locator(".policy-card .policy-no").inner_text().strip() == "TB2024-SZ-000001"
    assert page.locator(".policy-card .cover").inner_text().strip() == "2024-07-01 至 2025-06-30"
    assert serious_violations(page) == []
    if "certificates.download" not in app.view_functions:
        pytest.skip("the certificate download is not served yet")
    with page.expect_download() as info:
        page.locator("a.certificate-download").click()
    download = info.value
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
