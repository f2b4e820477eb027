"""The solidarity paths (activities of the area `solidarieta`) and the upcoming meetings of the ones a
family follows."""

from __future__ import annotations

from datetime import datetime

from portal.tables import Activity, Booking, Meeting

AREA = "solidarieta"


async def public_paths() -> list[dict]:
    return await Activity.select(
        Activity.slug, Activity.title, Activity.summary, Activity.access, Activity.hub.name,
    ).where((Activity.service.area.slug == AREA) & (Activity.published == True)).order_by(  # noqa: E712
        Activity.title)


async def upcoming_meetings(family_id: int, now: datetime, limit: int = 10) -> list[dict]:
    """Meetings to come of the solidarity paths the family is booked on (confirmed or pending)."""
    bookings = await Booking.select(Booking.activity, Booking.meeting, Booking.activity.format).where(
        (Booking.family == family_id) & Booking.status.is_in(["confirmed", "pending"])
        & (Booking.activity.service.area.slug == AREA))
    course_ids = [b["activity"] for b in bookings if b["activity.format"] == "course"]
    meeting_ids = [b["meeting"] for b in bookings if b["activity.format"] != "course" and b["meeting"]]
    if not course_ids and not meeting_ids:
        return []
    query = Meeting.select(Meeting.id, Meeting.starts_at, Meeting.place, Meeting.activity.title,
                           Meeting.activity.slug).where(
        (Meeting.starts_at >= now) & (Meeting.status == "scheduled")
        & (Meeting.activity.is_in(course_ids or [0]) | Meeting.id.is_in(meeting_ids or [0])))
    return await query.order_by(Meeting.starts_at).limit(limit)
