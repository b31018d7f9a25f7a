"""Each email is built with the standard `email` package (its MIME classes): on the wire it is 7-bit
clean with CRLF line ends, and a mail client reads back the subject, addresses and bodies that were
queued."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default

import pytest

from intranet.outbox.dispatch import Claimed
from notifier.channels.email import build_email

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


def wire(message: Claimed) -> bytes:
    return build_email(message, sender=SENDER, domain=DOMAIN, now=NOW).as_bytes()


@pytest.mark.parametrize("message", CASES, ids=lambda m: f"message-{m.id}")
def test_the_wire_bytes_are_7bit_with_crlf_lines_a_relay_accepts(message: Claimed):
    raw = wire(message)
    assert raw.isascii()
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines)  # every line ends in CRLF
    assert max(len(line) for line in lines) <= 998  # RFC 5322


def text_of(part) -> str:  # type: ignore[no-untyped-def]
    """A body as a mail client shows it: the reader's line ends; the final one (which the `email`
    package adds when missing) aside."""
    return str(part.get_content()).replace("\r\n", "\n").removesuffix("\n")


@pytest.mark.parametrize("message", CASES, ids=lambda m: f"message-{m.id}")
def test_a_mail_client_reads_back_what_was_queued(message: Claimed):
    parsed = message_from_bytes(wire(message), policy=default)
    assert str(make_header(decode_header(parsed["Subject"]))) == message.subject
    assert parsed["To"] == message.recipient
    assert parsed["From"].addresses[0].display_name == "深圳统保平台"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["Date"].datetime == NOW
    assert parsed["Message-ID"] == f"<tongbao.outbox.{message.id}@{DOMAIN}>"
    assert text_of(parsed.get_body(("plain",))) == message.body_text.removesuffix("\n")
    if message.body_html:
        assert parsed.get_content_type() == "multipart/alternative"
        assert text_of(parsed.get_body(("html",))) == message.body_html.removesuffix("\n")
    else:
        assert parsed.get_content_type() == "text/plain"
    unsubscribe = message.data.get("unsubscribe_url")
    if unsubscribe:  # as it is, not RFC 2047-encoded: one-click unsubscribe reads the raw header
        assert f"\r\nList-Unsubscribe: <{unsubscribe}>\r\n".encode() in wire(message)
        assert str(parsed["List-Unsubscribe"]) == f"<{unsubscribe}>"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    else:
        assert parsed["List-Unsubscribe"] is None
