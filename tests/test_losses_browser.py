"""In a real browser: an enterprise reports a loss and sees the estimate (live and on the preview
step), an insurer officer decides it, and the enterprise sees the decision."""

from __future__ import annotations

import pytest

from intranet.extensions import db

from . import factories as f


def log_in(page, who: str) -> None:
    page.goto("/login")
    page.fill("#identifier", who)
    page.fill("#password", f.PASSWORD)
    page.click("main button[type=submit]")


@pytest.mark.browser
def test_enterprise_reports_insurer_decides_enterprise_sees_it(page, browser, live_server, freeze, backend):
    if backend != "sqlite":
        pytest.skip("one database is enough for the browser path")
    freeze("2024-11-15T10:00:00+08:00")
    _e, user, _policy = f.loss_policy_holder(1)
    f.make_user("insurer", "officer@sinosure.test")
    db.session.commit()

    log_in(page, user.email)
    page.click("nav.main-nav >> text=报损/索赔")
    page.click("text=我要报损")
    page.fill("#buyer_name", "Acme Trading Co., Ltd.")
    page.select_option("#buyer_country", "US")
    page.select_option("#cause", "buyer_default")
    page.fill("#invoices-0-invoice_no", "INV-1")
    page.fill("#invoices-0-amount", "230,000.00")
    page.fill("#invoices-0-shipment_date", "2024-08-01")
    page.fill("#due_date", "2024-10-30")
    live = page.locator("#estimate-live .indemnity")
    live.wait_for()
    assert live.inner_text() == "USD 150,000.00"  # the live preview, before any submit

    page.click("button[value=preview]")
    assert page.locator(".arithmetic .row-ratio td").inner_text() == "80 % × 230,000.00 = 184,000.00"
    assert page.locator(".estimate .indemnity").inner_text() == "USD 150,000.00"
    page.set_input_files(
        "#attachments", files=[{"name": "bill.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    page.click("button[value=submit]")
    assert page.locator(".loss-status").get_attribute("data-status") == "reported"
    report_url = page.url

    officer = browser.new_context(base_url=live_server, locale="zh-CN")
    staff = officer.new_page()
    log_in(staff, "officer@sinosure.test")
    staff.click("nav.main-nav >> text=报损案件")
    staff.click("table.loss-queue a")
    staff.click("form[action$='/accept'] button")
    assert staff.locator(".loss-status").get_attribute("data-status") == "accepted"
    staff.select_option("#decide-decision", "pay")
    staff.click("form.decide-form button")
    assert staff.locator("tr[data-count=usd] .confirmation-count").inner_text() == "150,000.00"
    staff.click("form.confirmation-form .confirm-button")
    assert staff.locator("dd.paid-amount").inner_text() == "USD 150,000.00"
    officer.close()

    page.goto(report_url)
    assert page.locator(".loss-status").get_attribute("data-status") == "paid"
    assert page.locator(".paid-amount").inner_text() == "USD 150,000.00"
