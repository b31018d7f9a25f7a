"""The dispatcher writes each email's wire bytes directly (EmailWriter, for speed); they must be
exactly what the standard library's MIME classes produce for the same message, and parse back to
the same subject, addresses and bodies a mail client would show."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default

import pytest

from intranet.outbox.dispatch import Claimed
from notifier.channels.email import WIRE, EmailWriter, build_email

SENDER, DOMAIN = "noreply@tongbao.test", "tongbao.test"
NOW = datetime(2024, 6, 16, 1, 30, 5, tzinfo=UTC)
LONG_ZH = "【统保提醒】深圳市外贸中小微企业出口信用保险统保保单领取截止日为2024-06-30，还有14天，请尽快登录平台领取保单"


def claimed(n: int, *, subject: str, text: str, html: str | None, data: dict | None = None, to: str = "") -> Claimed:
    return Claimed(
        id=n,
        channel="email",
        recipient=to or f"contact{n}@exporter.example.cn",
        job="reminder",
        language="zh",
        subject=subject,
        body_text=text,
        body_html=html,
        data=data or {},
        attempts=0,
    )


CASES = [
    claimed(1, subject="Reminder", text="plain ascii body\nsecond line", html=None),
    claimed(2, subject=LONG_ZH, text="贵司已列入确认名单。\n" * 40, html="<p>贵司已列入确认名单。</p>" * 40),
    claimed(
        3,
        subject="2024年11月国别风险信息 / Country risk notice",
        text="正文 " * 500,
        html="<h1>国别风险</h1>" + "<p>内容</p>" * 300,
        data={"unsubscribe_url": "http://tongbao.test/notices/unsubscribe/" + "x" * 90},
    ),
    claimed(4, subject="a" * 120, text="", html="", to="very.long.recipient.name." + "y" * 60 + "@exporter.test"),
]


@pytest.mark.parametrize("message", CASES, ids=lambda m: f"message-{m.id}")
def test_written_bytes_equal_the_standard_library_mime(message: Claimed):
    expected = build_email(message, sender=SENDER, domain=DOMAIN, now=NOW).as_bytes(policy=WIRE)
    assert EmailWriter(sender=SENDER, domain=DOMAIN).write(message, NOW) == expected


@pytest.mark.parametrize("message", CASES, ids=lambda m: f"message-{m.id}")
def test_a_mail_client_reads_back_what_was_queued(message: Claimed):
    parsed = message_from_bytes(EmailWriter(sender=SENDER, domain=DOMAIN).write(message, NOW), policy=default)
    assert str(make_header(decode_header(parsed["Subject"]))) == message.subject
    assert parsed["To"] == message.recipient
    assert parsed["Message-ID"] == f"<tongbao.outbox.{message.id}@{DOMAIN}>"
    assert parsed.get_body(("plain",)).get_content() == message.body_text
    if message.body_html:
        assert parsed.get_body(("html",)).get_content() == message.body_html
    unsubscribe = message.data.get("unsubscribe_url")
    if unsubscribe:  # a long one is folded onto the next line; unfolding leaves a leading space
        assert str(parsed["List-Unsubscribe"]).strip() == f"<{unsubscribe}>"
    else:
        assert parsed["List-Unsubscribe"] is None
