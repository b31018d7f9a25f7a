"""Deadline reminders over a simulated June, quiet hours, and ticks that send nothing twice —
delivered to a real SMTP server and a real HTTP SMS gateway on loopback."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage

from . import factories as f
from .helpers import follows_to
from .notifier_sinks import tick

# the ladder the issue asks for (and the 2024 programme stores)
EMAIL_DAYS = [30, 14, 7, 3, 1, 0]
SMS_DAYS = [7, 1, 0]


def at_930(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def test_reminder_ladder_over_june(app, runner, sinks):
    smtp, sms = sinks
    prog = f.programme(2024)
    assert (prog.reminder_email_days, prog.reminder_sms_days, prog.reminder_time) == (EMAIL_DAYS, SMS_DAYS, "09:30")
    f.confirmed_enterprise(1, email="waiting@exporter.test", mobile="13800000001")
    late_claimer = f.confirmed_enterprise(2, email="late@exporter.test", mobile="13800000002")
    claimed = f.confirmed_enterprise(3, email="claimed@exporter.test", mobile="13800000003")
    f.make_policy(claimed, prog, claimed_at=datetime(2024, 5, 28, 10, 0, tzinfo=SHANGHAI))
    db.session.commit()

    by_day: dict[tuple[str, str], list[int]] = {}
    day = date(2024, 5, 31)  # 30 days before the deadline: the first rung
    while day <= date(2024, 7, 1):
        if day == date(2024, 6, 20):  # it claims between the 14- and the 7-day reminders
            f.make_policy(late_claimer, prog, claimed_at=at_930(day) - timedelta(hours=1))
            db.session.commit()
        before = (len(smtp.received), len(sms.received))
        tick(runner, at_930(day))
        for r in smtp.received[before[0] :]:
            by_day.setdefault(("email", r.to[0]), []).append((prog.claim_deadline - day).days)
        for r in sms.received[before[1] :]:
            by_day.setdefault(("sms", r["to"]), []).append((prog.claim_deadline - day).days)
        day += timedelta(days=1)

    assert by_day[("email", "waiting@exporter.test")] == EMAIL_DAYS
    assert by_day[("sms", "13800000001")] == SMS_DAYS
    assert by_day[("email", "late@exporter.test")] == [30, 14]
    assert ("sms", "13800000002") not in by_day
    assert ("email", "claimed@exporter.test") not in by_day and ("sms", "13800000003") not in by_day

    # what each message says: the deadline and what claiming today gives (the whole cover period)
    first = smtp.to("waiting@exporter.test")[0].message()
    text = first.get_body(preferencelist=("plain",)).get_content()
    assert "2024-06-30" in text and "还有 30 天" in text
    assert "2024-07-01 至 2025-06-30" in text
    assert "客户经理：孙经理 88325712，许经理 88325648" in text  # the managers of its district (南山区)
    assert first.get_body(preferencelist=("html",)) is not None
    last = sms.to("13800000001")[-1]
    assert "今天截止领取统保保单" in last["text"] and follows_to(last["text"]) == "/portal/"


def test_a_second_tick_at_the_same_instant_sends_nothing(app, runner, sinks):
    smtp, sms = sinks
    f.confirmed_enterprise(1, email="a@exporter.test", mobile="13800000001")
    f.confirmed_enterprise(2, email="b@exporter.test", mobile="13800000002")
    db.session.commit()
    first = tick(runner, "2024-06-23T09:30:00+08:00")  # 7 days before: email and SMS
    assert first["jobs"]["reminders.deadline"] == 4
    assert first["sent"] == {"email": 2, "sms": 2}
    again = tick(runner, "2024-06-23T09:30:00+08:00")
    later = tick(runner, "2024-06-23T17:00:00+08:00")
    for summary in (again, later):
        assert summary["jobs"]["reminders.deadline"] == 0
        assert summary["sent"] == {"email": 0, "sms": 0}
    assert (len(smtp.received), len(sms.received)) == (2, 2)


def test_before_the_reminder_time_nothing_is_due(app, runner, sinks):
    smtp, sms = sinks
    f.confirmed_enterprise(1)
    db.session.commit()
    summary = tick(runner, "2024-06-23T09:29:00+08:00")
    assert summary["jobs"]["reminders.deadline"] == 0
    assert smtp.received == [] and sms.received == []


def test_quiet_hours_defer_sms_to_eight_in_the_morning(app, runner, sinks):
    smtp, sms = sinks
    f.confirmed_enterprise(1, email="a@exporter.test", mobile="13800000001")
    db.session.commit()
    evening = tick(runner, "2024-06-23T22:00:00+08:00")  # the day's reminders, queued late
    assert evening["sent"] == {"email": 1, "sms": 0}
    assert evening["deferred"] == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
    assert message.status == "deferred"
    assert message.next_attempt_at == datetime(2024, 6, 24, 8, 0, tzinfo=SHANGHAI)
    assert tick(runner, "2024-06-24T07:59:00+08:00")["sent"]["sms"] == 0
    assert sms.received == []
    assert tick(runner, "2024-06-24T08:00:00+08:00")["sent"]["sms"] == 1
    assert [r["to"] for r in sms.received] == ["13800000001"]
    assert len(smtp.received) == 1


def test_enterprise_channel_choice_and_the_reminder_is_never_dropped(app, runner, sinks):
    smtp, sms = sinks
    sms_only = f.confirmed_enterprise(1, email="smsonly@exporter.test", mobile="13800000001")
    sms_only.notify_email = False
    email_only = f.confirmed_enterprise(2, email="emailonly@exporter.test", mobile="13800000002")
    email_only.notify_sms = False
    nothing_chosen = f.confirmed_enterprise(3, email="none@exporter.test", mobile="13800000003")
    nothing_chosen.notify_email = nothing_chosen.notify_sms = False
    db.session.commit()
    tick(runner, "2024-06-16T09:30:00+08:00")  # 14 days before: an email-only rung
    # the SMS-only enterprise still gets its reminder, by SMS; the one that chose nothing by email
    assert [r["to"] for r in sms.received] == ["13800000001"]
    assert sorted(r.to[0] for r in smtp.received) == ["emailonly@exporter.test", "none@exporter.test"]
    tick(runner, "2024-06-23T09:30:00+08:00")  # 7 days before: email and SMS
    assert len(sms.to("13800000002")) == 0
    assert len(smtp.to("smsonly@exporter.test")) == 0


def test_english_speaking_enterprise_gets_english_reminders(app, runner, sinks):
    smtp, _ = sinks
    enterprise = f.confirmed_enterprise(1, email="en@exporter.test")
    user = f.make_user("enterprise", "login-en@exporter.test", enterprise=enterprise)
    user.locale = "en"
    db.session.commit()
    tick(runner, "2024-06-29T09:30:00+08:00")
    message = smtp.to("en@exporter.test")[0]
    assert message.subject.startswith("[Tongbao] 1 days left")
    text = message.message().get_body(preferencelist=("plain",)).get_content()
    assert "covers the whole period from 2024-07-01 to 2025-06-30" in text
