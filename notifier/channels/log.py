"""No SMTP server or SMS gateway configured: each message is appended to the outbox log
(instance/outbox.log, one JSON object per line) and counts as sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from intranet.outbox.dispatch import Claimed
from intranet.outbox.segments import sms_segments

PROVIDER_REF = "outbox.log"


class LogChannel:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def __enter__(self) -> LogChannel:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def send(self, message: Claimed) -> tuple[str | None, int | None]:
        assert self._fh is not None, "use the channel as a context manager"
        record = {
            "id": message.id,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "channel": message.channel,
            "to": message.recipient,
            "subject": message.subject,
            "text": message.body_text,
        }
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        return PROVIDER_REF, sms_segments(message.body_text) if message.channel == "sms" else None
