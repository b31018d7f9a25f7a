"""The dispatcher: take due outbox messages, send them on their channel, record each result.

Order of work for one `deliver()`: messages left `sending` by a crashed dispatcher go back to the
queue; in quiet hours due SMS are deferred to the morning; then each channel is drained in
batches — claim (commit), send over one connection, record each result at once — within the
channel's per-minute cap. A channel whose server stays unreachable pauses (`breaker.py`): its
messages wait, uncharged, and go out once a probe gets through."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from intranet.clock import now as clock_now
from intranet.outbox import dispatch
from intranet.outbox.service import CHANNELS

from .breaker import Breaker, breaker_for
from .channels import Channel, DeliveryError
from .channels.log import LogChannel

log = logging.getLogger("tongbao.notifier.delivery")
MINUTE = timedelta(minutes=1)
# an unreachable server says nothing about the message: it is retried after at most the second
# delay (60 s) however often that happened, and never fails for good on that account
UNREACHABLE_ATTEMPTS_CAP = 2


@dataclass
class DeliveryReport:
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    failed: int = 0
    deferred: int = 0
    recovered: int = 0

    def add(self, other: DeliveryReport) -> None:
        for channel, count in other.sent.items():
            self.sent[channel] = self.sent.get(channel, 0) + count
        self.failed += other.failed
        self.deferred += other.deferred
        self.recovered += other.recovered

    @property
    def attempted(self) -> int:
        return sum(self.sent.values()) + self.failed + self.deferred


def outbox_log_path(app: Flask) -> Path:
    return Path(app.instance_path) / "outbox.log"


def mail_sender(app: Flask) -> tuple[str, str]:
    """(From address, Message-ID domain), both from TONGBAO_BASE_URL unless configured."""
    domain = urlsplit(app.config["TONGBAO_BASE_URL"]).hostname or "localhost"
    if "." not in domain:
        domain = f"{domain}.localdomain"
    return app.config.get("NOTIFIER_MAIL_FROM") or f"noreply@{domain}", domain


def open_channel(channel: str) -> Channel:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if channel == "email" and app.config.get("TONGBAO_SMTP_URL"):
        from .channels.email import EmailChannel

        sender, domain = mail_sender(app)
        return EmailChannel(app.config["TONGBAO_SMTP_URL"], sender=sender, domain=domain)
    if channel == "sms" and app.config.get("TONGBAO_SMS_URL"):
        from .channels.sms import SmsChannel

        return SmsChannel(app.config["TONGBAO_SMS_URL"])
    return LogChannel(outbox_log_path(app))


class _Pace:
    """A channel's per-minute cap, shared by the connections draining it: the sends of the last
    minute (recorded before this pass started count as "now") plus the slots claimed in flight."""

    def __init__(self, cap: int, already: int, now: datetime) -> None:
        self.cap = cap
        self.window: deque[datetime] = deque([now] * already)
        self.reserved = 0
        self.lock = threading.Lock()

    def reserve(self, wanted: int, now: datetime) -> int:
        with self.lock:
            while self.window and self.window[0] <= now - MINUTE:
                self.window.popleft()
            take = max(0, min(wanted, self.cap - len(self.window) - self.reserved))
            self.reserved += take
            return take

    def release(self, count: int) -> None:
        with self.lock:
            self.reserved -= count

    def sent(self, at: datetime) -> None:
        with self.lock:
            self.reserved -= 1
            self.window.append(at)


class Dispatcher:
    """Delivers the outbox. `clock` gives the instant to act at (the business clock by default;
    a fixed instant for `notifier tick --at`); `stop` ends a long drain between two messages.

    Email and SMS are drained side by side, each on NOTIFIER_CONNECTIONS_<CHANNEL> connections
    (default 1: then a crash re-sends at most one message of the channel)."""

    def __init__(self, *, clock: Callable[[], datetime] = clock_now, stop: threading.Event | None = None) -> None:
        self.clock = clock
        self.stop = stop or threading.Event()

    def deliver(self) -> DeliveryReport:
        report = DeliveryReport()
        now = self.clock()
        report.recovered = dispatch.recover_stuck(now)
        report.deferred += dispatch.defer_quiet_sms(now)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        lanes: list[tuple[str, _Pace]] = []
        recent = dispatch.recent_sends(now, CHANNELS)
        for channel in CHANNELS:
            pace = _Pace(dispatch.rate_per_minute(channel), recent[channel], now)
            lanes += [(channel, pace)] * max(1, int(dispatch.setting(f"NOTIFIER_CONNECTIONS_{channel.upper()}")))
        reports = [DeliveryReport() for _ in lanes]
        errors: list[BaseException] = []

        def lane(index: int) -> None:
            channel, pace = lanes[index]
            try:
                with app.app_context():
                    self._drain(channel, pace, reports[index])
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=lane, args=(i,), name=f"deliver-{lanes[i][0]}") for i in range(len(lanes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        for part in reports:
            report.add(part)
        return report

    def _drain(self, channel: str, pace: _Pace, report: DeliveryReport) -> None:
        batch_size = int(dispatch.setting("NOTIFIER_BATCH"))
        breaker = breaker_for(current_app._get_current_object(), channel)  # type: ignore[attr-defined]
        results = dispatch.SentLog()
        try:
            with open_channel(channel) as sender:
                self._drain_with(channel, pace, report, sender, results, batch_size, breaker)
        finally:
            results.close()

    def _drain_with(
        self,
        channel: str,
        pace: _Pace,
        report: DeliveryReport,
        sender: Channel,
        results: dispatch.SentLog,
        batch_size: int,
        breaker: Breaker,
    ) -> None:
        while not self.stop.is_set():
            now = self.clock()
            if channel == "sms" and dispatch.quiet_until(now) is not None:
                report.deferred += dispatch.defer_quiet_sms(now)
                return
            allowed = breaker.allowance(batch_size)
            if allowed <= 0:
                return  # paused (or another lane is probing)
            slots = pace.reserve(allowed, now)
            batch = dispatch.claim(channel, now, slots) if slots > 0 else []
            pace.release(slots - len(batch))
            if not batch:
                breaker.released()
                return
            if not self._send_batch(sender, batch, report, pace, results, breaker):
                return  # the server is unreachable: try again on the next pass

    def _send_batch(
        self,
        sender: Channel,
        batch: list[dispatch.Claimed],
        report: DeliveryReport,
        pace: _Pace,
        results: dispatch.SentLog,
        breaker: Breaker,
    ) -> bool:
        """Send one claimed batch; False when the channel's server could not be reached."""
        for index, message in enumerate(batch):
            if self.stop.is_set():
                dispatch.release([m.id for m in batch[index:]], self.clock())
                pace.release(len(batch) - index)
                breaker.released()
                return True
            try:
                provider_ref, segments = sender.send(message)
            except DeliveryError as exc:
                attempts = min(message.attempts, UNREACHABLE_ATTEMPTS_CAP) if exc.broken else message.attempts
                status = dispatch.record_failure(
                    message.id, attempts, self.clock(), error=str(exc), permanent=exc.permanent
                )
                self._count_failure(status, message, exc, report)
                pace.release(1)
                if exc.broken:  # the server is unreachable: the rest of the batch waits, uncharged
                    breaker.unreachable()
                    rest = batch[index + 1 :]
                    dispatch.release([m.id for m in rest], self.clock())
                    report.deferred += len(rest)
                    pace.release(len(rest))
                    return False
                breaker.succeeded()  # the server answered (a refusal): it is alive
                continue
            breaker.succeeded()
            sent_at = self.clock()
            results.sent(message.id, sent_at, provider_ref=provider_ref, segments=segments)
            pace.sent(sent_at)
            report.sent[message.channel] += 1
        return True

    @staticmethod
    def _count_failure(status: str, message: dispatch.Claimed, exc: DeliveryError, report: DeliveryReport) -> None:
        if status == dispatch.FAILED:
            report.failed += 1
            log.warning("message %s failed for good: %s", message.id, exc)
        else:
            report.deferred += 1
            log.info("message %s will be retried: %s", message.id, exc)


def deliver(app: Flask | None = None, **kwargs: Any) -> DeliveryReport:
    """One delivery pass in the current (or `app`'s) application context."""
    if app is None:
        return Dispatcher(**kwargs).deliver()
    with app.app_context():
        return Dispatcher(**kwargs).deliver()
