"""What a family sees of its bookings: upcoming and past, status, place in the list, what it may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal import db
from portal.booking.queue import waiting_position
from portal.booking.rules import LIVE, cancellation_deadline
from portal.db import NotFound
from portal.tables import Booking, BookingParticipant, Meeting, Member

_SELECT = (
    "SELECT b.id, b.code, b.status, b.seats, b.activity, b.meeting, b.created_at, a.title, a.slug, a.format,"
    " a.access, a.cancellation_hours, h.name AS hub_name, h.phone AS hub_phone, h.address AS hub_address,"
    " (SELECT MIN(m.starts_at) FROM meeting m WHERE m.status = 'scheduled' AND (m.private_booking IS NULL"
    "  OR m.private_booking = b.id)"  # a private meeting counts for its own booking only
    "  AND ((b.meeting IS NOT NULL AND m.id = b.meeting) OR (b.meeting IS NULL AND m.activity = b.activity)))"
    "  AS starts_at,"
    " (SELECT MAX(m.ends_at) FROM meeting m WHERE m.status = 'scheduled' AND (m.private_booking IS NULL"
    "  OR m.private_booking = b.id)"
    "  AND ((b.meeting IS NOT NULL AND m.id = b.meeting) OR (b.meeting IS NULL AND m.activity = b.activity)))"
    "  AS ends_at,"
    " (SELECT d.draw_at FROM draw d WHERE d.activity = b.activity) AS draw_at"
    " FROM booking b JOIN activity a ON a.id = b.activity JOIN hub h ON h.id = a.hub"
)


@dataclass(frozen=True)
class FamilyBooking:
    code: str
    status: str
    seats: int
    title: str
    slug: str
    format: str
    access: str
    hub_name: str
    hub_phone: str
    hub_address: str
    starts_at: datetime | None
    ends_at: datetime | None
    position: int | None
    participants: list[str]
    cancel_until: datetime | None
    draw_at: datetime | None = None  # a request waits for the draw of this day

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def can_cancel(self, now: datetime) -> bool:
        return self.live and self.cancel_until is not None and now < self.cancel_until

    def is_past(self, now: datetime) -> bool:
        return self.ends_at is not None and self.ends_at < now


async def family_bookings(family_id: int) -> list[FamilyBooking]:
    rows = await Booking.raw(_SELECT + " WHERE b.family = {} ORDER BY b.created_at DESC, b.id DESC", family_id)
    return [await _view(row) for row in rows]


async def family_booking(code: str, family_id: int) -> FamilyBooking:
    """One of the family's bookings; another family's code is simply not found."""
    rows = await Booking.raw(_SELECT + " WHERE b.code = {} AND b.family = {}", code, family_id)
    if not rows:
        raise NotFound(code)
    return await _view(rows[0])


async def _view(row: dict) -> FamilyBooking:
    names = await Member.select(Member.first_name).where(
        Member.id.is_in(BookingParticipant.select(BookingParticipant.member).where(
            BookingParticipant.booking == row["id"])))
    starts_at = db.instant(row["starts_at"]) if row["starts_at"] else None
    return FamilyBooking(
        code=row["code"], status=row["status"], seats=row["seats"], title=row["title"], slug=row["slug"],
        format=row["format"], access=row["access"], hub_name=row["hub_name"], hub_phone=row["hub_phone"],
        hub_address=row["hub_address"], starts_at=starts_at,
        ends_at=db.instant(row["ends_at"]) if row["ends_at"] else None,
        position=await waiting_position(row), participants=[n["first_name"] for n in names],
        cancel_until=cancellation_deadline(starts_at, row["cancellation_hours"]) if starts_at else None,
        draw_at=db.instant(row["draw_at"]) if row["draw_at"] else None,
    )


@dataclass(frozen=True)
class BookedMeeting:
    id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str
    sequence: int
    updated_at: datetime


@dataclass(frozen=True)
class BookingCalendar:
    booking: FamilyBooking
    area: str
    access: str
    hub_address: str
    geo: tuple[float, float] | None
    meetings: list[BookedMeeting]


async def booking_calendar(code: str, family_id: int) -> BookingCalendar:
    """A family's booking with the meetings it covers (a course: all of them), for its .ics file."""
    booking = await family_booking(code, family_id)
    rows = await Booking.raw(
        "SELECT b.meeting, a.id AS activity, ar.slug AS area, a.access, h.address, h.postcode, h.city,"
        " h.latitude, h.longitude FROM booking b JOIN activity a ON a.id = b.activity"
        " JOIN service s ON s.id = a.service JOIN area ar ON ar.id = s.area JOIN hub h ON h.id = a.hub"
        " WHERE b.code = {}", code)
    row = rows[0]
    meetings = Meeting.select(Meeting.id, Meeting.starts_at, Meeting.ends_at, Meeting.place, Meeting.status,
                              Meeting.sequence, Meeting.updated_at)
    if row["meeting"] is not None:
        meetings = meetings.where(Meeting.id == row["meeting"])
    else:
        meetings = meetings.where((Meeting.activity == row["activity"]) & (Meeting.private == False))  # noqa: E712
    return BookingCalendar(
        booking=booking, area=row["area"], access=row["access"],
        hub_address=f"{row['address']}, {row['postcode']} {row['city']}",
        geo=(row["latitude"], row["longitude"]) if row["latitude"] is not None else None,
        meetings=[BookedMeeting(**m) for m in await meetings.order_by(Meeting.starts_at)],
    )
