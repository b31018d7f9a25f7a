"""A circuit breaker per channel: a dead gateway is left alone for a while instead of being hammered.

After `after` consecutive "server unreachable" failures the channel pauses (5 s, then twice as long
after each failed probe, at most 5 minutes by default). When the pause is over one message goes
out as a probe: success closes the breaker (back to full speed), failure pauses again, longer.
Messages are never charged for the pause: they stay queued and go out once the server is back.

The state lives in the process (`app.extensions`), measured on the real monotonic clock, not the
business clock: a frozen `TONGBAO_NOW` must not freeze a pause."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

log = logging.getLogger("tongbao.notifier.breaker")
DEFAULTS = {"NOTIFIER_BREAKER_AFTER": 3, "NOTIFIER_BREAKER_PAUSE": (5.0, 300.0)}


@dataclass
class Breaker:
    channel: str
    after: int = 3
    first_pause: float = 5.0
    max_pause: float = 300.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0  # consecutive unreachable failures
    pause: float = 0.0  # the current pause (0: closed)
    until: float = 0.0  # monotonic instant the pause ends
    probing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allowance(self, wanted: int) -> int:
        """How many messages may be claimed now: all of `wanted` when closed, 0 while paused, 1
        (the probe) when a pause is over — and 0 for any other lane while that probe is out."""
        with self.lock:
            if self.pause == 0:
                return wanted
            if self.probing or self.clock() < self.until:
                return 0
            self.probing = True
            return min(1, wanted)

    def succeeded(self) -> None:
        with self.lock:
            if self.pause:
                log.warning("%s: the server answers again; sending resumes", self.channel)
            self.failures, self.pause, self.until, self.probing = 0, 0.0, 0.0, False

    def unreachable(self) -> None:
        with self.lock:
            self.failures += 1
            self.probing = False
            if self.failures < self.after:
                return
            self.pause = min(self.max_pause, self.pause * 2 if self.pause else self.first_pause)
            self.until = self.clock() + self.pause
            log.warning(
                "%s: server unreachable %s times in a row; pausing %.0f s, then one message as a probe",
                self.channel,
                self.failures,
                self.pause,
            )

    def released(self) -> None:
        """A claimed probe was never tried (the dispatcher is stopping): the next pass probes."""
        with self.lock:
            self.probing = False


def breaker_for(app: Flask, channel: str) -> Breaker:
    """The process's breaker of `channel` (NOTIFIER_BREAKER_AFTER, NOTIFIER_BREAKER_PAUSE = (first, max))."""
    breakers: dict[str, Breaker] = app.extensions.setdefault("tongbao_notifier_breakers", {})
    found = breakers.get(channel)
    if found is None:
        first, longest = app.config.get("NOTIFIER_BREAKER_PAUSE", DEFAULTS["NOTIFIER_BREAKER_PAUSE"])
        after = int(app.config.get("NOTIFIER_BREAKER_AFTER", DEFAULTS["NOTIFIER_BREAKER_AFTER"]))
        found = breakers.setdefault(
            channel, Breaker(channel, after=after, first_pause=float(first), max_pause=float(longest))
        )
    return found
