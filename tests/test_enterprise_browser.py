"""In a real browser, at 1280 px and on a 390 px phone, what an exporter does without phoning the
hotline: reset a forgotten password from the e-mail our SMTP server received, invite a colleague who
then reports a loss, and check a certificate from the home page (axe: no serious findings; nothing
runs off a phone's screen)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from intranet.extensions import db

from . import factories as f
from .notifier_sinks import tick
from .test_portal_browser import serious_violations

pytestmark = pytest.mark.browser
WIDTHS = [1280, 390]
NEW_PASSWORD = "a-new-password-深圳-2024"


@pytest.fixture(autouse=True)
def _one_database(backend):  # type: ignore[no-untyped-def]
    if backend != "sqlite":
        pytest.skip("one database is enough for the browser path")


def at_width(page, width: int) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})


def fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    """Nothing serious for axe, and on a phone nothing wider than the screen."""
    assert serious_violations(page) == []
    if width == 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def log_in(page, who: str, password: str = f.PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#identifier", who)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/**")


def link_in(received, pattern: str) -> str:  # type: ignore[no-untyped-def]
    """The path of the link containing `pattern` in a message our SMTP server received."""
    body = received.message().get_body(preferencelist=("plain",)).get_content()
    links = [link for link in re.findall(r"https?://[^\s<>\"]+", body) if pattern in link]
    assert links, body
    return urlparse(links[0]).path


@pytest.mark.parametrize("width", WIDTHS)
def test_reset_a_forgotten_password_from_the_email_received(page, freeze, runner, sinks, width):
    smtp, _sms = sinks
    moment = freeze("2024-06-20T10:00:00+08:00")
    _enterprise, user, _policy = f.certificate_holder(1)
    db.session.commit()
    at_width(page, width)

    page.goto("/login")
    page.click("p.forgot a")
    page.fill("#identifier", user.email)
    fits(page, width)
    page.click("form.forgot-form button[type=submit]")
    page.wait_for_selector("main :text('30 分钟内有效')")
    tick(runner, moment)
    [received] = smtp.to(user.email)
    assert received.subject == "【统保】重置密码"

    page.goto(link_in(received, "/password/reset/"))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    fits(page, width)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login**")
    assert "密码已重置" in page.locator(".flash-success").inner_text()
    log_in(page, user.email, NEW_PASSWORD)
    fits(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_invite_a_colleague_who_then_reports_a_loss(page, browser, live_server, freeze, runner, sinks, width):
    smtp, _sms = sinks
    moment = freeze("2024-09-02T10:00:00+08:00")
    _enterprise, owner, _policy = f.loss_policy_holder(1)
    db.session.commit()
    at_width(page, width)

    log_in(page, owner.email)
    page.goto("/portal/colleagues")
    page.fill("form.invite-form [name=display_name]", "王会计")
    page.fill("form.invite-form [name=email]", "clerk@exporter.test")
    page.uncheck("form.invite-form [name=can_claim]")
    fits(page, width)
    page.click("form.invite-form button[type=submit]")
    assert "邀请已发送至 clerk@exporter.test" in page.locator(".flash").inner_text()
    tick(runner, moment)
    [received] = smtp.to("clerk@exporter.test")

    clerk = browser.new_context(base_url=live_server, locale="zh-CN")
    tab = clerk.new_page()
    at_width(tab, width)
    tab.goto(link_in(received, "/activate/"))
    tab.fill("#password", NEW_PASSWORD)
    tab.fill("#confirm", NEW_PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_url("**/portal/**")
    tab.goto("/portal/losses/new")
    tab.fill("#buyer_name", "Acme Trading Co., Ltd.")
    tab.select_option("#buyer_country", "US")
    tab.select_option("#cause", "buyer_default")
    tab.fill("#invoices-0-amount", "50,000.00")
    tab.fill("#invoices-0-shipment_date", "2024-08-01")
    tab.fill("#due_date", "2024-08-30")
    fits(tab, width)
    tab.click("button[value=preview]")
    tab.click("button[value=submit]")
    assert tab.locator(".loss-status").get_attribute("data-status") == "reported"
    clerk.close()

    page.goto("/portal/colleagues")
    rows = page.locator("table.activity tbody tr")
    who_did_what = [
        (rows.nth(i).locator(".actor").inner_text().strip(), rows.nth(i).locator(".action").inner_text().strip())
        for i in range(rows.count())
    ]
    assert ("clerk@exporter.test", "报损") in who_did_what
    fits(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_verify_a_certificate_from_the_home_page(page, freeze, width):
    freeze("2024-09-02T10:00:00+08:00")
    _enterprise, _user, policy = f.certificate_holder(4, name="深圳市核验贸易有限公司")
    db.session.commit()
    at_width(page, width)

    page.goto("/")
    page.fill("form.verify-form input[type=text]", policy.verify_code.lower())
    fits(page, width)
    page.click("form.verify-form button[type=submit]")
    page.wait_for_url(f"**/verify/{policy.verify_code}")
    assert page.locator(".verdict-title").inner_text().strip() == "真实有效"
    assert page.locator(".insured").inner_text().strip() == "深圳市核验贸易有限公司"
    fits(page, width)
