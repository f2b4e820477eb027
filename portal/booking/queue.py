"""Where a booking stands in its waiting list."""

from __future__ import annotations

from portal.tables import Booking


def same_list(activity_id: int, meeting_id: int | None) -> tuple[str, list]:
    """The WHERE clause of one waiting list: a meeting's, or a course's (no meeting)."""
    if meeting_id is None:
        return "activity = {} AND meeting IS NULL", [activity_id]
    return "activity = {} AND meeting = {}", [activity_id, meeting_id]


async def waiting_position(booking: dict) -> int | None:
    if booking["status"] != "waitlisted":
        return None
    where, args = same_list(booking["activity"], booking["meeting"])
    rows = await Booking.raw(
        f"SELECT COUNT(*) AS ahead FROM booking WHERE {where} AND status = 'waitlisted'"
        " AND (joined_at < (SELECT joined_at FROM booking WHERE id = {})"
        " OR (joined_at = (SELECT joined_at FROM booking WHERE id = {}) AND id <= {}))",
        *args, booking["id"], booking["id"], booking["id"],
    )
    return rows[0]["ahead"]
