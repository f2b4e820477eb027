"""The mail outbox: a message is a row written in the transaction of its cause; a worker sends it.

Delivery is at least once and, in normal running, exactly once: a worker claims one row at a time
with a conditional UPDATE (a lease in `claimed_until`), sends it, then marks it sent. A worker that
dies between the SMTP server's acceptance and the mark leaves a claim that expires, and the message is
sent again with the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import aiosmtplib
from piccolo.engine.sqlite import SQLiteEngine

from portal import db
from portal.mail.messages import MailMessage
from portal.settings import Settings
from portal.tables import Outbox

log = logging.getLogger("portal.mail.outbox")

SMTP_TIMEOUT_S = 30
LEASE = timedelta(minutes=5)  # a claim outlives one SMTP exchange by far
MAX_ATTEMPTS = 10  # about four hours of retries with the back-off below
MAX_BACKOFF = timedelta(hours=1)
KEPT_NOTE = "kept: SMTP_URL is not set"  # last_error of a message already logged without SMTP
ERROR_LENGTH = 300  # Outbox.last_error

_DUE = "status = 'pending' AND next_attempt_at <= {} AND (claimed_until IS NULL OR claimed_until < {})"
_COLUMNS = "id, to_address, subject, text_body, html_body, message_id, attempts"


@dataclass(frozen=True)
class QueuedMail:
    id: int
    to_address: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    attempts: int


def mail_domain(base_url: str) -> str:
    """The host of BASE_URL: the right-hand side of Message-IDs and of the default sender."""
    return urlsplit(base_url).hostname or "localhost"


def default_sender(settings: Settings) -> str:
    return formataddr(("Poli per le Famiglie", f"noreply@{mail_domain(settings.base_url)}"))


async def enqueue(to_address: str, message: MailMessage, now: datetime, domain: str) -> None:
    """Queue a message in the caller's transaction: one insert, so mail never holds up its cause."""
    await Outbox.insert(Outbox(
        to_address=to_address, subject=message.subject[:200], text_body=message.text, html_body=message.html,
        message_id=new_message_id(domain), status="pending", attempts=0, next_attempt_at=now,
        claimed_until=None, last_error="", created_at=now, sent_at=None,
    ))


def new_message_id(domain: str) -> str:
    return f"<{uuid4().hex}@{domain}>"


async def deliver_due(settings: Settings, now: datetime, batch: int = 20, mail_from: str | None = None) -> int:
    """Send up to `batch` due messages, one claim at a time; return how many the SMTP server accepted.

    Without SMTP_URL each due message is logged once and kept pending, due as it was, so it is sent
    as soon as a worker runs with SMTP_URL set."""
    if not settings.smtp_url:
        await _log_kept(now, batch)
        return 0
    sender = mail_from or default_sender(settings)
    sent = 0
    for _ in range(batch):
        mail = await _claim_next(now)
        if mail is None:
            break
        sent += await _deliver(settings.smtp_url, sender, mail, now)
    return sent


async def run_worker(settings: Settings, stop: asyncio.Event, interval: float = 2.0, batch: int = 20,
                     mail_from: str | None = None) -> None:
    """Deliver due mail until `stop` is set. Errors are logged, never raised: the next round retries."""
    log.info("mail worker started (%s)", "SMTP" if settings.smtp_url else "no SMTP_URL: logging mail only")
    while not stop.is_set():
        sent = 0
        try:
            sent = await deliver_due(settings, datetime.now(timezone.utc), batch, mail_from)
        except Exception:
            log.exception("mail worker: a delivery round failed; retrying in %s s", interval)
        if sent < batch:  # a full batch means more may be waiting: go on at once
            await _wait(stop, interval)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after each failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


async def _claim_next(now: datetime) -> QueuedMail | None:
    """Take the lease on the next due message; None when no message is due or all are claimed."""
    async with db.write_transaction():
        rows = await Outbox.raw(
            f"UPDATE outbox SET claimed_until = {{}} WHERE id = (SELECT id FROM outbox WHERE {_DUE}"
            f" ORDER BY next_attempt_at, id LIMIT 1{_skip_locked()}) AND {_DUE} RETURNING {_COLUMNS}",
            now + LEASE, now, now, now, now,
        )
    return QueuedMail(**rows[0]) if rows else None


def _skip_locked() -> str:
    """PostgreSQL: concurrent workers pass over each other's rows. SQLite has one writer at a time anyway."""
    return "" if isinstance(db.engine(), SQLiteEngine) else " FOR UPDATE SKIP LOCKED"


async def _deliver(smtp_url: str, sender: str, mail: QueuedMail, now: datetime) -> int:
    try:
        await aiosmtplib.send(_email(mail, sender, now), **smtp_options(smtp_url))
    except Exception as error:  # whatever the cause, count the attempt: a bad message must not loop forever
        await _record_failure(mail, error, now)
        return 0
    async with db.write_transaction():
        await Outbox.update(
            {Outbox.status: "sent", Outbox.sent_at: now, Outbox.claimed_until: None, Outbox.last_error: ""}
        ).where(Outbox.id == mail.id)
    return 1


def _email(mail: QueuedMail, sender: str, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = mail.to_address
    email["Subject"] = mail.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = mail.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    email.set_content(mail.text_body)
    email.add_alternative(mail.html_body, subtype="html")
    return email


def smtp_options(smtp_url: str) -> dict[str, object]:
    """smtp://user:pass@host:port (STARTTLS when the server offers it) or smtps:// (TLS from the start)."""
    parts = urlsplit(smtp_url)
    implicit_tls = parts.scheme == "smtps"
    return {
        "hostname": parts.hostname,
        "port": parts.port,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_tls": implicit_tls,
        "start_tls": False if implicit_tls else None,
        "timeout": SMTP_TIMEOUT_S,
    }


async def _record_failure(mail: QueuedMail, error: Exception, now: datetime) -> None:
    attempts = mail.attempts + 1
    gives_up = attempts >= MAX_ATTEMPTS or _refused_for_good(error)
    outcome = f"mail {mail.id} not sent (attempt {attempts}{', giving up' if gives_up else ''})"
    log.warning("%s: %s", outcome, error, extra={"public_message": f"{outcome}: {type(error).__name__}"})
    async with db.write_transaction():
        await Outbox.update({
            Outbox.status: "failed" if gives_up else "pending",
            Outbox.attempts: attempts,
            Outbox.next_attempt_at: now + backoff(attempts),
            Outbox.claimed_until: None,
            Outbox.last_error: f"{type(error).__name__}: {error}"[:ERROR_LENGTH],
        }).where(Outbox.id == mail.id)


def _refused_for_good(error: Exception) -> bool:
    """The server refused the address with a permanent (5xx) answer: trying again cannot help."""
    return isinstance(error, aiosmtplib.SMTPRecipientsRefused) and all(
        refused.code >= 500 for refused in error.recipients
    )


async def _log_kept(now: datetime, batch: int) -> None:
    """Without SMTP: log each due message once (marking it in last_error) and keep it pending."""
    for _ in range(batch):
        async with db.write_transaction():
            rows = await Outbox.raw(
                f"UPDATE outbox SET last_error = {{}} WHERE id = (SELECT id FROM outbox WHERE {_DUE}"
                f" AND last_error <> {{}} ORDER BY next_attempt_at, id LIMIT 1{_skip_locked()})"
                f" AND last_error <> {{}} RETURNING {_COLUMNS}",
                KEPT_NOTE, now, now, KEPT_NOTE, KEPT_NOTE,
            )
        if not rows:
            return
        mail = QueuedMail(**rows[0])
        # Without SMTP (a demo, a developer's machine) the log is the only way to read, say, a sign-in code.
        log.info("mail kept in the outbox, SMTP_URL is not set: %r to %s\n%s", mail.subject, mail.to_address,
                 mail.text_body, extra={"public_message": f"mail {mail.id} kept in the outbox, SMTP_URL is not set"})


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
