"""Real delivery endpoints for the notifier's tests: an SMTP server (aiosmtpd) and an HTTP SMS
gateway, both on loopback, recording what they receive and failing on demand."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    to: list[str]
    message_id: str
    subject: str
    raw: bytes

    def message(self) -> Any:
        return BytesParser(policy=default).parsebytes(self.raw)


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: keeps every accepted message; `data_reply` fails every DATA with that
    reply (e.g. '451 4.3.0 try later'); `refuse` maps a recipient to its RCPT reply."""

    received: list[Received] = field(default_factory=list)
    data_reply: str | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    headers_only: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        if self.data_reply:
            return self.data_reply
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        headers = BytesParser(policy=default).parsebytes(content, headersonly=True)
        item = Received(
            to=list(envelope.rcpt_tos),
            message_id=str(headers["Message-ID"]),
            subject=str(headers["Subject"]),
            raw=b"" if self.headers_only else content,
        )
        with self.lock:
            self.received.append(item)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]


class SmtpSink:
    def __init__(self, **options: Any) -> None:
        self.recorder = SmtpRecorder(**options)
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class SmsSink:
    """A JSON SMS gateway: 200 {"id": "gw-<n>"} per message; `status_for` maps a number to an
    HTTP status to answer instead (e.g. 400 for a bad number)."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.received: list[dict[str, Any]] = []
        self.status_for: dict[str, int] = {}
        self.connections: set[int] = set()  # the client ports seen: one per TCP connection
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 closes the connection after each answer; HTTP/1.1 keeps it open
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802
                sink.connections.add(self.client_address[1])
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status = sink.status_for.get(body.get("to"), 200)
                if status == 200:
                    with sink.lock:
                        sink.received.append(body)
                        answer = json.dumps({"id": f"gw-{len(sink.received)}"}).encode()
                else:
                    answer = json.dumps({"error": "refused"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/sms"

    def __enter__(self) -> SmsSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, number: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["to"] == number]


def tick(runner: Any, at: datetime | str) -> dict[str, Any]:
    """`tongbao notifier tick --at AT` as an operator runs it; its JSON summary."""
    from intranet.extensions import db
    from notifier.cli import notifier_cli  # registered by the console script, not by the app

    moment = at if isinstance(at, str) else at.isoformat()
    db.session.commit()  # the test's rows are visible to the tick, and no read snapshot stays open
    result = runner.invoke(notifier_cli, args=["tick", "--at", moment])
    assert result.exit_code == 0, result.output
    db.session.commit()
    return dict(json.loads(result.output))
