"""The outbox against the real database and a real SMTP server: never lost, never sent twice."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from portal import db
from portal.mail import outbox
from portal.mail.messages import MailMessage
from portal.tables import Outbox
from tests.mail_server import free_port

pytestmark = pytest.mark.anyio

NOW = datetime(2031, 3, 3, 8, 0, tzinfo=timezone.utc)
DOMAIN = "testserver"


def message(number: int = 1) -> MailMessage:
    return MailMessage(subject=f"Booking confirmed: Massaggio {number}", text=f"Plain text {number}",
                       html=f"<p>HTML {number}</p>")


async def queue(count: int = 1, to: str = "famiglia@example.it") -> None:
    async with db.write_transaction():
        for number in range(count):
            await outbox.enqueue(to, message(number), NOW, DOMAIN)


async def rows() -> list[dict]:
    return await Outbox.select().order_by(Outbox.id)


async def test_mail_of_a_rolled_back_transaction_is_never_sent(empty_db, smtp_server):
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await outbox.enqueue("famiglia@example.it", message(), NOW, DOMAIN)
            raise RuntimeError("the booking failed")

    assert await outbox.deliver_due(replace(empty_db, smtp_url=smtp_server.url), NOW) == 0
    assert await rows() == []
    assert smtp_server.messages == []


async def test_committed_mail_is_sent_once_with_its_message_id(empty_db, smtp_server):
    settings = replace(empty_db, smtp_url=smtp_server.url)
    await queue()

    assert await outbox.deliver_due(settings, NOW) == 1
    assert await outbox.deliver_due(settings, NOW + timedelta(hours=1)) == 0

    [row] = await rows()
    assert row["status"] == "sent" and row["sent_at"] == NOW and row["claimed_until"] is None
    assert row["message_id"].startswith("<") and row["message_id"].endswith(f"@{DOMAIN}>")
    [received] = smtp_server.messages
    assert received["Message-ID"] == row["message_id"]
    assert received["To"] == "famiglia@example.it"
    assert received["From"] == "Poli per le Famiglie <noreply@testserver>"
    assert received["Subject"] == "Booking confirmed: Massaggio 0"
    assert received.get_body(("plain",)).get_content().strip() == "Plain text 0"
    assert received.get_body(("html",)).get_content().strip() == "<p>HTML 0</p>"


async def test_unreachable_server_is_retried_with_back_off_then_delivered(empty_db, smtp_server):
    down = replace(empty_db, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    await queue()

    moment = NOW
    for attempts in (1, 2, 3):
        assert await outbox.deliver_due(down, moment) == 0
        [row] = await rows()
        assert row["status"] == "pending" and row["attempts"] == attempts
        assert row["next_attempt_at"] == moment + timedelta(minutes=2 ** (attempts - 1))
        assert row["claimed_until"] is None and row["last_error"]
        assert await outbox.deliver_due(down, row["next_attempt_at"] - timedelta(seconds=1)) == 0  # not yet due
        moment = row["next_attempt_at"]

    up = replace(empty_db, smtp_url=smtp_server.url)
    assert await outbox.deliver_due(up, moment) == 1
    [row] = await rows()
    assert row["status"] == "sent" and row["attempts"] == 3
    assert smtp_server.message_ids() == [row["message_id"]]


def test_back_off_doubles_up_to_an_hour():
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert outbox.backoff(7) == outbox.backoff(30) == timedelta(hours=1)


async def test_mail_fails_after_the_last_attempt(empty_db):
    down = replace(empty_db, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    await queue()
    moment = NOW
    for _ in range(outbox.MAX_ATTEMPTS):
        await outbox.deliver_due(down, moment)
        moment += timedelta(hours=1)

    [row] = await rows()
    assert row["status"] == "failed" and row["attempts"] == outbox.MAX_ATTEMPTS
    assert await outbox.deliver_due(down, moment + timedelta(days=1)) == 0


async def test_refused_address_fails_at_once_and_others_still_go(empty_db, smtp_server):
    settings = replace(empty_db, smtp_url=smtp_server.url)
    await queue(to="refused@example.it")
    await queue(to="famiglia@example.it")

    assert await outbox.deliver_due(settings, NOW) == 1
    refused, delivered = await rows()
    assert refused["status"] == "failed" and refused["attempts"] == 1 and "550" in refused["last_error"]
    assert delivered["status"] == "sent"
    assert [mail["To"] for mail in smtp_server.messages] == ["famiglia@example.it"]


async def test_concurrent_workers_send_each_message_exactly_once(empty_db, smtp_server):
    settings = replace(empty_db, smtp_url=smtp_server.url)
    await queue(30)

    sent = await asyncio.gather(*(outbox.deliver_due(settings, NOW, batch=30) for _ in range(3)))

    assert sum(sent) == 30
    ids = smtp_server.message_ids()
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {row["status"] for row in await rows()} == {"sent"}


async def test_control_without_the_conditional_claim_workers_send_twice(empty_db, smtp_server, monkeypatch):
    """Proves the test above can see a double send: a claim that reads, pauses, then writes lets it happen."""
    async def racy_claim(now):
        due = await Outbox.select(Outbox.id).where(Outbox.status == "pending").order_by(Outbox.id).first()
        if due is None:
            return None
        await asyncio.sleep(0.05)
        async with db.write_transaction():
            await Outbox.update({Outbox.claimed_until: now + outbox.LEASE}).where(Outbox.id == due["id"])
        [row] = await Outbox.raw(f"SELECT {outbox._COLUMNS} FROM outbox WHERE id = {{}}", due["id"])
        return outbox.QueuedMail(**row)

    monkeypatch.setattr(outbox, "_claim_next", racy_claim)
    settings = replace(empty_db, smtp_url=smtp_server.url)
    await queue(3)

    await asyncio.gather(*(outbox.deliver_due(settings, NOW, batch=3) for _ in range(2)))

    ids = smtp_server.message_ids()
    assert len(ids) > len(set(ids))


async def test_claim_of_a_crashed_worker_expires_and_the_same_message_id_is_resent(empty_db, smtp_server):
    settings = replace(empty_db, smtp_url=smtp_server.url)
    await queue()
    claimed = await outbox._claim_next(NOW)  # the worker dies after this, before marking the mail sent
    assert claimed is not None

    assert await outbox.deliver_due(settings, NOW + timedelta(minutes=1)) == 0  # still claimed
    assert await outbox.deliver_due(settings, NOW + outbox.LEASE + timedelta(seconds=1)) == 1
    assert smtp_server.message_ids() == [claimed.message_id]


async def test_without_smtp_url_mail_is_logged_once_and_kept(empty_db, smtp_server):
    assert empty_db.smtp_url is None
    await queue(2)

    with captured_log("portal.mail.outbox") as records:
        assert await outbox.deliver_due(empty_db, NOW) == 0
        assert await outbox.deliver_due(empty_db, NOW + timedelta(minutes=5)) == 0

    kept = [record.getMessage() for record in records if record.levelno == logging.INFO]
    assert len(kept) == 2
    assert all("Booking confirmed: Massaggio" in line and "famiglia@example.it" in line for line in kept)
    assert [(row["status"], row["attempts"]) for row in await rows()] == [("pending", 0), ("pending", 0)]

    # Once a worker runs with SMTP_URL, the kept mail goes out.
    assert await outbox.deliver_due(replace(empty_db, smtp_url=smtp_server.url), NOW + timedelta(minutes=6)) == 2


async def test_worker_sends_in_the_background_until_stopped(empty_db, smtp_server):
    settings = replace(empty_db, smtp_url=smtp_server.url)
    stop = asyncio.Event()
    worker = asyncio.create_task(outbox.run_worker(settings, stop, interval=0.02))
    async with db.write_transaction():
        await outbox.enqueue("famiglia@example.it", message(), datetime.now(timezone.utc), DOMAIN)

    for _ in range(250):
        if smtp_server.messages:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(worker, timeout=5)

    assert len(smtp_server.messages) == 1
    [row] = await rows()
    assert row["status"] == "sent"


async def test_worker_survives_a_failing_round(empty_db, monkeypatch):
    rounds = []

    async def failing_round(*args):
        rounds.append(1)
        raise ConnectionError("database went away")

    monkeypatch.setattr(outbox, "deliver_due", failing_round)
    stop = asyncio.Event()
    worker = asyncio.create_task(outbox.run_worker(empty_db, stop, interval=0.01))
    while len(rounds) < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(worker, timeout=5)  # returns normally: the errors were logged, not raised
    assert len(rounds) >= 3


class captured_log:
    """Collect a logger's records (the suite may run with pytest's logging plugin disabled)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.records: list[logging.LogRecord] = []
        self.handler = logging.Handler(logging.DEBUG)
        self.handler.emit = self.records.append

    def __enter__(self) -> list[logging.LogRecord]:
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.handler)
        return self.records

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)
