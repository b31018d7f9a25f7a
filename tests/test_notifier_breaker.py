"""The notifier backs off a dead gateway (issue 12): with the SMTP server down, a channel pauses
after a few failures instead of trying thousands of times a minute, messages stay queued (never
`failed` on that account), and once the server is back every one of them is sent."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from notifier.breaker import Breaker
from notifier.delivery import Dispatcher

from .notifier_sinks import SmtpSink
from .test_notifier_delivery import T0, queue_invitation


def tried() -> int:
    db.session.commit()
    return int(db.session.scalar(select(func.sum(OutboxMessage.attempts))) or 0)


def test_a_dead_smtp_server_is_probed_not_hammered_and_nothing_is_lost(app):
    app.config.update(NOTIFIER_BREAKER_AFTER=3, NOTIFIER_BREAKER_PAUSE=(0.2, 0.8))
    sink = SmtpSink()  # not started yet: its port refuses connections
    app.config["TONGBAO_SMTP_URL"] = sink.url
    for n in range(1, 31):
        queue_invitation(app, n)
    moment = [T0]

    def clock():  # an hour per call: every deferred message is due again at once
        moment[0] += timedelta(hours=1)
        return moment[0]

    failed = passes = 0
    started = time.monotonic()
    while time.monotonic() - started < 2.0:  # the scheduler runs a pass every 5 s; this one never rests
        failed += Dispatcher(clock=clock).deliver().failed
        passes += 1
    assert passes > 100
    # 3 failures in a row, then probes after 0.2, 0.4, 0.8, 0.8 s: a handful, not thousands
    assert 3 <= tried() <= 10
    assert failed == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(OutboxMessage.status == "failed")) == 0

    with sink:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(sink.recorder.received) < 30:
            Dispatcher(clock=clock).deliver()
            time.sleep(0.05)
    assert len(sink.recorder.received) == 30
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_the_pause_grows_to_its_cap_and_a_success_closes_the_breaker():
    now = [0.0]
    breaker = Breaker("email", after=3, first_pause=5, max_pause=300, clock=lambda: now[0])
    for _ in range(2):
        breaker.unreachable()
        assert breaker.allowance(50) == 50
    pauses = []
    for _ in range(9):
        breaker.unreachable()
        assert breaker.allowance(50) == 0
        pauses.append(breaker.pause)
        now[0] += breaker.pause
        assert breaker.allowance(50) == 1, "one probe when the pause is over"
        assert breaker.allowance(50) == 0, "and only one"
    assert pauses == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    breaker.succeeded()
    assert breaker.allowance(50) == 50
