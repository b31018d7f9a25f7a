"""`tongbao notifier status` and `/healthz` read the active notifier's heartbeat (real clock, not the
business clock), and the leader's lock connection is probed by TCP keepalives from both ends, so a
vanished host releases the lock within about a minute."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from intranet import heartbeat
from intranet.extensions import db
from intranet.outbox.service import queue
from intranet.tasks.models import Task
from notifier.cli import notifier_cli
from notifier.leader import KEEPALIVE_COUNT, KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, PostgresLeader

TONGBAO = str(Path(sys.executable).parent / "tongbao")


def status(runner) -> dict:  # type: ignore[no-untyped-def]
    db.session.commit()
    result = runner.invoke(notifier_cli, args=["status"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_without_a_notifier_status_names_no_leader_and_healthz_says_stale(app, client, runner):
    assert status(runner) == {"leader": None, "heartbeat_age_s": None, "queued": {"email": 0, "sms": 0},
                              "tasks_waiting": 0}  # fmt: skip
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "database": "ok", "notifier": "stale"}


def test_a_fresh_heartbeat_names_the_leader_and_counts_what_waits(app, client, runner, freeze):
    freeze("2020-01-01T00:00:00+08:00")  # a frozen business clock must not fake the heartbeat's age
    started = datetime.now(UTC) - timedelta(minutes=5)
    heartbeat.beat("notifier-host-1", 4242, started, now=datetime.now(UTC) - timedelta(seconds=3))
    moment = datetime.now(UTC)
    context = {"staff_name": "x", "count": 1, "lines": [], "more": 0, "url": "http://tongbao.test/"}
    rows = [
        queue(channel="email", recipient=f"{n}@x.cn", job="alert", template="alert_failed_messages",
              context=context, dedupe_key=f"status-{n}", now=moment)  # fmt: skip
        for n in range(3)
    ]
    rows[2].channel = "sms"  # the counts are per channel
    db.session.add(Task(kind="policy.issue", payload={}, status="queued", created_at=moment, enqueued_at=moment))
    db.session.commit()

    shown = status(runner)
    assert shown["leader"] == "notifier-host-1"
    assert 3 <= shown["heartbeat_age_s"] < 30
    assert shown["queued"] == {"email": 2, "sms": 1}
    assert shown["tasks_waiting"] == 1
    assert client.get("/healthz").get_json()["notifier"] == "ok"


def test_a_heartbeat_older_than_a_minute_is_stale(app, client, runner):
    old = datetime.now(UTC) - timedelta(seconds=heartbeat.STALE_AFTER + 5)
    heartbeat.beat("notifier-host-1", 4242, old, now=old)
    shown = status(runner)
    assert shown["leader"] is None and shown["heartbeat_age_s"] > heartbeat.STALE_AFTER
    assert client.get("/healthz").get_json()["notifier"] == "stale"


def test_a_running_notifier_beats(app, runner, database_url, tmp_path):
    env = {
        **os.environ,
        "TONGBAO_DATABASE_URL": database_url,
        "TONGBAO_INSTANCE_PATH": str(tmp_path / "instance"),
        "TONGBAO_SECRET_KEY": "test-secret-key",
    }
    env.pop("TONGBAO_NOW", None)
    log = (tmp_path / "notifier.log").open("wb")
    proc = subprocess.Popen([TONGBAO, "notifier", "run"], env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if status(runner)["leader"] == socket.gethostname():
                break
            time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "notifier.log").read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_the_lock_connection_is_probed_from_both_ends(app, backend):
    if backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    leader = PostgresLeader(db.engine)
    assert leader.try_acquire()
    try:
        conn = leader._conn
        assert conn is not None
        server = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in ("tcp_keepalives_idle",
                  "tcp_keepalives_interval", "tcp_keepalives_count")}  # fmt: skip
        assert server == {"tcp_keepalives_idle": str(KEEPALIVE_IDLE), "tcp_keepalives_interval":
                          str(KEEPALIVE_INTERVAL), "tcp_keepalives_count": str(KEEPALIVE_COUNT)}  # fmt: skip
        dsn = conn.connection.dbapi_connection.info.dsn  # type: ignore[union-attr]
        assert f"keepalives_idle={KEEPALIVE_IDLE}" in dsn and "keepalives=1" in dsn
        # the server ends a session it can no longer reach: the lock is free for a standby
        standby = PostgresLeader(db.engine)
        assert not standby.try_acquire()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        assert not leader.still_held()
        assert standby.try_acquire()
        standby.release()
    finally:
        leader.release()
