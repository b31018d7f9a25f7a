"""Delivery channels: SMTP email, the HTTP SMS gateway, and the outbox log when neither is set."""

from __future__ import annotations

from typing import Protocol

from intranet.outbox.dispatch import Claimed


class DeliveryError(Exception):
    """A failed attempt. `permanent` (a bad address, refused recipient) fails the message at once;
    otherwise it is retried later with a growing delay. `broken` means the server could not be
    reached at all, so the rest of the batch is not tried on it now."""

    def __init__(self, message: str, *, permanent: bool = False, broken: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.broken = broken  # the connection is unusable: the rest of the batch waits for a retry


class Channel(Protocol):
    """Opened once per batch (one reused connection), then `send` per message."""

    def __enter__(self) -> Channel: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, message: Claimed) -> tuple[str | None, int | None]:
        """Deliver one message: (provider reference, SMS segments or None); raises DeliveryError."""
        ...
