"""Invitations and reminders know the date: none names a past date, after the claim deadline the
invitation states the late-claim rule, an enterprise that claimed gets none, and each reminder rung
goes out once per enterprise and channel however often the scheduler runs."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet.actors import cli_actor
from intranet.clock import SHANGHAI, shanghai_date
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.reminders.deadline import queue_deadline_reminders
from intranet.roster import invitations

from . import factories as f

DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")


def dates_in(message: OutboxMessage) -> list[date]:
    text = " ".join([message.subject or "", message.body_text or "", message.body_html or ""])
    return [date(int(y), int(m), int(d)) for y, m, d in DATE.findall(text)]


def messages(job: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.job == job).order_by(OutboxMessage.id)))


def assert_no_past_date(found: list[OutboxMessage]) -> None:
    for message in found:
        today = shanghai_date(message.created_at)
        past = [d for d in dates_in(message) if d < today]
        assert not past, f"{message.template} of {today} names {past}: {message.body_text}"


def confirmed_roster(seq: int, numbers: range) -> tuple[object, list[object]]:
    prog = f.programme(2024)
    roster = f.make_roster(prog, seq=seq, status="confirmed", confirmed_at=f.now())
    made = [f.make_enterprise(n, email=f"e{n}@exporter.test", mobile=f"139{n:08d}") for n in numbers]
    for enterprise in made:
        f.add_entry(roster, enterprise)
    db.session.commit()
    return roster, made


def test_invitations_before_and_after_the_deadline(app, freeze):
    prog = f.programme(2024)
    before = freeze("2024-06-10T10:00:00+08:00")
    roster, (waiting, holder) = confirmed_roster(1, range(1, 3))
    f.make_policy(holder, prog, claimed_at=before - timedelta(days=1))  # claimed through the single window
    db.session.commit()
    invitations.queue_invitations(cli_actor(), roster.id, now=before)
    early = messages("invitation")
    assert {m.enterprise_id for m in early} == {waiting.id} and len(early) == 2  # email and SMS
    assert all("2024-06-30" in m.body_text for m in early)
    assert_no_past_date(early)

    after = freeze("2024-07-15T10:00:00+08:00")  # a supplementary roster confirmed after the deadline
    late_roster, (late, late_holder) = confirmed_roster(2, range(10, 12))
    f.make_policy(late_holder, prog, claimed_at=after - timedelta(hours=2), on_time=False)
    db.session.commit()
    invitations.queue_invitations(cli_actor(), late_roster.id, now=after)
    sent = [m for m in messages("invitation") if m.created_at >= after]
    assert {m.enterprise_id for m in sent} == {late.id} and len(sent) == 2
    email = next(m for m in sent if m.channel == "email")
    assert "2024-06-30" not in email.body_text
    assert "保障期限自保单实际签发之日起至 2025-06-30" in email.body_text
    assert "cover runs from the day it is issued to 2025-06-30" in email.body_text
    assert_no_past_date(sent)

    # resuming the first roster's invitations after the deadline sends nothing twice
    invitations.queue_invitations(cli_actor(), roster.id, now=after)
    assert len(messages("invitation")) == 4

    # once the cover period is over there is nothing to claim: no invitation at all
    over = freeze("2025-07-01T10:00:00+08:00")
    last_roster, _ = confirmed_roster(3, range(20, 22))
    invitations.queue_invitations(cli_actor(), last_roster.id, now=over)
    assert len(messages("invitation")) == 4


def test_reminders_over_june_and_july_name_no_past_date_and_each_rung_goes_once(app, freeze):
    prog = f.programme(2024)
    _roster, (waiting, claims_midway, holder) = confirmed_roster(1, range(1, 4))
    f.make_policy(holder, prog, claimed_at=datetime(2024, 5, 28, 10, 0, tzinfo=SHANGHAI))
    db.session.commit()
    day = date(2024, 5, 25)
    while day <= date(2024, 7, 20):
        if day == date(2024, 6, 20):
            f.make_policy(claims_midway, prog, claimed_at=datetime(2024, 6, 20, 8, 0, tzinfo=SHANGHAI))
            db.session.commit()
        for hour in (8, 10, 18):  # before the reminder time, after it, and once more the same day
            moment = datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)
            freeze(moment)
            queue_deadline_reminders(cli_actor(), now=moment)
        day += timedelta(days=1)

    sent = messages("reminder")
    assert_no_past_date(sent)
    assert holder.id not in {m.enterprise_id for m in sent}
    assert all(shanghai_date(m.created_at) <= prog.claim_deadline for m in sent)
    per_rung = Counter((m.enterprise_id, m.channel, m.dedupe_key) for m in sent)
    assert set(per_rung.values()) == {1}
    days = Counter((m.enterprise_id, m.channel) for m in sent)
    # the whole ladder (email 30/14/7/3/1/0 days, SMS 7/1/0) for the one that never claimed
    assert days[(waiting.id, "email")] == len(prog.reminder_email_days)
    assert days[(waiting.id, "sms")] == len(prog.reminder_sms_days)
    # the 30- and 14-day emails, then nothing once it claimed on 20 June
    assert days[(claims_midway.id, "email")] == 2 and days[(claims_midway.id, "sms")] == 0


def test_the_demo_outbox_shows_the_ladder_once_not_a_daily_repeat(app, freeze, backend):
    if backend == "postgresql":
        return  # demo content is the same on both databases
    from intranet.demo.service import load_demo

    freeze("2026-11-25T10:00:00+08:00")  # months after the demo programme's claim deadline
    load_demo()
    sent = messages("reminder")
    assert sent
    per_enterprise = Counter((m.enterprise_id, m.channel) for m in sent)
    assert max(per_enterprise.values()) <= 6  # at most the ladder's rungs, not one a day
    for message in sent:
        day = shanghai_date(message.created_at)
        assert all(d >= day for d in dates_in(message))  # names no date before the day it went out
        left = re.search(r"还有 (\d+) 天", message.body_text)
        if left:  # "N days left" is true on the day it was sent
            assert f"{day + timedelta(days=int(left.group(1)))}" in message.body_text
    assert all(m.status != "deferred" for m in sent)  # nothing old waits to go out today
