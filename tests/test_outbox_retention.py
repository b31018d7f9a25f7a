"""Outbox retention: messages older than the retention period lose their address and contents
(batch by batch), recent ones keep them, and the outbox page's daily counts stay the same; the
notifier runs the purge daily with the configured number of days; a purged message says so and
cannot be retried."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox import queries
from intranet.outbox.models import OutboxMessage
from intranet.outbox.retention import purge
from notifier.scheduler import Jobs

from .helpers import soup, submit

NOW = datetime(2025, 1, 20, 3, 30, tzinfo=SHANGHAI)
OLD = NOW - timedelta(days=200)  # past the default 180 days
RECENT = NOW - timedelta(days=20)


def message(n: int, at: datetime, status: str, *, channel: str = "email") -> OutboxMessage:
    row = OutboxMessage(
        channel=channel,
        recipient=f"person{n}@exporter.test" if channel == "email" else f"1380000{n:04d}",
        job="reminder",
        template="reminder",
        language="zh",
        subject=f"领取提醒 {n}",
        body_text=f"【统保】深圳市测试{n}号科技有限公司，请于截止日前领取保单",
        body_html=f"<p>深圳市测试{n}号科技有限公司</p>",
        data={"enterprise_name": f"深圳市测试{n}号科技有限公司"},
        dedupe_key=f"retention:{n}",
        status=status,
        attempts=1,
        created_at=at,
        next_attempt_at=at,
        last_attempt_at=at + timedelta(minutes=1),
        sent_at=at + timedelta(minutes=1) if status == "sent" else None,
        provider_ref="outbox.log" if status == "sent" else None,
        error="550 mailbox person unavailable" if status == "failed" else None,
    )
    db.session.add(row)
    return row


def seed() -> dict[str, int]:
    rows = {}
    for n in range(1, 6):  # old, spread over three days
        rows[f"old-sent-{n}"] = message(n, OLD + timedelta(days=n % 3), "sent", channel="sms" if n % 2 else "email")
    rows["old-failed"] = message(10, OLD, "failed")
    rows["old-deferred"] = message(11, OLD, "deferred")  # still waiting: never emptied
    rows["recent-sent"] = message(20, RECENT, "sent")
    rows["recent-failed"] = message(21, RECENT, "failed")
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def chart_numbers(client, freeze, at: datetime) -> list[list[str]]:
    """The outbox page's table of daily counts as the page shows it on `at`."""
    freeze(at)
    page = soup(client.get("/staff/outbox"))
    return [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in page.select("table.daily tbody tr")]


def test_old_messages_lose_address_and_contents_and_the_daily_counts_stay(app, client, logged_in, freeze):
    ids = seed()
    logged_in("bureau")
    old_window = OLD + timedelta(days=5)
    before_old = chart_numbers(client, freeze, old_window)
    before_recent = chart_numbers(client, freeze, RECENT + timedelta(days=3))
    before_counts = queries.status_counts()
    assert sum(int(r[1]) for r in before_old) == 5 and sum(int(r[2]) for r in before_old) == 1

    assert purge(NOW, days=180, batch=2) == 6  # 5 sent + 1 failed, in batches of 2
    db.session.expire_all()

    for name, message_id in ids.items():
        row = db.session.get(OutboxMessage, message_id)
        if name.startswith("old-") and name != "old-deferred":
            assert (row.recipient, row.subject, row.body_text, row.body_html, row.data, row.error) == (
                "",
                "",
                "",
                None,
                {},
                None,
            ), name
            assert row.status in ("sent", "failed") and row.created_at and row.job == "reminder"
        else:
            assert row.recipient and "深圳市测试" in row.body_text, name  # recent or unfinished: kept
    assert chart_numbers(client, freeze, old_window) == before_old
    assert chart_numbers(client, freeze, RECENT + timedelta(days=3)) == before_recent
    assert queries.status_counts() == before_counts

    # the purge is recorded, and a second run finds nothing left to do
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "outbox.purge")).all()
    assert sum(log.changes["purged"] for log in logs) == 6
    assert purge(NOW, days=180) == 0

    # staff see that the contents went, and cannot retry a purged failure
    freeze(NOW)
    shown = soup(client.get(f"/staff/outbox/{ids['old-failed']}"))
    assert "已按保存期限删除" in shown.select_one(".purged-note").get_text()
    assert "person10@exporter.test" not in shown.get_text()
    assert shown.select_one("form.retry-form") is None
    listing = soup(client.get("/staff/outbox?status=failed"))
    assert "person10@exporter.test" not in listing.get_text() and "person21@exporter.test" in listing.get_text()
    recent = submit(client, f"/staff/outbox/{ids['recent-failed']}", form="form.retry-form")
    assert recent.status_code == 200 and db.session.get(OutboxMessage, ids["recent-failed"]).status == "created"


def test_the_notifier_job_purges_with_the_configured_period(app, freeze):
    ids = seed()
    app.config["TONGBAO_OUTBOX_RETENTION_DAYS"] = 10  # even the recent finished ones are past it
    freeze(NOW)
    db.session.commit()
    Jobs(app, threading.Event()).retention()
    db.session.expire_all()
    kept = {name for name, i in ids.items() if db.session.get(OutboxMessage, i).recipient}
    assert kept == {"old-deferred"}


def test_retention_days_come_from_the_environment(monkeypatch, tmp_path):
    from intranet.config import Config

    monkeypatch.setenv("TONGBAO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TONGBAO_OUTBOX_RETENTION_DAYS", raising=False)
    assert Config.from_env().outbox_retention_days == 180
    monkeypatch.setenv("TONGBAO_OUTBOX_RETENTION_DAYS", "30")
    assert Config.from_env().flask_settings()["TONGBAO_OUTBOX_RETENTION_DAYS"] == 30
    monkeypatch.setenv("TONGBAO_OUTBOX_RETENTION_DAYS", "0")  # nonsense: the default, never "purge all"
    assert Config.from_env().outbox_retention_days == 180
