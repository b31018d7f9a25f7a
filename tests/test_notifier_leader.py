"""One active notifier per deployment: a lock file on SQLite; on PostgreSQL two `tongbao notifier
run` processes at once run each job once, and killing the active one lets the standby take over."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.outbox.service import queue
from notifier.leader import FileLeader, PostgresLeader

from . import factories as f

TONGBAO = str(Path(sys.executable).parent / "tongbao")
FROZEN = "2024-06-23T09:30:00+08:00"  # 7 days before the deadline: email and SMS reminders are due
JOBS = (
    "reminders.deadline",
    "notices.monthly",
    "alerts.staff",
    "alerts.cover_end",
    "policies.lapse",
    "consultations.overdue",
)


def test_lock_file_admits_one_notifier(tmp_path):
    first, second = FileLeader(tmp_path / "notifier.lock"), FileLeader(tmp_path / "notifier.lock")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert (tmp_path / "notifier.lock").read_text().strip() == str(os.getpid())
    first.release()
    assert second.try_acquire()
    second.release()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def sent() -> int:
    db.session.commit()
    return int(db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) or 0)


def job_runs(log: Path) -> list[str]:
    return re.findall(r"job (\S+) ran:", log.read_text())


def test_two_notifiers_on_postgresql_run_each_job_once_and_the_standby_takes_over(app, backend, database_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    leader = PostgresLeader(db.engine)
    assert leader.try_acquire() and leader.still_held()
    leader.release()

    for n in range(1, 4):
        f.confirmed_enterprise(n, email=f"e{n}@exporter.test", mobile=f"1380000000{n}")
    db.session.commit()
    env = {
        **os.environ,
        "TONGBAO_DATABASE_URL": database_url,
        "TONGBAO_INSTANCE_PATH": str(tmp_path / "instance"),
        "TONGBAO_BASE_URL": "http://tongbao.test",
        "TONGBAO_SECRET_KEY": "test-secret-key",
        "TONGBAO_NOW": FROZEN,
    }
    for key in ("TONGBAO_SMTP_URL", "TONGBAO_SMS_URL"):
        env.pop(key, None)  # the outbox log stands in for the servers
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
    procs: dict[str, subprocess.Popen] = {}

    def start(name: str) -> None:
        with logs[name].open("w") as out:
            procs[name] = subprocess.Popen(  # noqa: S603
                [TONGBAO, "notifier", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    try:
        start("a")
        wait_for(lambda: "active:" in logs["a"].read_text(), 30, "the first notifier to lead")
        start("b")
        wait_for(lambda: "standby:" in logs["b"].read_text(), 30, "the second notifier to stand by")
        wait_for(lambda: sent() == 6, 30, "the reminders to be delivered")
        time.sleep(1)
        assert sorted(job_runs(logs["a"])) == sorted(JOBS)  # each job once, on the active one
        assert job_runs(logs["b"]) == []
        assert "active:" not in logs["b"].read_text()

        procs["a"].send_signal(signal.SIGKILL)
        procs["a"].wait(timeout=10)
        wait_for(lambda: "active:" in logs["b"].read_text(), 30, "the standby to take over")
        wait_for(lambda: len(job_runs(logs["b"])) == len(JOBS), 30, "the new leader's catch-up")
        assert re.findall(r"job reminders.deadline ran: queued (\d+)", logs["b"].read_text()) == ["0"]

        with app.test_request_context("/"):
            later = queue(
                channel="email",
                recipient="late@exporter.test",
                job="alert",
                template="alert_failed_messages",
                context={"staff_name": "x", "count": 1, "lines": [], "more": 0, "url": "http://tongbao.test/"},
                dedupe_key="after-takeover",
                now=datetime.fromisoformat(FROZEN).astimezone(SHANGHAI),
            )
        db.session.commit()
        wait_for(lambda: sent() == 7, 30, "the new leader to deliver")
        assert db.session.get(OutboxMessage, later.id).status == "sent"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert procs["b"].returncode == 0
