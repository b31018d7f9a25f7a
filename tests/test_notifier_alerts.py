"""Staff alerts (notice period ended → bureau, claims waiting past the issuance lag → insurer,
failed messages → staff) and the outbox delivering what other features queue (invitations)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from intranet.clock import SHANGHAI
from intranet.enterprises import service as enterprises
from intranet.extensions import db

from . import factories as f
from .helpers import follows_to
from .notifier_sinks import tick


def body(received) -> str:
    return received.message().get_body(preferencelist=("plain",)).get_content()


def test_staff_alerts_once_a_day_to_the_right_people(app, runner, sinks):
    smtp, _ = sinks
    prog = f.programme(2024)
    f.make_user("bureau", "officer@bureau.test")
    f.make_user("insurer", "clerk@sinosure.test")
    roster = f.make_roster(prog, status="notice", notice_start=date(2024, 5, 20), notice_end=date(2024, 5, 26))
    entry = f.add_entry(roster, f.make_enterprise(1))
    slow = f.make_enterprise(2, name="深圳市等待签发有限公司")
    f.make_policy(slow, prog, claimed_at=datetime(2024, 5, 18, 10, 0, tzinfo=SHANGHAI))  # 9 days before
    fresh = f.make_enterprise(3)
    f.make_policy(fresh, prog, claimed_at=datetime(2024, 5, 25, 10, 0, tzinfo=SHANGHAI))  # 2 days before
    db.session.commit()
    del entry

    assert tick(runner, "2024-05-27T08:59:00+08:00")["jobs"]["alerts.staff"] == 0  # before the alert time
    summary = tick(runner, "2024-05-27T09:00:00+08:00")
    assert summary["jobs"]["alerts.staff"] == 2
    officer = smtp.to("officer@bureau.test")
    assert len(officer) == 1 and "请确认名单" in officer[0].subject
    assert "2024-05-20 至 2024-05-26" in body(officer[0]) and "现在即可确认名单" in body(officer[0])
    clerk = smtp.to("clerk@sinosure.test")
    assert len(clerk) == 1 and "1 份领取申请已超过 7 天未签发" in clerk[0].subject
    assert "深圳市等待签发有限公司" in body(clerk[0])
    assert f.make_uscc(3) not in body(clerk[0])

    assert tick(runner, "2024-05-27T15:00:00+08:00")["jobs"]["alerts.staff"] == 0  # once a day
    # the next day the overdue claim is still waiting: a new digest; the roster alert is not repeated
    assert tick(runner, "2024-05-28T09:00:00+08:00")["jobs"]["alerts.staff"] == 1
    assert len(smtp.to("clerk@sinosure.test")) == 2 and len(smtp.to("officer@bureau.test")) == 1


def test_failed_messages_are_reported_to_staff_the_next_morning(app, runner, sinks):
    smtp, sms = sinks
    f.make_user("bureau", "officer@bureau.test")
    f.make_user("insurer", "clerk@sinosure.test")
    f.confirmed_enterprise(1, email="good@exporter.test", mobile="13900000000")
    sms.status_for["13900000000"] = 400  # the gateway refuses the number for good
    db.session.commit()
    summary = tick(runner, "2024-06-23T09:30:00+08:00")
    assert summary["failed"] == 1 and summary["sent"]["email"] == 1
    assert tick(runner, "2024-06-23T18:00:00+08:00")["jobs"]["alerts.staff"] == 0  # today's window closed at 09:00
    next_day = tick(runner, "2024-06-24T09:00:00+08:00")
    assert next_day["jobs"]["alerts.staff"] == 2
    for who in ("officer@bureau.test", "clerk@sinosure.test"):
        [alert] = smtp.to(who)
        assert "1 条消息发送失败" in alert.subject
        assert "13900000000" in body(alert) and "http://tongbao.test/staff/outbox?status=failed" in body(alert)
    assert tick(runner, "2024-06-25T09:00:00+08:00")["jobs"]["alerts.staff"] == 0


def test_invitations_queued_on_confirmation_are_delivered(app, runner, sinks):
    smtp, sms = sinks
    enterprise = f.confirmed_enterprise(1, email="new@exporter.test", mobile="13800000001")
    moment = datetime(2024, 5, 27, 10, 0, tzinfo=SHANGHAI)
    assert enterprises.invite(enterprise, f.programme(2024), now=moment) == 2
    db.session.commit()
    summary = tick(runner, (moment + timedelta(minutes=1)).isoformat())
    assert summary["sent"] == {"email": 1, "sms": 1}
    [mail] = smtp.to("new@exporter.test")
    assert "http://tongbao.test/activate/" in body(mail)
    assert "客户经理：孙经理 88325712，许经理 88325648" in body(mail)  # its district's (南山区) managers
    assert follows_to(sms.to("13800000001")[0]["text"]).startswith("/activate/")  # a short link in an SMS
