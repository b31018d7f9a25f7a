"""SMS through the HTTP gateway of CONTRACT.md: a JSON POST {"to", "text", "reference"} with the
outbox id as reference (so the gateway can recognise a resend), one keep-alive HTTP connection per
batch (the standard library's http.client: a few tens of µs per message instead of a requests
session's proxy and cookie machinery)."""

from __future__ import annotations

import http.client
import json
import select
import socket
from urllib.parse import urlsplit

from intranet.outbox.dispatch import Claimed
from intranet.outbox.segments import sms_segments

from . import DeliveryError

TIMEOUT = (5, 15)  # connect, read (seconds)
RETRYABLE_4XX = {408, 409, 425, 429}
HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "tongbao-notifier"}


def _provider_ref(body: bytes, fallback: str) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return fallback
    if isinstance(answer, dict):
        for key in ("id", "message_id", "messageId", "sid"):
            if answer.get(key):
                return str(answer[key])[:200]
    return fallback


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """The kept connection was closed by the gateway while idle (readable = EOF or junk)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class SmsChannel:
    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"TONGBAO_SMS_URL must start with http:// or https://, got {parts.scheme!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._conn: http.client.HTTPConnection | None = None

    def __enter__(self) -> SmsChannel:
        return self  # the connection opens with the first message

    def __exit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and _dropped(conn):
            conn.close()  # http.client reconnects on the next request
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = self._conn = cls(self.host, self.port, timeout=TIMEOUT[0])
        if conn.sock is None:
            conn.connect()
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock.settimeout(TIMEOUT[1])
        return conn

    def send(self, message: Claimed) -> tuple[str | None, int | None]:
        reference = str(message.id)
        payload = json.dumps({"to": message.recipient, "text": message.body_text, "reference": reference}).encode()
        try:
            conn = self._connection()
        except OSError as exc:
            self._drop()
            raise DeliveryError(f"SMS gateway unreachable: {exc.__class__.__name__}: {exc}", broken=True) from exc
        try:
            conn.request("POST", self.path, body=payload, headers=HEADERS)
            response = conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError) as exc:
            self._drop()
            raise DeliveryError(f"SMS gateway error: {exc.__class__.__name__}: {exc}") from exc
        status = response.status
        if 200 <= status < 300:
            return _provider_ref(body, reference), sms_segments(message.body_text)
        detail = f"SMS gateway answered {status}: {body[:300].decode('utf-8', 'replace')}"
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise DeliveryError(detail, permanent=permanent)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
