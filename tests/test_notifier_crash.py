"""Crash safety: `tongbao notifier run` killed with SIGKILL while delivering 5,000 emails to a real
SMTP server, then restarted: every message arrives, and at most one twice (the one on the wire)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.clock import now
from intranet.extensions import db
from intranet.outbox.dispatch import DEFAULTS
from intranet.outbox.models import OutboxMessage
from intranet.outbox.service import build_row, queue_many

from .conftest import PG_AVAILABLE
from .notifier_sinks import SmtpSink

TONGBAO = str(Path(sys.executable).parent / "tongbao")
COUNT = 5000
BATCH = DEFAULTS["NOTIFIER_BATCH"]


def queue_bulk(app, count: int) -> list[int]:
    stamp = now()
    rows = [
        build_row(
            channel="email",
            recipient=f"e{n}@exporter.test",
            job="objection_reply",
            template="objection_reply",
            context={
                "reference": f"YY{n:06d}",
                "contact_name": "张三",
                "enterprise_name": f"深圳市测试{n}号科技有限公司",
                "uscc": "91440300000000000X",
                "programme_year": 2024,
                "decision": "dismissed",
                "reply": "经核实，该企业符合条件。",
            },
            dedupe_key=f"crash:{n}",
            now=stamp,
        )
        for n in range(count)
    ]
    queue_many(rows)
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def count(status: str) -> int:
    db.session.commit()
    return int(db.session.scalar(select(func.count()).where(OutboxMessage.status == status)) or 0)


def wait_for(condition, timeout: float, what: str, poll: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll)


def mid_batch(received: int) -> bool:
    """Past the first fifth, and in the middle of a claimed batch (batches of NOTIFIER_BATCH)."""
    return received >= COUNT // 5 and 20 <= received % BATCH <= 80


@pytest.mark.slow
def test_sigkill_while_delivering_then_restart_delivers_everything_once(app, backend, database_url, tmp_path):
    if backend == "sqlite" and PG_AVAILABLE:
        pytest.skip("run once, on PostgreSQL (production); the SQLite path differs only in the claim lock")
    ids = queue_bulk(app, COUNT)
    assert len(ids) == COUNT
    with SmtpSink(headers_only=True) as smtp:
        env = {
            **os.environ,
            "TONGBAO_DATABASE_URL": database_url,
            "TONGBAO_INSTANCE_PATH": app.instance_path,
            "TONGBAO_SMTP_URL": smtp.url,
            "TONGBAO_BASE_URL": "http://tongbao.test",
            "TONGBAO_SECRET_KEY": "test-secret-key",
        }
        env.pop("TONGBAO_NOW", None)
        command = [TONGBAO, "notifier", "run", "--email-per-minute", "1000000"]
        logs = tmp_path / "first.log"
        with logs.open("w") as out:
            first = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            wait_for(lambda: mid_batch(len(smtp.recorder.received)), 90, "a kill in mid-batch", poll=0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        at_kill = len(smtp.recorder.received)
        assert at_kill < COUNT, "killed too late to prove anything"
        assert count("sending") > 0, "the kill should catch a claimed batch in flight"

        with (tmp_path / "second.log").open("w") as out:
            second = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            wait_for(lambda: count("sent") == COUNT, 120, "every message sent")
        finally:
            second.send_signal(signal.SIGINT)
            assert second.wait(timeout=20) == 0
        log = (tmp_path / "second.log").read_text()
        assert "took over" in log

    received = [r.message_id for r in smtp.recorder.received]
    expected = {f"<tongbao.outbox.{i}@tongbao.test>" for i in ids}
    assert set(received) == expected
    assert len(received) - len(set(received)) <= 1
    assert count("sending") == 0 and count("failed") == 0
