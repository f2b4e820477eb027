"""Direct enrolment for referral-only services (Spazio Neutro, home tutoring) and for request activities
(mediation, solidarity paths): staff enrol the family, then schedule meetings private to that booking.
A private meeting appears in no public listing or feed (DESIGN §3, §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from portal import audit, db
from portal.booking import staff as staff_booking
from portal.booking.rules import LIVE, BookingRefused
from portal.booking.service import BookingResult
from portal.catalogue.browse import local_day
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import Staff, authorize, visible_activity_ids
from portal.links import Links
from portal.operations import scope
from portal.operations.rosters import RosterBooking, activity_wide_bookings, roster_bookings
from portal.tables import Activity, Booking, Meeting

DIRECT_ACCESS = ("referral", "request")
PLACE_LENGTH = 200
MAX_MINUTES = 8 * 60


@dataclass(frozen=True)
class Enrolment:
    booking: RosterBooking
    activity: dict
    meetings: list[dict]  # private to this booking, by start


async def activities(staff: Staff) -> list[dict]:
    """Referral and request activities this staff member may enrol into, with their live enrolments."""
    authorize(staff, "enrolment")
    visible = await visible_activity_ids(staff)
    query = Activity.select(Activity.id, Activity.title, Activity.access, Activity.capacity, Activity.seats_taken,
                            Activity.hub.name).where(Activity.access.is_in(list(DIRECT_ACCESS)))
    if visible is not None:
        query = query.where(Activity.id.is_in(list(visible) or [0]))
    rows = await query.order_by(Activity.hub.name).order_by(Activity.title)
    enrolments = await activity_wide_bookings([row["id"] for row in rows], datetime.now(ROME).date(), LIVE)
    for row in rows:
        row["enrolments"] = enrolments[row["id"]]
    return rows


async def enrollable(staff: Staff, activity_id: int) -> dict:
    activity = await scope.activity(staff, activity_id, "enrolment")
    if activity["access"] not in DIRECT_ACCESS:
        raise NotFound(activity_id)
    return activity


async def enrol(staff: Staff, activity_id: int, family_id: int, member_ids: list[int], raise_capacity: bool,
                reason: str, now: datetime, links: Links) -> BookingResult:
    await enrollable(staff, activity_id)
    target = await staff_booking.staff_target(activity_id, None)
    return await staff_booking.book_for_family(target, family_id, member_ids, staff.actor, now, links,
                                               raise_capacity=raise_capacity, reason=reason)


async def enrolment(staff: Staff, booking_id: int) -> Enrolment:
    booking, activity = await scope.booking(staff, booking_id, "enrolment")
    if activity["access"] not in DIRECT_ACCESS or booking["meeting"] is not None:
        raise NotFound(booking_id)
    today = datetime.now(ROME).date()
    rows = await roster_bookings(None, activity, today, {}, statuses=(booking["status"],))
    meetings = await Meeting.select().where(
        (Meeting.private == True) & (Meeting.private_booking == booking_id)
    ).order_by(Meeting.starts_at)
    return Enrolment(next(b for b in rows if b.id == booking_id), activity, meetings)


def parse_meeting(values: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime, str]:
    """Start, end and place of a private meeting, from a date, a time and a length in minutes."""
    errors: dict[str, str] = {}
    day = start_time = None
    try:
        day = date.fromisoformat((values.get("day") or "").strip())
        if day < now.astimezone(ROME).date():
            errors["day"] = gettext("Choose a date from today on.")
    except ValueError:
        errors["day"] = gettext("Enter the date of the meeting.")
    try:
        start_time = time.fromisoformat((values.get("start") or "").strip())
    except ValueError:
        errors["start"] = gettext("Enter the time, such as 16:30.")
    minutes_raw = (values.get("minutes") or "").strip()
    minutes = int(minutes_raw) if minutes_raw.isascii() and minutes_raw.isdigit() else 0
    if not 15 <= minutes <= MAX_MINUTES:
        errors["minutes"] = gettext("Enter a length from %(low)s to %(high)s minutes.", low=15, high=MAX_MINUTES)
    place = " ".join((values.get("place") or "").split())
    if len(place) > PLACE_LENGTH:
        errors["place"] = gettext("Write at most %(max)s characters.", max=PLACE_LENGTH)
    if errors:
        raise FormErrors(errors)
    starts_at = datetime.combine(day, start_time.replace(second=0, microsecond=0), tzinfo=ROME)
    return starts_at, starts_at + timedelta(minutes=minutes), place


async def schedule_meeting(staff: Staff, booking_id: int, values: Mapping[str, Any], now: datetime) -> int:
    """A meeting private to one enrolment: in no public listing, page or feed."""
    found = await enrolment(staff, booking_id)
    if found.booking.status != "confirmed":
        raise BookingRefused(N_("Meetings are scheduled for confirmed enrolments only."))
    starts_at, ends_at, place = parse_meeting(values, now)
    local_date, weekday = local_day(starts_at)
    async with db.write_transaction():
        rows = await Meeting.insert(Meeting(
            activity=found.activity["id"], starts_at=starts_at, ends_at=ends_at, local_date=local_date,
            local_weekday=weekday, place=place, capacity=None, seats_taken=0, status="scheduled", private=True,
            private_booking=booking_id, sequence=0, updated_at=now,
        )).returning(Meeting.id)
        meeting_id = rows[0]["id"]
        await audit.record(staff, "meeting.schedule_private", "meeting", meeting_id, "",
                           {"booking": booking_id, "starts_at": starts_at}, now)
    return meeting_id


async def booking_id(code: str) -> int:
    row = await Booking.select(Booking.id).where(Booking.code == code).first()
    if row is None:
        raise NotFound(code)
    return row["id"]
