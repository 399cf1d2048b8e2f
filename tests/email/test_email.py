"""Email senders and the `email.send` job."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tableside.config import Settings
from tableside.db.database import Database, set_tenant
from tableside.email import sender as email_sender
from tableside.email.sender import (
    EmailMessage,
    LogEmailSender,
    SmtpEmailSender,
    get_email_sender,
    log_email_sender,
    use_email_sender,
)
from tableside.email.service import queue_email
from tableside.jobs.repository import JobRepository
from tableside.jobs.tasks import execute_job
from tableside.models import Job, JobStatus
from tests.factories import register


class RecordingSender:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


class FailingSender:
    async def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("SMTP server refused the connection")


@pytest.fixture
def recording() -> Iterator[RecordingSender]:
    sender = RecordingSender()
    use_email_sender(sender)
    yield sender
    use_email_sender(None)


async def test_log_sender_keeps_recent_messages() -> None:
    sender = LogEmailSender(keep=2)
    for n in range(3):
        await sender.send(EmailMessage(to=f"u{n}@example.com", subject=f"#{n}", body="hi"))
    assert [m.subject for m in sender.sent] == ["#1", "#2"]
    last = sender.last_to("U2@example.com")
    assert last is not None and last.subject == "#2"
    assert sender.last_to("nobody@example.com") is None


def test_sender_choice(settings: Settings) -> None:
    assert get_email_sender(settings) is log_email_sender()
    smtp = get_email_sender(
        settings.model_copy(
            update={"smtp_host": "mail.example.com", "smtp_port": 2525, "smtp_starttls": False}
        )
    )
    assert isinstance(smtp, SmtpEmailSender)
    assert (smtp.host, smtp.port, smtp.starttls) == ("mail.example.com", 2525, False)
    override = RecordingSender()
    use_email_sender(override)
    try:
        assert get_email_sender(settings) is override
    finally:
        use_email_sender(None)


class FakeSMTP:
    instances: list[FakeSMTP] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.calls: list[tuple[str, Any]] = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", None))

    def starttls(self, context: Any) -> None:
        self.calls.append(("starttls", None))

    def login(self, username: str, password: str) -> None:
        self.calls.append(("login", (username, password)))

    def send_message(self, message: Any) -> None:
        self.calls.append(("send", message))


async def test_smtp_sender_uses_starttls_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeSMTP.instances.clear()
    monkeypatch.setattr(email_sender.smtplib, "SMTP", FakeSMTP)
    sender = SmtpEmailSender(
        "mail.example.com",
        587,
        username="bot",
        password="pw",
        starttls=True,
        default_from="Tableside <no-reply@example.com>",
    )
    await sender.send(
        EmailMessage(to="chef@example.com", subject="Hello", body="Plain", html="<p>Rich</p>")
    )
    (smtp,) = FakeSMTP.instances
    assert [name for name, _ in smtp.calls] == ["starttls", "login", "send", "quit"]
    assert smtp.calls[1][1] == ("bot", "pw")
    mime = smtp.calls[2][1]
    assert mime["To"] == "chef@example.com"
    assert mime["From"] == "Tableside <no-reply@example.com>"
    assert mime["Subject"] == "Hello"
    assert mime.get_body(("plain",)).get_content().strip() == "Plain"
    assert mime.get_body(("html",)).get_content().strip() == "<p>Rich</p>"


async def test_smtp_sender_without_tls_or_login(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeSMTP.instances.clear()
    monkeypatch.setattr(email_sender.smtplib, "SMTP", FakeSMTP)
    sender = SmtpEmailSender("localhost", 25, starttls=False, default_from="a@example.com")
    await sender.send(EmailMessage(to="b@example.com", subject="s", body="b"))
    assert [name for name, _ in FakeSMTP.instances[0].calls] == ["send", "quit"]


async def queue(database: Database, business_id: uuid.UUID, **kwargs: Any) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        return await queue_email(session, business_id=business_id, **kwargs)


async def load(database: Database, business_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    async with database.session() as session:
        await set_tenant(session, business_id)
        job = await JobRepository(session, business_id).get(job_id)
    assert job is not None
    return job


async def test_queued_email_is_delivered_by_the_job(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    recording: RecordingSender,
) -> None:
    import tableside.email.tasks  # noqa: F401  (workers import it through discovery)

    owner = await register(client)
    business_id = uuid.UUID(owner.business_id)
    job = await queue(
        database,
        business_id,
        to="new@example.com",
        subject="Verify your email",
        body="Your code: 424242",
        html="<b>424242</b>",
    )
    assert job.kind == "email.send" and job.status == JobStatus.queued
    assert job.params["to"] == "new@example.com"

    assert await execute_job(database, settings, job.id) == JobStatus.succeeded
    (message,) = recording.messages
    assert message == EmailMessage(
        to="new@example.com",
        subject="Verify your email",
        body="Your code: 424242",
        html="<b>424242</b>",
    )
    row = await load(database, business_id, job.id)
    assert row.result == {"to": "new@example.com", "subject": "Verify your email"}
    assert row.params == {}


async def test_delivery_failure_fails_the_job(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    import tableside.email.tasks  # noqa: F401

    owner = await register(client)
    business_id = uuid.UUID(owner.business_id)
    job = await queue(database, business_id, to="x@example.com", subject="s", body="token 1")
    use_email_sender(FailingSender())
    try:
        assert await execute_job(database, settings, job.id) == JobStatus.failed
    finally:
        use_email_sender(None)
    row = await load(database, business_id, job.id)
    assert row.error == {
        "type": "ConnectionRefusedError",
        "message": "SMTP server refused the connection",
    }
    assert row.params == {}
