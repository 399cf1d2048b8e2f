"""Email senders: SMTP when configured, otherwise a logger that keeps what it "sent".

Without SMTP settings nothing leaves the machine: `LogEmailSender` logs each message and keeps
the most recent ones in `sent`, which is how a developer (or a test) reads a password-reset
link. Tests may also install any sender with `use_email_sender`.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import structlog

from tableside.config import Settings

logger = structlog.get_logger("tableside.email")

SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class EmailMessage:
    """One plain-text email (with an optional HTML alternative)."""

    to: str
    subject: str
    body: str
    html: str | None = None
    from_address: str | None = None


class EmailSender(Protocol):
    """Anything that can deliver an `EmailMessage`."""

    async def send(self, message: EmailMessage) -> None: ...


class LogEmailSender:
    """Logs messages instead of sending them and keeps the last `keep` in `sent`."""

    def __init__(self, keep: int = 100) -> None:
        self.keep = keep
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        """'Deliver' by logging; the body is logged too, since this is for development."""
        self.sent.append(message)
        del self.sent[: -self.keep]
        logger.info("email.logged", to=message.to, subject=message.subject, body=message.body)

    def last_to(self, address: str) -> EmailMessage | None:
        """The most recent message to `address` (case-insensitive), if any."""
        for message in reversed(self.sent):
            if message.to.lower() == address.lower():
                return message
        return None


class SmtpEmailSender:
    """Sends through an SMTP server; the blocking `smtplib` call runs in a thread."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        default_from: str,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.default_from = default_from
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        """Deliver `message`; SMTP errors propagate so the email job fails visibly."""
        mime = self.build_mime(message)
        await asyncio.to_thread(self._send_blocking, mime)
        logger.info("email.sent", to=message.to, subject=message.subject, host=self.host)

    def build_mime(self, message: EmailMessage) -> MimeMessage:
        """The MIME message for `message` (plain text, plus HTML when given)."""
        mime = MimeMessage()
        mime["From"] = message.from_address or self.default_from
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False)
        mime["Message-ID"] = make_msgid(domain=self.host)
        mime.set_content(message.body)
        if message.html:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _send_blocking(self, mime: MimeMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(mime)


# The process-wide log sender, so every caller (and test) sees one `sent` list.
_log_sender = LogEmailSender()
_override: EmailSender | None = None


def get_email_sender(settings: Settings) -> EmailSender:
    """The sender to use: an installed override, SMTP when `smtp_host` is set, else the log."""
    if _override is not None:
        return _override
    if settings.smtp_host:
        return SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            default_from=settings.email_from,
        )
    return _log_sender


def log_email_sender() -> LogEmailSender:
    """The process-wide `LogEmailSender` (what `get_email_sender` returns without SMTP)."""
    return _log_sender


def use_email_sender(sender: EmailSender | None) -> None:
    """Install `sender` for the whole process (None restores the default); for tests."""
    global _override
    _override = sender
