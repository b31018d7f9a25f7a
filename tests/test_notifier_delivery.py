"""Delivery against a real SMTP server and SMS gateway: Message-ID from the outbox id, multipart
email, retries with a growing delay then `failed`, permanent refusals, SMS segments, the outbox log
without a server, the per-minute cap, and messages stuck in `sending`."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox import dispatch
from intranet.outbox.models import OutboxMessage
from intranet.outbox.segments import sms_segments
from intranet.outbox.service import queue
from notifier.delivery import Dispatcher

from . import factories as f
from .notifier_sinks import SmsSink, SmtpSink, tick

T0 = datetime(2024, 6, 23, 10, 0, tzinfo=SHANGHAI)


def queue_invitation(app, n: int, *, channel: str = "email", to: str | None = None, name: str | None = None):
    with app.test_request_context("/"):
        message = queue(
            channel=channel,
            recipient=to or (f"e{n}@exporter.test" if channel == "email" else f"1380000{n:04d}"),
            job="invitation",
            template="invitation",
            context={
                "enterprise_name": name or f"深圳市测试{n}号科技有限公司",
                "uscc": f.make_uscc(n),
                "programme_year": 2024,
                "programme_name": "深圳市2024年度统保",
                "claim_deadline": "2024-06-30",
                "activation_url": f"http://tongbao.test/activate/token{n}",
                "hotline": "83165355",
            },
            dedupe_key=f"test:{channel}:{n}",
            now=T0,
        )
    db.session.commit()
    return message


def test_email_is_multipart_with_a_message_id_derived_from_the_outbox_id(app, runner):
    with SmtpSink() as smtp:
        app.config["TONGBAO_SMTP_URL"] = smtp.url
        first = queue_invitation(app, 1)
        second = queue_invitation(app, 2)
        summary = tick(runner, T0)
        assert summary["sent"]["email"] == 2
    received = {r.to[0]: r for r in smtp.recorder.received}
    assert received["e1@exporter.test"].message_id == f"<tongbao.outbox.{first.id}@tongbao.test>"
    assert received["e2@exporter.test"].message_id == f"<tongbao.outbox.{second.id}@tongbao.test>"
    email = received["e1@exporter.test"].message()
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    assert "http://tongbao.test/activate/token1" in email.get_body(preferencelist=("plain",)).get_content()
    assert email["From"].addresses[0].addr_spec == "noreply@tongbao.test"
    db.session.expire_all()
    row = db.session.get(OutboxMessage, first.id)
    assert (row.status, row.attempts, row.provider_ref) == ("sent", 1, received["e1@exporter.test"].message_id)
    assert row.sent_at == T0


def test_a_failing_smtp_server_leads_to_retries_with_growing_delay_then_failed(app, runner):
    with SmtpSink(data_reply="451 4.3.0 Mail system busy, try later") as smtp:
        app.config["TONGBAO_SMTP_URL"] = smtp.url
        message = queue_invitation(app, 1)
        moment = T0
        delays = []
        for attempt in range(1, 7):
            summary = tick(runner, moment)
            row = db.session.get(OutboxMessage, message.id)
            assert row.attempts == attempt
            assert "451" in row.error
            if attempt < 6:
                assert summary["deferred"] == 1 and summary["failed"] == 0
                assert row.status == "deferred"
                delays.append((row.next_attempt_at - moment).total_seconds())
                # a tick just before the retry is due does nothing
                assert tick(runner, row.next_attempt_at - timedelta(seconds=1))["deferred"] == 0
                assert db.session.get(OutboxMessage, message.id).attempts == attempt
                moment = row.next_attempt_at
            else:
                assert summary["failed"] == 1
                assert row.status == "failed"
        assert delays == [10, 60, 300, 3600, 4 * 3600]
        assert smtp.recorder.received == []
        assert tick(runner, moment + timedelta(days=1))["failed"] == 0  # failed stays failed


def test_permanent_refusals_fail_at_once(app, runner):
    with SmtpSink(refuse={"nobody@exporter.test": "550 5.1.1 No such user"}) as smtp, SmsSink() as sms:
        app.config["TONGBAO_SMTP_URL"] = smtp.url
        app.config["TONGBAO_SMS_URL"] = sms.url
        sms.status_for["13900000000"] = 400
        bad_mail = queue_invitation(app, 1, to="nobody@exporter.test")
        good_mail = queue_invitation(app, 2)
        bad_number = queue_invitation(app, 3, channel="sms", to="13900000000")
        summary = tick(runner, T0)
    assert summary["failed"] == 2 and summary["sent"] == {"email": 1, "sms": 0}
    for message, reason in ((bad_mail, "550"), (bad_number, "400")):
        row = db.session.get(OutboxMessage, message.id)
        assert row.status == "failed" and row.attempts == 1 and reason in row.error
    assert db.session.get(OutboxMessage, good_mail.id).status == "sent"


def test_unreachable_smtp_server_is_a_temporary_failure(app, runner):
    from .notifier_sinks import free_port

    app.config["TONGBAO_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    message = queue_invitation(app, 1)
    summary = tick(runner, T0)
    row = db.session.get(OutboxMessage, message.id)
    assert summary["deferred"] == 1
    assert row.status == "deferred" and row.next_attempt_at == T0 + timedelta(seconds=10)
    assert "unreachable" in row.error


def test_sms_carries_the_outbox_id_as_reference_and_stores_its_segments(app, runner):
    with SmsSink() as sms:
        app.config["TONGBAO_SMS_URL"] = sms.url
        short = queue_invitation(app, 1, channel="sms", name="短名公司")
        long = queue_invitation(app, 2, channel="sms", name="深圳市" + "前海国际供应链管理" * 6 + "有限公司")
        tick(runner, T0 + timedelta(hours=1))
    by_ref = {r["reference"]: r for r in sms.received}
    assert set(by_ref) == {str(short.id), str(long.id)}
    for message in (short, long):
        row = db.session.get(OutboxMessage, message.id)
        sent_text = by_ref[str(message.id)]["text"]
        assert row.body_text == sent_text
        assert row.segments == sms_segments(sent_text)
        assert row.provider_ref.startswith("gw-")
    # a long name is shortened to keep the SMS in one segment (tests/test_sms_one_segment.py)
    assert db.session.get(OutboxMessage, long.id).segments == 1 and "…" in by_ref[str(long.id)]["text"]


def test_sms_reuses_one_keep_alive_connection_and_retries_a_gateway_error(app, runner):
    with SmsSink(keep_alive=True) as sms:
        app.config["TONGBAO_SMS_URL"] = sms.url
        sms.status_for["13900000003"] = 503  # the gateway is busy for this one: try again later
        ok = [queue_invitation(app, n, channel="sms", to=f"1390000000{n}") for n in (1, 2, 4)]
        busy = queue_invitation(app, 3, channel="sms", to="13900000003")
        summary = tick(runner, T0 + timedelta(hours=1))
    assert summary["sent"]["sms"] == 3 and summary["deferred"] == 1
    assert {r["reference"] for r in sms.received} == {str(m.id) for m in ok}
    assert len(sms.connections) == 1, "every message went over the one kept connection"
    row = db.session.get(OutboxMessage, busy.id)
    assert row.status == "deferred" and "503" in row.error


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("统" * 70, 1),
        ("统" * 71, 2),
        ("统" * 134, 2),
        ("统" * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("Tongbao 统保", 1),
        ("a" * 69 + "€", 1),  # the euro sign takes two GSM-7 septets
    ],
)
def test_sms_segments(text, parts):
    assert sms_segments(text) == parts


def test_without_servers_messages_go_to_the_outbox_log(app, runner):
    app.config["TONGBAO_SMTP_URL"] = None
    app.config["TONGBAO_SMS_URL"] = None
    mail = queue_invitation(app, 1)
    text = queue_invitation(app, 2, channel="sms")
    summary = tick(runner, T0)
    assert summary["sent"] == {"email": 1, "sms": 1}
    from pathlib import Path

    logged = [json.loads(line) for line in Path(app.instance_path, "outbox.log").read_text().splitlines()]
    assert {(item["id"], item["channel"], item["to"]) for item in logged} == {
        (mail.id, "email", "e1@exporter.test"),
        (text.id, "sms", "13800000002"),
    }
    assert all(db.session.get(OutboxMessage, m.id).status == "sent" for m in (mail, text))


def test_per_minute_cap_per_channel(app, runner):
    app.config["NOTIFIER_RATE_EMAIL"] = 3
    for n in range(1, 6):
        queue_invitation(app, n)
    assert tick(runner, T0)["sent"]["email"] == 3
    assert tick(runner, T0 + timedelta(seconds=30))["sent"]["email"] == 0  # still the same minute
    assert tick(runner, T0 + timedelta(seconds=61))["sent"]["email"] == 2
    assert db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 5


def test_a_message_stuck_in_sending_is_retried_after_the_timeout(app):
    message = queue_invitation(app, 1)
    claimed = dispatch.claim("email", T0, 10)  # a dispatcher took it, then crashed
    assert [c.id for c in claimed] == [message.id]
    timeout = timedelta(seconds=dispatch.setting("NOTIFIER_SENDING_TIMEOUT"))
    report = Dispatcher(clock=lambda: T0 + timeout - timedelta(seconds=1)).deliver()
    db.session.commit()
    assert report.recovered == 0 and db.session.get(OutboxMessage, message.id).status == "sending"
    report = Dispatcher(clock=lambda: T0 + timeout).deliver()
    db.session.commit()
    row = db.session.get(OutboxMessage, message.id)
    assert report.recovered == 1 and report.sent["email"] == 1
    assert (row.status, row.attempts) == ("sent", 2)


def test_concurrent_dispatchers_never_claim_the_same_message(app):
    for n in range(1, 201):
        queue_invitation(app, n)
    barrier = threading.Barrier(4)
    taken: list[list[int]] = []

    def worker() -> None:
        mine: list[int] = []
        with app.app_context():
            barrier.wait()
            while batch := dispatch.claim("email", T0, 7):
                mine += [m.id for m in batch]
                time.sleep(0.005)  # "sending" the batch: the others claim meanwhile, as real dispatchers do
            db.session.remove()
        taken.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [i for mine in taken for i in mine]
    assert len(taken) == 4 and len(every) == 200 and len(set(every)) == 200
    assert sum(1 for mine in taken if mine) >= 2  # they really shared the queue


def test_smtp_url_forms():
    from notifier.channels.email import SmtpSettings

    plain = SmtpSettings.from_url("smtp://mail.example.cn")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls, plain.username) == (
        "mail.example.cn",
        25,
        False,
        False,
        None,
    )
    tls = SmtpSettings.from_url("smtp://bot%40gov.cn:p%40ss@mail.example.cn:587?starttls=true&timeout=5")
    assert (tls.port, tls.starttls, tls.username, tls.password, tls.timeout) == (587, True, "bot@gov.cn", "p@ss", 5.0)
    ssl = SmtpSettings.from_url("smtps://mail.example.cn")
    assert (ssl.port, ssl.implicit_tls) == (465, True)
    with pytest.raises(ValueError, match="smtp://"):
        SmtpSettings.from_url("http://mail.example.cn")


def test_starttls_and_login_when_the_url_asks(app, runner, tmp_path):
    """A real STARTTLS + AUTH LOGIN exchange with aiosmtpd (a certificate made for the test)."""
    import ssl
    import subprocess

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from .notifier_sinks import SmtpRecorder, free_port

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_required=True,
    )  # fmt: skip
    controller.start()
    try:
        app.config["TONGBAO_SMTP_URL"] = f"smtp://notifier:s3cret@127.0.0.1:{port}?starttls=true&cafile={cert}"
        message = queue_invitation(app, 1)
        assert tick(runner, T0)["sent"]["email"] == 1
        assert [r.message_id for r in recorder.received] == [f"<tongbao.outbox.{message.id}@tongbao.test>"]
        assert logins == [(b"notifier", b"s3cret")]
    finally:
        controller.stop()
