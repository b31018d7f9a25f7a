"""Staff outbox pages (filters, retry a failed message through its form, the daily chart), the
enterprise's notification settings, and the scheduler's configuration (asserted, not started)."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from notifier.scheduler import build_scheduler

from . import factories as f
from .helpers import form_fields, login, soup, submit

T0 = datetime(2024, 6, 23, 10, 0, tzinfo=SHANGHAI)


def message(n: int, *, status: str, channel: str = "email", job: str = "reminder", enterprise=None, **fields):
    row = OutboxMessage(
        channel=channel,
        recipient=f"r{n}@exporter.test" if channel == "email" else f"1380000{n:04d}",
        enterprise_id=enterprise.id if enterprise else None,
        job=job,
        template=job,
        language="zh",
        subject=f"主题{n}" if channel == "email" else "",
        body_text=f"正文{n}",
        data={},
        dedupe_key=f"page-test:{n}",
        status=status,
        attempts=fields.pop("attempts", 1),
        created_at=fields.pop("created_at", T0 - timedelta(days=1)),
        next_attempt_at=fields.pop("next_attempt_at", T0),
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


def listed_ids(response) -> list[int]:
    return [int(tr["data-id"]) for tr in soup(response).select("table.outbox-list tbody tr[data-id]")]


def filter_outbox(client, **values):
    """Fill the page's GET filter form like a browser would and submit it."""
    form = soup(client.get("/staff/outbox")).select_one("form.outbox-filters")
    data = form_fields(form)
    for name in values:
        assert form.select_one(f"[name={name}]") is not None, name
    data.update(values)
    return client.get(form["action"], query_string=data)


def test_staff_outbox_filters_by_status_channel_job_and_enterprise(client, freeze):
    freeze(T0)
    acme = f.confirmed_enterprise(1, name="深圳市阿克米电子有限公司")
    other = f.confirmed_enterprise(2, name="深圳市别家贸易有限公司")
    sent_mail = message(1, status="sent", enterprise=acme, sent_at=T0 - timedelta(hours=1))
    failed_sms = message(2, status="failed", channel="sms", enterprise=acme, error="SMS gateway answered 400")
    notice = message(3, status="created", job="notice", enterprise=other)
    alert = message(4, status="deferred", job="alert")
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    login(client, "officer@bureau.test", f.PASSWORD)

    assert set(listed_ids(client.get("/staff/outbox"))) == {sent_mail.id, failed_sms.id, notice.id, alert.id}
    assert listed_ids(filter_outbox(client, status="failed")) == [failed_sms.id]
    assert listed_ids(filter_outbox(client, channel="sms")) == [failed_sms.id]
    assert listed_ids(filter_outbox(client, job="notice")) == [notice.id]
    assert set(listed_ids(filter_outbox(client, enterprise="阿克米"))) == {sent_mail.id, failed_sms.id}
    assert listed_ids(filter_outbox(client, enterprise=acme.uscc.lower(), channel="email")) == [sent_mail.id]
    assert listed_ids(filter_outbox(client, status="sent", job="notice")) == []
    chosen = soup(filter_outbox(client, status="failed")).select_one("#status option[selected]")
    assert chosen["value"] == "failed"


def test_retry_a_failed_message_through_its_form_is_audited(client, freeze):
    freeze(T0)
    failed = message(1, status="failed", attempts=6, error="451 try later")
    sent = message(2, status="sent", sent_at=T0)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)

    listing = soup(client.get("/staff/outbox"))
    assert listing.select_one(f"tr[data-id='{failed.id}'] form.retry-form") is not None
    assert listing.select_one(f"tr[data-id='{sent.id}'] form.retry-form") is None

    page = submit(client, "/staff/outbox", form=f"tr[data-id='{failed.id}'] form.retry-form")
    assert page.status_code == 200
    assert soup(page).select_one(".flash-success") is not None
    db.session.expire_all()
    row = db.session.get(OutboxMessage, failed.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("created", 0, T0)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "outbox.retry"))
    assert entry.actor_label == "clerk@sinosure.test" and entry.object_id == str(failed.id)
    assert entry.changes["status"] == ["failed", "created"]

    # a sent message cannot be retried, even by a forged form
    token = soup(client.get(f"/staff/outbox/{failed.id}")).select_one("input[name=csrf_token]")["value"]
    again = client.post(f"/staff/outbox/{sent.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert soup(again).select_one(".flash-error") is not None
    assert db.session.get(OutboxMessage, sent.id).status == "sent"


def test_outbox_pages_are_for_staff_only(client):
    enterprise = f.confirmed_enterprise(1)
    f.make_user("enterprise", "owner@exporter.test", enterprise=enterprise)
    db.session.commit()
    assert client.get("/staff/outbox").status_code == 302  # to the login page
    login(client, "owner@exporter.test", f.PASSWORD)
    assert client.get("/staff/outbox").status_code == 403


def test_daily_chart_counts_sent_failed_and_deferred_per_shanghai_day(client, freeze):
    freeze(T0)
    day = T0 - timedelta(days=2)
    for n in range(3):
        message(10 + n, status="sent", sent_at=day.replace(hour=23, minute=30))  # still that day in Shanghai
    message(20, status="failed", last_attempt_at=day)
    message(21, status="deferred", last_attempt_at=T0)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    login(client, "officer@bureau.test", f.PASSWORD)
    page = soup(client.get("/staff/outbox"))
    svg = page.select_one("section.outbox-chart svg[role=img]")
    assert svg is not None and svg.select_one("title").get_text()
    titles = [t.get_text() for t in svg.select("rect > title")]
    assert "2024-06-21 已发送: 3" in titles
    assert "2024-06-21 失败: 1" in titles
    assert "2024-06-23 延后: 1" in titles
    rows = {
        tr.select_one("th").get_text(): [td.get_text() for td in tr.select("td")]
        for tr in page.select("table.daily tbody tr")
    }
    assert rows["2024-06-21"] == ["3", "1", "0"] and rows["2024-06-23"] == ["0", "0", "1"]
    assert len(rows) == 14


def post_settings(client, *, unchecked: tuple[str, ...]):
    """Untick some boxes of the settings form and submit it (an unticked box is not sent)."""
    form = soup(client.get("/portal/notifications")).select_one("form.preferences-form")
    data = {k: v for k, v in form_fields(form).items() if k not in unchecked}
    return client.post(form["action"], data=data, follow_redirects=True)


def test_enterprise_sets_its_channels_and_cannot_switch_both_off(client):
    enterprise = f.confirmed_enterprise(1, email="owner@exporter.test", mobile="13800000001")
    f.make_user("enterprise", "owner@exporter.test", enterprise=enterprise)
    db.session.commit()
    login(client, "owner@exporter.test", f.PASSWORD)
    page = soup(client.get("/portal/notifications"))
    assert page.select_one("#notify_email").has_attr("checked")
    assert page.select_one("#monthly_notices").has_attr("checked")

    refused = post_settings(client, unchecked=("notify_email", "notify_sms"))
    assert refused.status_code == 422
    field = soup(refused).select_one("#notify_email")
    assert field["aria-describedby"] == "notify_email-error"
    db.session.expire_all()
    assert db.session.get(Enterprise, enterprise.id).notify_email is True

    saved = post_settings(client, unchecked=("notify_sms", "monthly_notices"))
    assert soup(saved).select_one(".flash-success") is not None
    db.session.expire_all()
    row = db.session.get(Enterprise, enterprise.id)
    assert (row.notify_email, row.notify_sms, row.monthly_notices) == (True, False, False)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.object_id == str(enterprise.id))) == (
        "enterprise.preferences"
    )


def test_scheduler_jobs_triggers_timezone_and_options_without_starting_it(app):
    scheduler = build_scheduler(app, catch_up=False)
    assert not scheduler.running
    assert str(scheduler.timezone) == "Asia/Shanghai"
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "outbox.deliver",
        "reminders.deadline",
        "notices.monthly",
        "notices.monthly.again",
        "alerts.staff",
        "alerts.cover_end",
        "policies.lapse",
        "consultations.overdue",
        "scheduler.refresh",
        "notifier.heartbeat",
        "outbox.retention",
    }
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time and job.misfire_grace_time >= 30
        assert str(job.trigger.timezone) == "Asia/Shanghai"

    def fields(job_id: str) -> dict[str, str]:
        trigger = jobs[job_id].trigger
        assert isinstance(trigger, CronTrigger)
        return {f.name: str(f) for f in trigger.fields if not f.is_default}

    assert fields("reminders.deadline") == {"hour": "9", "minute": "30"}  # the programme's reminder_time
    assert fields("notices.monthly") == {"day": "1", "hour": "10", "minute": "0"}
    assert fields("alerts.staff") == {"hour": "9", "minute": "0"}
    assert fields("outbox.retention") == {"hour": "3", "minute": "30"}  # daily, at a quiet hour
    assert isinstance(jobs["outbox.deliver"].trigger, IntervalTrigger)
    assert jobs["outbox.deliver"].trigger.interval <= timedelta(seconds=10)
    assert jobs["reminders.deadline"].misfire_grace_time >= 3600
    assert isinstance(jobs["consultations.overdue"].trigger, IntervalTrigger)
    assert jobs["consultations.overdue"].trigger.interval <= timedelta(minutes=15)

    # the reminder time is a programme parameter: the trigger follows it
    f.programme(2024).reminder_time = "08:45"
    db.session.commit()
    moved = {job.id: job for job in build_scheduler(app, catch_up=False).get_jobs()}["reminders.deadline"]
    assert {f.name: str(f) for f in moved.trigger.fields if not f.is_default} == {"hour": "8", "minute": "45"}
    first_fire = moved.trigger.get_next_fire_time(None, datetime(2024, 6, 1, 0, 0, tzinfo=SHANGHAI))
    assert first_fire == datetime(2024, 6, 1, 8, 45, tzinfo=SHANGHAI)
