"""Reminders 48 hours before each meeting, queued once however often the job runs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from portal.booking import reminders, service
from portal.links import Links
from portal.tables import Outbox, Reminder
from tests import factories

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


async def test_one_reminder_per_booked_meeting(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub()
    now = datetime.now(timezone.utc)
    course = await factories.activity(services["gruppi-genitori"], hub, "Ciclo", format="course", slug="ciclo")
    await factories.meeting(course, now + timedelta(hours=30))
    await factories.meeting(course, now + timedelta(days=9))  # too far ahead
    family, members = await factories.family("rita@example.it")
    await service.book(family, await service.find_target("ciclo", None), members, now, LINKS)
    await Outbox.delete(force=True)
    counts = await asyncio.gather(*(reminders.queue_due(now, LINKS) for _ in range(3)))
    assert sum(counts) == 1 and await Reminder.count() == 1
    mail = await Outbox.select(Outbox.subject, Outbox.text_body).first()
    assert "Ciclo" in mail["subject"] and "/prenotazioni/" in mail["text_body"]
    assert await reminders.queue_due(now + timedelta(minutes=5), LINKS) == 0
