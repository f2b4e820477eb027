"""A server process killed with SIGKILL in the middle of a rush loses nothing a family was told.

The portal runs as it does in production (`portal serve --workers 2`, mail sent by the web processes
to a real SMTP server); the rush, the kill and the checks are the bench's (bench/crash.py).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal.mail import outbox
from portal.settings import Settings
from portal.tables import Outbox
from tests import factories
from tests.concurrency.served import two_workers

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import crash  # noqa: E402  (the bench's crash step)
import rush  # noqa: E402

FAMILIES = 120


@pytest.fixture
async def served(empty_db: Settings, smtp_server, tmp_path):
    """The portal served by a supervisor and two workers on the test database, sending mail."""
    await factories.taxonomy()
    await factories.hub()
    with two_workers(empty_db, smtp_server, tmp_path) as server:
        yield server


async def test_a_killed_worker_loses_no_booking_and_no_mail(served, smtp_server, empty_db):
    base_url, env, supervisor = served
    result = await crash.crash(base_url, env, FAMILIES, supervisor)
    assert result.correct, result.failures
    assert result.answered_before >= FAMILIES * crash.KILL_AFTER_SHARE
    assert result.unanswered > 0  # the kill did cut requests short, and their families asked again
    assert result.statuses == {"confirmed": rush.CAPACITY, "waitlisted": FAMILIES - rush.CAPACITY}

    # A sender killed between the SMTP server's acceptance and its mark leaves a lease that expires;
    # the message then goes again, with the same Message-ID.
    await Outbox.update({Outbox.claimed_until: datetime.now(timezone.utc) - timedelta(seconds=1)}).where(
        Outbox.status == "pending")
    settings = Settings(**{**empty_db.__dict__, "smtp_url": smtp_server.url})
    while await Outbox.count().where(Outbox.status == "pending"):
        await outbox.deliver_due(settings, datetime.now(timezone.utc) + timedelta(hours=1))
    message_ids = defaultdict(set)
    for message in smtp_server.messages:
        if message["To"].endswith(".bench.invalid"):
            message_ids[message["To"]].add(message["Message-ID"])
    assert len(message_ids) == FAMILIES  # every family got its mail
    assert all(len(ids) == 1 for ids in message_ids.values())  # once, or again under the same Message-ID
