"""Reminder mail 48 hours before each meeting a family holds a place at, queued once per meeting."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import db
from portal.booking import notices
from portal.links import Links
from portal.tables import Booking, Reminder

AHEAD = timedelta(hours=48)


async def queue_due(now: datetime, links: Links) -> int:
    """Queue the reminders now due; the unique (booking, meeting) index keeps them to one each,
    however many workers run this at once."""
    due = await Booking.raw(
        "SELECT b.id AS booking, m.id AS meeting FROM booking b JOIN meeting m"
        " ON (m.id = b.meeting OR (b.meeting IS NULL AND m.activity = b.activity))"
        " WHERE b.status IN ('pending', 'confirmed') AND m.status = 'scheduled'"
        " AND m.starts_at > {} AND m.starts_at <= {}"
        " AND NOT EXISTS (SELECT 1 FROM reminder r WHERE r.booking = b.id AND r.meeting = m.id)",
        now, now + AHEAD)
    queued = 0
    for row in due:
        async with db.write_transaction():
            claimed = await Reminder.raw(
                "INSERT INTO reminder (booking, meeting, queued_at) VALUES ({}, {}, {})"
                " ON CONFLICT DO NOTHING RETURNING id", row["booking"], row["meeting"], now)
            if claimed:
                await notices.booking_changed(row["booking"], "reminder", now, links, meeting_id=row["meeting"])
                queued += 1
    return queued
