"""The lapse job (reminders/lapse.py, scheduled as `policies.lapse`) and the at-once alert before
cover ends (`alerts.cover_end`): batches, locked rows skipped, committed before anything is sent,
the enterprise's channels and language, idempotence; the boundaries in Shanghai dates."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import create_engine, select, text

from intranet.actors import NOTIFIER, SystemActor
from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.policies import queries, rules
from intranet.policies.models import Policy
from intranet.programmes import service as programmes
from intranet.reminders import alerts, lapse
from notifier.scheduler import COVER_END_EVERY, build_scheduler

from . import factories as f

AFTER_COVER = datetime(2025, 7, 1, 0, 5, tzinfo=SHANGHAI)  # 30 June 16:05 in UTC


def _claims(n: int, **enterprise_fields: object) -> list[Policy]:
    prog = f.programme(2024)
    late = datetime(2025, 6, 20, 10, 0, tzinfo=SHANGHAI)
    return [
        f.make_policy(f.make_enterprise(i, **enterprise_fields), prog, claimed_at=late, on_time=False)
        for i in range(1, n + 1)
    ]


def _statuses() -> dict[int, str]:
    db.session.expire_all()
    return {pid: status for pid, status in db.session.execute(select(Policy.id, Policy.status))}


def test_the_job_lapses_batch_by_batch_skips_locked_rows_and_commits_before_sending(
    app, backend, database_url, monkeypatch, utc_process
):
    claims = _claims(5)
    issued = f.make_policy(f.make_enterprise(9), f.programme(2024), status="issued", claimed_at=AFTER_COVER)
    next_year = programmes.copy_programme(SystemActor("test"), f.programme(2024), 2025, now=AFTER_COVER)
    running = f.make_policy(f.make_enterprise(10), next_year, claimed_at=AFTER_COVER, on_time=False)
    db.session.commit()
    monkeypatch.setattr(lapse, "BATCH", 2)
    assert lapse.lapse_unissued(NOTIFIER, now=AFTER_COVER - timedelta(minutes=10)) == 0  # 30 June, 23:55
    assert set(_statuses().values()) == {"claimed", "issued"}

    other = create_engine(database_url)
    with other.connect() as conn:
        if backend == "postgresql":  # another notifier holds the first row: it is skipped, not waited for
            conn.execute(text("SELECT id FROM policies WHERE id = :id FOR UPDATE"), {"id": claims[0].id})
        queued = lapse.lapse_unissued(NOTIFIER, now=AFTER_COVER)
        # committed: another connection sees the lapses and their messages, none of them sent yet
        seen = {pid: status for pid, status in conn.execute(text("SELECT id, status FROM policies"))}
        messages = conn.execute(text("SELECT status, count(*) FROM outbox_messages GROUP BY status")).all()
        conn.rollback()
    locked = 1 if backend == "postgresql" else 0
    assert queued == 2 * (5 - locked)  # e-mail and SMS each
    assert [seen[p.id] for p in claims] == ["claimed"] * locked + ["lapsed"] * (5 - locked)
    assert (seen[issued.id], seen[running.id]) == ("issued", "claimed")  # 2025's cover runs on
    assert messages == [("created", queued)]
    assert lapse.lapse_unissued(NOTIFIER, now=AFTER_COVER) == 2 * locked  # the released row, once
    assert lapse.lapse_unissued(NOTIFIER, now=AFTER_COVER + timedelta(days=1)) == 0
    assert [_statuses()[p.id] for p in claims] == ["lapsed"] * 5
    actions = db.session.scalars(select(AuditLog.object_id).where(AuditLog.action == "policy.lapse")).all()
    assert sorted(actions) == sorted(str(p.id) for p in claims)
    other.dispose()


def test_each_enterprise_is_told_on_its_channels_in_its_language_once(app, utc_process):
    chinese, english = _claims(2)
    english.enterprise.notify_email = False  # SMS only
    user = f.make_user("enterprise", "owner@exporter.test", enterprise=english.enterprise)
    user.locale = "en"
    chinese.enterprise.notify_sms = False  # e-mail only
    db.session.commit()
    assert lapse.lapse_batch(NOTIFIER, now=AFTER_COVER) == (2, 2)
    rows = {m.enterprise_id: m for m in db.session.scalars(select(OutboxMessage))}
    sms, mail = rows[english.enterprise_id], rows[chinese.enterprise_id]
    assert (sms.channel, sms.language, sms.segments) == ("sms", "en", 1)
    assert sms.body_text == (
        "[Tongbao] Your 2024 policy claim lapsed: it was not issued before cover ended on 2025-06-30. "
        "Questions: 83165355"
    )
    assert (mail.channel, mail.language, mail.dedupe_key) == ("email", "zh", f"lapse:{chinese.id}:email")
    assert "客户经理：孙经理 88325712，许经理 88325648" in mail.body_text  # 南山区's managers
    # lapsed already: nothing picked, nothing queued twice (the dedupe key holds even if it were)
    assert lapse.lapse_batch(NOTIFIER, now=AFTER_COVER) == (0, 0)
    assert len(db.session.scalars(select(OutboxMessage.id)).all()) == 2


def test_the_alert_comes_at_once_for_claims_the_usual_lag_would_report_too_late(app, logged_in, utc_process):
    prog = f.programme(2024)
    assert (prog.issuance_lag_days, prog.cover_end.isoformat()) == (7, "2025-06-30")
    # 23:30 in Shanghai is still the day before in UTC: the rule counts Shanghai days
    in_time = datetime(2025, 6, 21, 23, 30, tzinfo=SHANGHAI)  # usual alert on 29 June: in time
    too_late = datetime(2025, 6, 22, 0, 30, tzinfo=SHANGHAI)  # usual alert on 30 June: too late
    assert not rules.must_alert_at_once(prog, in_time) and rules.must_alert_at_once(prog, too_late)
    f.make_user("insurer", "clerk@sinosure.test")
    early = f.make_policy(f.make_enterprise(1), prog, claimed_at=in_time, on_time=False)
    late = f.make_policy(f.make_enterprise(2), prog, claimed_at=too_late, on_time=False)
    db.session.commit()
    assert alerts.queue_cover_end_alerts(NOTIFIER, now=too_late) == 1
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.dedupe_key == f"alert:cover_end:{late.id}:{message.user_id}"
    assert alerts.queue_cover_end_alerts(NOTIFIER, now=too_late + timedelta(hours=1)) == 0
    # the daily digest reports both once overdue (as before); none once cover has ended
    overdue = alerts.claims_overdue(datetime(2025, 6, 29, 9, 0, tzinfo=SHANGHAI))
    assert [spec["context"]["count"] for spec in overdue] == [2]
    assert alerts.claims_overdue(AFTER_COVER + timedelta(hours=9)) == []
    assert alerts.claims_due_before_cover_ends(AFTER_COVER) == []
    # nor does the issuance queue count what can no longer be issued
    assert queries.queue_counts(AFTER_COVER) == {"waiting": 0, "overdue": 0}
    assert db.session.scalars(queries.queue_query(now=AFTER_COVER)).all() == []
    assert {p.id for p in db.session.scalars(queries.queue_query(now=too_late))} == {early.id, late.id}


def test_both_jobs_are_scheduled_every_quarter_hour_in_shanghai_with_the_usual_options(app):
    jobs = {job.id: job for job in build_scheduler(app, catch_up=False).get_jobs()}
    for job_id in ("policies.lapse", "alerts.cover_end"):
        job = jobs[job_id]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, COVER_END_EVERY)
        assert str(job.trigger.timezone) == "Asia/Shanghai"
        assert job.trigger.interval == timedelta(minutes=15)
