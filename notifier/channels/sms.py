"""SMS through the HTTP gateway of CONTRACT.md: a JSON POST {"to", "text", "reference"} with the
outbox id as reference (so the gateway can recognise a resend), one HTTP session per batch."""

from __future__ import annotations

import requests

from intranet.outbox.dispatch import Claimed
from intranet.outbox.segments import sms_segments

from . import DeliveryError

TIMEOUT = (5, 15)  # connect, read (seconds)
RETRYABLE_4XX = {408, 409, 425, 429}


def _provider_ref(response: requests.Response, fallback: str) -> str:
    try:
        body = response.json()
    except ValueError:
        return fallback
    if isinstance(body, dict):
        for key in ("id", "message_id", "messageId", "sid"):
            if body.get(key):
                return str(body[key])[:200]
    return fallback


class SmsChannel:
    def __init__(self, url: str) -> None:
        self.url = url
        self._session: requests.Session | None = None

    def __enter__(self) -> SmsChannel:
        self._session = requests.Session()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def send(self, message: Claimed) -> tuple[str | None, int | None]:
        assert self._session is not None, "use the channel as a context manager"
        reference = str(message.id)
        payload = {"to": message.recipient, "text": message.body_text, "reference": reference}
        try:
            response = self._session.post(self.url, json=payload, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc.__class__.__name__}: {exc}", broken=True) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"SMS gateway error: {exc.__class__.__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return _provider_ref(response, reference), sms_segments(message.body_text)
        detail = f"SMS gateway answered {status}: {response.text[:300]}"
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise DeliveryError(detail, permanent=permanent)
