"""Past bookings and attendance become anonymous counts: the reports keep adding up (meetings, seats,
attendance rate, waiting) after the families' bookings are gone.

A booking is past when its meeting ended before the cutoff; a booking of a whole course or an enrolment
(no meeting of its own) when the activity's last public meeting, and its own private meetings, did.
Seats taken are counters on the meeting and the activity, so they need no copy; attendance marks,
a private meeting's seats and the bookings still waiting are copied into `retained_count`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from portal import db
from portal.tables import Attendance, Booking, BookingEvent, BookingParticipant, Reminder, RetainedCount

BATCH = 500

_PAST = (
    "SELECT b.id, b.meeting, b.activity, b.status, b.seats FROM booking b"
    " LEFT JOIN meeting bm ON bm.id = b.meeting"
    " WHERE (b.meeting IS NOT NULL AND bm.ends_at < {})"
    " OR (b.meeting IS NULL AND COALESCE((SELECT MAX(m.ends_at) FROM meeting m"
    " WHERE (m.activity = b.activity AND NOT m.private) OR m.private_booking = b.id), b.updated_at) < {})"
)


async def past_bookings(cutoff: datetime, now: datetime, *, dry_run: bool = False) -> dict[str, int]:
    bookings = await Booking.raw(_PAST, cutoff, cutoff)
    marks = 0
    for start in range(0, len(bookings), BATCH):
        batch = bookings[start:start + BATCH]
        async with db.write_transaction():
            marks += await _archive(batch, now, dry_run)
    return {"past bookings": len(bookings), "attendance marks": marks}


async def _archive(bookings: list[dict], now: datetime, dry_run: bool) -> int:
    ids = [b["id"] for b in bookings]
    placeholders = ", ".join("{}" for _ in ids)
    attendance = await Attendance.raw(
        "SELECT a.meeting, m.activity, COUNT(*) AS marked, SUM(CASE WHEN a.present THEN 1 ELSE 0 END) AS present"
        " FROM attendance a JOIN booking_participant p ON p.id = a.participant JOIN meeting m ON m.id = a.meeting"
        f" WHERE p.booking IN ({placeholders}) GROUP BY a.meeting, m.activity", *ids)
    private = await Booking.raw(
        "SELECT m.id AS meeting, m.activity, b.seats FROM meeting m JOIN booking b ON b.id = m.private_booking"
        f" WHERE m.private_booking IN ({placeholders}) AND b.status = 'confirmed'", *ids)
    marks = sum(row["marked"] for row in attendance)
    if dry_run:
        return marks
    counts: dict[tuple[int, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in attendance:
        counts[(row["activity"], row["meeting"])]["marked"] += row["marked"]
        counts[(row["activity"], row["meeting"])]["present"] += row["present"] or 0
    for row in private:
        counts[(row["activity"], row["meeting"])]["private_seats"] += row["seats"]
    for booking in bookings:
        if booking["status"] == "waitlisted":
            counts[(booking["activity"], booking["meeting"])]["waiting"] += 1
    if counts:
        await RetainedCount.insert(*(
            RetainedCount(activity=activity, meeting=meeting, archived_at=now, **values)
            for (activity, meeting), values in counts.items()))
    participants = await BookingParticipant.select(BookingParticipant.id).where(BookingParticipant.booking.is_in(ids))
    if participants:
        await Attendance.delete().where(Attendance.participant.is_in([row["id"] for row in participants]))
    for table in (Reminder, BookingEvent, BookingParticipant):
        await table.delete().where(table.booking.is_in(ids))
    await Booking.delete().where(Booking.id.is_in(ids))
    return marks
