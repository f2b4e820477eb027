"""The seat and waiting counters recomputed from the live bookings: called after every concurrency test."""

from __future__ import annotations

from portal.tables import Booking


async def assert_counters_match_bookings() -> None:
    """Every meeting's and course's seats_taken is the sum of its pending and confirmed bookings' seats,
    its `waiting` the number of its waitlisted bookings, and no taken seats exceed the capacity."""
    wrong = await Booking.raw(
        "SELECT 'meeting' AS kind, m.id, m.seats_taken, m.waiting, COALESCE(m.capacity, a.capacity) AS capacity,"
        " (SELECT COALESCE(SUM(b.seats), 0) FROM booking b WHERE b.meeting = m.id"
        "  AND b.status IN ('pending', 'confirmed')) AS held,"
        " (SELECT COUNT(*) FROM booking b WHERE b.meeting = m.id AND b.status = 'waitlisted') AS queued"
        " FROM meeting m JOIN activity a ON a.id = m.activity"
        " UNION ALL"
        " SELECT 'activity' AS kind, a.id, a.seats_taken, a.waiting, a.capacity,"
        " (SELECT COALESCE(SUM(b.seats), 0) FROM booking b WHERE b.activity = a.id AND b.meeting IS NULL"
        "  AND b.status IN ('pending', 'confirmed')) AS held,"
        " (SELECT COUNT(*) FROM booking b WHERE b.activity = a.id AND b.meeting IS NULL"
        "  AND b.status = 'waitlisted') AS queued"
        " FROM activity a")
    mismatched = [row for row in wrong if row["seats_taken"] != row["held"] or row["waiting"] != row["queued"]]
    assert not mismatched, f"counters differ from the live bookings: {mismatched[:5]}"
    over = [row for row in wrong if row["seats_taken"] > row["capacity"]]
    assert not over, f"seats taken exceed the capacity: {over[:5]}"
