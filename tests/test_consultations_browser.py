"""In a real browser, at 1280 px and on a 390 px phone: an enterprise asks a question, the insurer
answers it from the desk, the enterprise reads the answer in its portal (axe: no serious findings)."""

from __future__ import annotations

import pytest

from intranet.extensions import db

from . import factories as f
from .test_portal_browser import serious_violations

QUESTION = "买方已逾期 60 天未付款，需要准备哪些材料报损？"
ANSWER = "请准备合同、发票、提单和催收往来邮件。"


def log_in(page, who: str) -> None:
    page.goto("/login")
    page.fill("#identifier", who)
    page.fill("#password", f.PASSWORD)
    page.click("main button[type=submit]")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_ask_answer_and_read_the_answer(page, browser, live_server, freeze, backend, width):
    if backend != "sqlite":
        pytest.skip("one database is enough for the browser path")
    freeze("2024-09-06T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    user = f.make_user("enterprise", "owner1@exporter.test", enterprise=enterprise)
    f.make_user("insurer", "officer@sinosure.test")
    db.session.commit()
    height = 844 if width == 390 else 900

    page.set_viewport_size({"width": width, "height": height})
    log_in(page, user.email)
    page.goto("/portal/consultations")
    assert serious_violations(page) == []
    page.select_option("#topic", "loss")
    page.fill("#text", QUESTION)
    page.set_input_files(
        "#attachment", files=[{"name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    page.click("form.consultation-ask-form button[type=submit]")
    page.wait_for_selector(".consultation-thread")
    assert page.locator(".consultation-message .text").inner_text().strip() == QUESTION
    thread_url = page.url

    officer = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": width, "height": height})
    staff = officer.new_page()
    log_in(staff, "officer@sinosure.test")
    staff.goto("/staff/consultations")
    staff.click("table.consultation-queue a")
    assert staff.locator(".consultation-message .attachment a").inner_text().strip() == "合同.pdf"
    assert serious_violations(staff) == []
    staff.fill("#text", ANSWER)
    staff.click("form.consultation-reply-form button[type=submit]")
    staff.wait_for_selector(".flash-success")
    officer.close()

    page.goto(thread_url)
    texts = [t.strip() for t in page.locator(".consultation-message .text").all_inner_texts()]
    assert texts == [QUESTION, ANSWER]
    assert page.locator(".consultation-facts .consultation-status").inner_text().strip() == "已答复"
    if width == 390:  # nothing runs off a phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
