"""Email over SMTP: one connection per batch, reused for every message in it; STARTTLS or implicit
TLS and authentication when TONGBAO_SMTP_URL asks; HTML + plain text; a Message-ID derived from
the outbox id, so a resend after a crash is recognisable.

URL forms: smtp://host:port, smtp://user:password@host:port?starttls=true, smtps://host:465,
optional ?cafile=/path/ca.pem (a private CA) and ?timeout=SECONDS."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from intranet.outbox.dispatch import Claimed

from . import DeliveryError

SENDER_NAME = "深圳统保平台"
# CRLF line ends; bodies 7-bit clean (no 8BITMIME needed); a header stored raw (set_raw) is sent as it is
POLICY = SMTP.clone(cte_type="7bit", refold_source="none")
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


def build_email(message: Claimed, *, sender: str, domain: str, now: datetime | None = None) -> EmailMessage:
    """The message as sent: plain text, plus HTML as an alternative when there is some. The
    `email` package encodes the Chinese subject and sender name (RFC 2047) and the bodies (UTF-8,
    base64 or quoted-printable: 7-bit clean for any relay) and writes CRLF line ends."""
    email = EmailMessage(policy=POLICY)
    email["Subject"] = message.subject
    email["From"] = Address(SENDER_NAME, addr_spec=sender)
    email["To"] = message.recipient
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message_id(message.id, domain)
    unsubscribe = (message.data or {}).get("unsubscribe_url")
    if unsubscribe:
        value = f"<{unsubscribe}>"
        if value.isascii() and value.isprintable():
            # a URL longer than a folded line would otherwise go out RFC 2047-encoded, which the
            # mail clients' one-click unsubscribe does not decode (RFC 2369, RFC 8058)
            email.set_raw("List-Unsubscribe", value)
        else:
            email["List-Unsubscribe"] = value
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


class EmailChannel:
    def __init__(self, url: str, *, sender: str, domain: str) -> None:
        self.settings = SmtpSettings.from_url(url)
        self.sender = sender
        self.domain = domain
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
            email = build_email(message, sender=self.sender, domain=self.domain)
            self._conn.send_message(email, from_addr=self.sender, to_addrs=[message.recipient])
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
