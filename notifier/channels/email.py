"""Email over SMTP: one connection per batch, reused for every message in it; STARTTLS or implicit
TLS and authentication when TONGBAO_SMTP_URL asks; HTML + plain text; a Message-ID derived from
the outbox id, so a resend after a crash is recognisable.

URL forms: smtp://host:port, smtp://user:password@host:port?starttls=true, smtps://host:465,
optional ?cafile=/path/ca.pem (a private CA) and ?timeout=SECONDS."""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from urllib.parse import parse_qs, unquote, urlsplit

from intranet.outbox.dispatch import Claimed

from . import DeliveryError

SENDER_NAME = "深圳统保平台"
WIRE = compat32.clone(linesep="\r\n")  # the classic MIME classes, fast; SMTP wants CRLF
TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    cafile: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"TONGBAO_SMTP_URL must start with smtp:// or smtps://, got {parts.scheme!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=not implicit and query.get("starttls", "").lower() in TRUE,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            cafile=query.get("cafile") or None,
            timeout=float(query.get("timeout", 30)),
        )

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


def message_id(outbox_id: int, domain: str) -> str:
    """The Message-ID of outbox message `outbox_id`: the same on every attempt."""
    return f"<tongbao.outbox.{outbox_id}@{domain}>"


def build_email(message: Claimed, *, sender: str, domain: str, now: datetime | None = None) -> MIMEBase:
    """The MIME message: plain text, plus HTML as an alternative when there is some (UTF-8).
    The reference for `EmailWriter`, which writes the same bytes directly (what is sent)."""
    text = MIMEText(message.body_text, "plain", "utf-8")
    email: MIMEBase
    if message.body_html:
        # a fixed boundary spares the generator a regex per message; base64 bodies never contain "=_"
        email = MIMEMultipart("alternative", boundary=f"=_tongbao_{message.id}_alt")
        email.attach(text)
        email.attach(MIMEText(message.body_html, "html", "utf-8"))
    else:
        email = text
    email["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
    email["From"] = formataddr((SENDER_NAME, sender), "utf-8")
    email["To"] = message.recipient
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message_id(message.id, domain)
    unsubscribe = (message.data or {}).get("unsubscribe_url")
    if unsubscribe:
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


CRLF = "\r\n"
MAX_LINE = 78  # compat32's folding width


def _header(name: str, value: str) -> str:
    """One header line as the compat32 generator writes it: short ASCII values as they are, the
    rest folded and RFC 2047-encoded by `email.header.Header` (exactly what the generator does)."""
    if value.isascii() and len(name) + 2 + len(value) <= MAX_LINE and "\n" not in value and "\r" not in value:
        return f"{name}: {value}{CRLF}"
    return f"{name}: {Header(value, header_name=name).encode(linesep=CRLF, maxlinelen=MAX_LINE)}{CRLF}"


def _base64_body(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)


def _part(subtype: str, text: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}MIME-Version: 1.0{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{_base64_body(text)}"
    )


class EmailWriter:
    """The wire bytes of `build_email(...).as_bytes(policy=WIRE)`, written directly: the same
    headers in the same order, the same folding and base64 lines, without building and flattening
    MIME objects per message (the From header and the Date of the current second are reused)."""

    def __init__(self, *, sender: str, domain: str) -> None:
        self.sender = sender
        self.domain = domain
        self.from_line = _header("From", formataddr((SENDER_NAME, sender), "utf-8"))
        self._date: tuple[int, str] = (-1, "")

    def _date_line(self, now: datetime) -> str:
        second = int(now.timestamp())
        if self._date[0] != second:
            self._date = (second, _header("Date", format_datetime(now)))
        return self._date[1]

    def write(self, message: Claimed, now: datetime | None = None) -> bytes:
        # build_email sets a utf-8 Header object: always encoded, folded without the name's width
        subject = Header(message.subject, "utf-8").encode(linesep=CRLF, maxlinelen=MAX_LINE)
        headers = [
            f"Subject: {subject}{CRLF}",
            self.from_line,
            _header("To", message.recipient),
            self._date_line(now or datetime.now(UTC)),
            _header("Message-ID", message_id(message.id, self.domain)),
        ]
        unsubscribe = (message.data or {}).get("unsubscribe_url")
        if unsubscribe:
            headers.append(_header("List-Unsubscribe", f"<{unsubscribe}>"))
            headers.append(f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{CRLF}")
        if message.body_html:
            boundary = f"=_tongbao_{message.id}_alt"
            head = f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}MIME-Version: 1.0{CRLF}'
            body = (
                f"{CRLF}--{boundary}{CRLF}{_part('plain', message.body_text)}{CRLF}--{boundary}{CRLF}"
                f"{_part('html', message.body_html)}{CRLF}--{boundary}--{CRLF}"
            )
        else:
            head = (
                f'Content-Type: text/plain; charset="utf-8"{CRLF}MIME-Version: 1.0{CRLF}'
                f"Content-Transfer-Encoding: base64{CRLF}"
            )
            body = f"{CRLF}{_base64_body(message.body_text)}"
        return (head + "".join(headers) + body).encode("ascii")


class EmailChannel:
    def __init__(self, url: str, *, sender: str, domain: str) -> None:
        self.settings = SmtpSettings.from_url(url)
        self.sender = sender
        self.domain = domain
        self.writer = EmailWriter(sender=sender, domain=domain)
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> EmailChannel:
        return self  # the connection opens with the first message

    def __exit__(self, *exc: object) -> None:
        self._close(polite=True)

    def _close(self, *, polite: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if polite:
                conn.quit()
            else:
                conn.close()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.implicit_tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=s.tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}", broken=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc.__class__.__name__}: {exc}", broken=True) from exc
        return conn

    def send(self, message: Claimed) -> tuple[str | None, int | None]:
        if self._conn is None:
            self._conn = self._connect()
        mid = message_id(message.id, self.domain)
        try:
            self._conn.sendmail(self.sender, [message.recipient], self.writer.write(message))
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(f"recipient refused: {code} {text!r}", permanent=code >= 500) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPNotSupportedError) as exc:
            code = getattr(exc, "smtp_code", 500)
            detail = getattr(exc, "smtp_error", exc)
            raise DeliveryError(f"message refused: {code} {detail!r}", permanent=code >= 500) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(f"sender refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            self._close(polite=False)
            raise DeliveryError(f"SMTP error: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._close(polite=False)
            raise DeliveryError(f"SMTP connection lost: {exc.__class__.__name__}: {exc}", broken=True) from exc
        return mid, None
