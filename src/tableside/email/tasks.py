"""The `email.send` job: deliver one message through the configured sender."""

from __future__ import annotations

from typing import Any

from tableside.email import sender as email_sender
from tableside.email.service import EMAIL_SEND
from tableside.jobs.registry import JobContext, job_handler


# Params hold reset and verification links: cleared from the job row once it has ended.
@job_handler(EMAIL_SEND, sensitive_params=True)
async def send_email(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Send the message in `params` (`to`, `subject`, `body`, optional `html`)."""
    message = email_sender.EmailMessage(
        to=params["to"],
        subject=params["subject"],
        body=params["body"],
        html=params.get("html"),
        from_address=params.get("from_address"),
    )
    # Looked up at call time so a test's `use_email_sender` (or monkeypatch) takes effect.
    await email_sender.get_email_sender(ctx.settings).send(message)
    return {"to": message.to, "subject": message.subject}
